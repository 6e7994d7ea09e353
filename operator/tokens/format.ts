// The token Secret as Kubernetes stores it (docs/token-secret-format.md): which data keys, labels,
// annotations and owner reference, and how to read the sealed tokens back. Nothing here holds a
// token outside `data`: labels and annotations name the connection and the key, never a value.

import { GROUP } from '../api/schemas/common.ts';
import type { SealedTokens } from './envelope.ts';

/** Written in the `format` annotation; a reader refuses any other. */
export const TOKEN_FORMAT = 'nested-jwe/v1';

export const TOKEN_SECRET_KEYS = { tokens: 'tokens.jwe', key: 'key.jwe' } as const;

export const TOKEN_SECRET_ANNOTATIONS = {
  format: `${GROUP}/token-format`,
  fingerprint: `${GROUP}/key-fingerprint`,
} as const;

export const TOKEN_SECRET_LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  connection: `${GROUP}/connection`,
  component: 'app.kubernetes.io/component',
} as const;

export interface TokenSecretOwner {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

export interface TokenSecret {
  readonly apiVersion: 'v1';
  readonly kind: 'Secret';
  readonly type: 'Opaque';
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
    readonly ownerReferences: readonly (TokenSecretOwner & { controller: true; blockOwnerDeletion: true })[];
  };
  /** base64, as the API server stores Secret data. */
  readonly data: Readonly<Record<string, string>>;
}

/** The Secret for one connection's sealed tokens, owned by the connection (garbage-collected with it). */
export function tokenSecret(
  namespace: string,
  name: string,
  owner: TokenSecretOwner,
  sealed: SealedTokens,
): TokenSecret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name,
      namespace,
      labels: {
        [TOKEN_SECRET_LABELS.managedBy]: 'imanage-operator',
        [TOKEN_SECRET_LABELS.component]: 'oauth-tokens',
        [TOKEN_SECRET_LABELS.connection]: owner.name,
      },
      annotations: {
        [TOKEN_SECRET_ANNOTATIONS.format]: TOKEN_FORMAT,
        [TOKEN_SECRET_ANNOTATIONS.fingerprint]: sealed.fingerprint,
      },
      ownerReferences: [{ ...owner, controller: true, blockOwnerDeletion: true }],
    },
    data: {
      [TOKEN_SECRET_KEYS.tokens]: Buffer.from(sealed.tokens).toString('base64'),
      [TOKEN_SECRET_KEYS.key]: Buffer.from(sealed.key).toString('base64'),
    },
  };
}

/** Not a token Secret of this format; the message names what is missing. */
export class NotATokenSecret extends Error {
  override readonly name = 'NotATokenSecret';
}

/** The sealed tokens of a Secret read from the API server (base64 data). */
export function readTokenSecret(secret: {
  readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> };
  readonly data?: Readonly<Record<string, string>>;
}): SealedTokens {
  const annotations = secret.metadata?.annotations ?? {};
  const format = annotations[TOKEN_SECRET_ANNOTATIONS.format];
  if (format !== TOKEN_FORMAT) {
    const found = format ?? '';
    throw new NotATokenSecret(`annotation ${TOKEN_SECRET_ANNOTATIONS.format} is '${found}', not '${TOKEN_FORMAT}'`);
  }
  const fingerprint = annotations[TOKEN_SECRET_ANNOTATIONS.fingerprint];
  if (!fingerprint) throw new NotATokenSecret(`annotation ${TOKEN_SECRET_ANNOTATIONS.fingerprint} is missing`);
  const decoded = (key: string): string => {
    const value = secret.data?.[key];
    if (!value) throw new NotATokenSecret(`data key ${key} is missing`);
    return Buffer.from(value, 'base64').toString('utf8');
  };
  return { tokens: decoded(TOKEN_SECRET_KEYS.tokens), key: decoded(TOKEN_SECRET_KEYS.key), fingerprint };
}
