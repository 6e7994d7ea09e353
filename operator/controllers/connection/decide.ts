// The pure core of the connection controller: spec + observations → desired status.

import type { IManageConnection, IManageConnectionStatus } from '../../api/generated/types.ts';
import { effectiveRedirectUris, MIN_PASSPHRASE_LENGTH } from '../../api/validation/index.ts';
import { invalidSpec } from '../shared.ts';
import type { ConditionUpdate } from '../../runtime/conditions.ts';
import { type Check, type CheckFailure, firstFailure, readinessConditions, suspendedConditions, stalled } from '../../runtime/readiness.ts';
import type { ObservedConnection, SecretObservation } from './observed.ts';

export interface ConnectionDecision {
  /** Everything in status except conditions, which the update describes. */
  readonly status: Omit<IManageConnectionStatus, 'conditions'>;
  readonly conditions: ConditionUpdate;
  /** Set when the object cannot progress until something changes; the caller re-checks later. */
  readonly failure?: CheckFailure;
}

interface Input {
  readonly connection: IManageConnection;
  readonly observed: ObservedConnection;
  readonly now: Date;
}

const specIsValid: Check<Input> = ({ connection }) => invalidSpec(connection);

function secretCheck(
  pick: (o: ObservedConnection) => SecretObservation | undefined,
  fieldPath: string,
  requiredKeys: (i: Input) => readonly string[],
  purpose: string,
): Check<Input> {
  return (input) => {
    const secret = pick(input.observed);
    if (!secret) return undefined;
    const keys = requiredKeys(input);
    if (!secret.found) {
      return stalled('SecretNotFound', fieldPath, `Secret '${secret.name}' (${purpose}) does not exist; create it with key${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`);
    }
    const missing = keys.filter((k) => !secret.keys.includes(k));
    if (missing.length === 0) return undefined;
    return stalled('SecretMissingKey', fieldPath, `Secret '${secret.name}' (${purpose}) lacks key${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; add ${missing.length > 1 ? 'them' : 'it'}`);
  };
}

const CREDENTIAL_KEYS: Record<string, readonly string[]> = {
  Password: ['username', 'password'],
  AuthorizationCode: ['refreshToken'],
  ClientCredentials: [],
};

const passphraseIsLongEnough: Check<Input> = ({ observed }) => {
  const p = observed.passphrase;
  if (!p?.found || p.length === undefined || p.length >= MIN_PASSPHRASE_LENGTH) return undefined;
  return stalled('PassphraseTooShort', 'spec.tokens.encryption.passphraseSecretRef',
    `the passphrase in Secret '${p.name}' key '${p.key}' has ${p.length} characters; at least ${MIN_PASSPHRASE_LENGTH} are required. Generate one with: openssl rand -base64 96 | tr -d '\\n'`);
};

const certificateIsUsable: Check<Input> = ({ observed, now }) => {
  const c = observed.certificate;
  if (!c?.found || !c.keys.includes('tls.crt')) return undefined;
  const fieldPath = 'spec.tokens.encryption.certificateSecretRef';
  if (c.parseError) return stalled('CertificateInvalid', fieldPath, `tls.crt in Secret '${c.name}' is not a PEM certificate (${c.parseError}); store a valid certificate`);
  if (c.notAfter && Date.parse(c.notAfter) <= now.getTime()) {
    return stalled('CertificateExpired', fieldPath, `the certificate in Secret '${c.name}' expired at ${c.notAfter}; renew it (tokens already stored stay readable with the same key)`);
  }
  return undefined;
};

const CHECKS: readonly Check<Input>[] = [
  specIsValid,
  secretCheck((o) => o.clientSecret, 'spec.clientSecretRef.name', () => ['clientId', 'clientSecret'], 'client credentials'),
  secretCheck((o) => o.credentials, 'spec.auth.credentialsSecretRef.name', (i) => CREDENTIAL_KEYS[i.connection.spec.auth?.grant ?? 'AuthorizationCode'] ?? [], 'fall-back account'),
  secretCheck((o) => o.passphrase, 'spec.tokens.encryption.passphraseSecretRef', (i) => [i.observed.passphrase?.key ?? 'passphrase'], 'token-encryption passphrase'),
  passphraseIsLongEnough,
  secretCheck((o) => o.certificate, 'spec.tokens.encryption.certificateSecretRef.name', () => ['tls.crt', 'tls.key'], 'token-encryption certificate'),
  certificateIsUsable,
];

export function decideConnection(connection: IManageConnection, observed: ObservedConnection, now: Date): ConnectionDecision {
  const generation = connection.metadata?.generation ?? 0;
  if (connection.spec.suspend === true) {
    const { conditions: _kept, ...rest } = connection.status ?? {};
    return { status: { ...rest, observedGeneration: generation }, conditions: suspendedConditions(generation) };
  }
  const failure = firstFailure(CHECKS, { connection, observed, now });
  const environments = effectiveRedirectUris(connection.spec).map(({ name, redirectUri }) => ({ name, redirectUri }));
  const conditions = readinessConditions(generation, failure, {
    reason: 'Configured',
    message: environments.length === 0
      ? 'The spec and its Secrets are valid.'
      : `The spec and its Secrets are valid; ${environments.length} redirect URI${environments.length > 1 ? 's' : ''} in status.environments.`,
  });
  return { status: { observedGeneration: generation, ...(environments.length ? { environments } : {}) }, conditions, ...(failure ? { failure } : {}) };
}
