// The pure core of the connection controller: spec + observations → desired status.

import type { IManageConnection, IManageConnectionStatus } from '../../api/generated/types.ts';
import { effectiveRedirectUris, MIN_PASSPHRASE_LENGTH } from '../../api/validation/index.ts';
import { invalidSpec } from '../shared.ts';
import { type ConditionUpdate, withConditions } from '../../runtime/conditions.ts';
import { type Check, type CheckFailure, firstFailure, readinessConditions, reconciling, stalled, suspendedConditions } from '../../runtime/readiness.ts';
import { type EnvironmentRegistration, REASON_BY_STATE, registrationState, summarizeRegistration } from './registration.ts';
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

/** Which URL the reachability probe used: the REST base when set apart (Legatics). */
const probedUrlField = (i: Input) => (i.connection.spec.apiUrl ? 'spec.apiUrl' : 'spec.url');

const serverIsReachable: Check<Input> = (input) => {
  const probe = input.observed.reachability?.value;
  if (!probe || probe.reachable) return undefined;
  return stalled(probe.reason, probedUrlField(input), probe.message);
};

const redirectUrisAreRegistered: Check<Input> = (input) => {
  const summary = registrationSummary(input);
  if (!summary || summary.ok) return undefined;
  const reason = REASON_BY_STATE[summary.state];
  return summary.state === 'Pending' ? reconciling(reason, summary.message) : stalled(reason, 'spec.environments', summary.message);
};

function environmentStates(input: Input): EnvironmentRegistration[] | undefined {
  const { observed, connection, now } = input;
  if (observed.registrationSkipped) {
    return effectiveRedirectUris(connection.spec).map((e) => ({ name: e.name, redirectUri: e.redirectUri, state: 'Unknown' as const, message: observed.registrationSkipped! }));
  }
  if (!observed.registrations) return undefined;
  const context = { now, ...(connection.spec.registration?.requestedAt ? { requestedAt: connection.spec.registration.requestedAt } : {}),
    ...(connection.spec.customerId ? { customerId: connection.spec.customerId } : {}), ...(observed.clientId ? { clientId: observed.clientId } : {}) };
  return observed.registrations.map((r) => registrationState(r, r.probe.value, context));
}

function registrationSummary(input: Input): ReturnType<typeof summarizeRegistration> | undefined {
  const states = environmentStates(input);
  return states ? summarizeRegistration(states) : undefined;
}

const CHECKS: readonly Check<Input>[] = [
  specIsValid,
  secretCheck((o) => o.clientSecret, 'spec.clientSecretRef.name', () => ['clientId', 'clientSecret'], 'client credentials'),
  secretCheck((o) => o.credentials, 'spec.auth.credentialsSecretRef.name', (i) => CREDENTIAL_KEYS[i.connection.spec.auth?.grant ?? 'AuthorizationCode'] ?? [], 'fall-back account'),
  secretCheck((o) => o.passphrase, 'spec.tokens.encryption.passphraseSecretRef', (i) => [i.observed.passphrase?.key ?? 'passphrase'], 'token-encryption passphrase'),
  passphraseIsLongEnough,
  secretCheck((o) => o.certificate, 'spec.tokens.encryption.certificateSecretRef.name', () => ['tls.crt', 'tls.key'], 'token-encryption certificate'),
  certificateIsUsable,
  secretCheck((o) => o.caBundle, 'spec.caBundleSecretRef', (i) => [i.observed.caBundle?.key ?? 'ca.crt'], 'CA bundle'),
  serverIsReachable,
  redirectUrisAreRegistered,
];

export function decideConnection(connection: IManageConnection, observed: ObservedConnection, now: Date): ConnectionDecision {
  const generation = connection.metadata?.generation ?? 0;
  if (connection.spec.suspend === true) {
    const { conditions: _kept, ...rest } = connection.status ?? {};
    return { status: { ...rest, observedGeneration: generation }, conditions: suspendedConditions(generation) };
  }
  const input = { connection, observed, now };
  const failure = firstFailure(CHECKS, input);
  const conditions = withConditions(readinessConditions(generation, failure, readiness(input)), ...probeConditions(input));
  return { status: statusOf(input, generation), conditions, ...(failure ? { failure } : {}) };
}

/** Connected when the probes ran and passed; Configured when probes are off (--probes=false). */
function readiness({ connection, observed }: Input): { reason: string; message: string } {
  const count = effectiveRedirectUris(connection.spec).length;
  const uris = `${count} redirect URI${count === 1 ? '' : 's'}`;
  if (!observed.reachability) {
    return { reason: 'Configured', message: `The spec and its Secrets are valid${count ? `; ${uris} in status.environments` : ''}.` };
  }
  const registered = count === 1 ? ' and its redirect URI is registered' : count > 1 ? ` and all ${uris} are registered` : '';
  return { reason: 'Connected', message: `${connection.spec.apiUrl ?? connection.spec.url} is reachable${registered}.` };
}

/** Reachable and Registered, when their probes ran this time. */
function probeConditions(input: Input): ConditionInputs {
  const out: ConditionInputs = [];
  const reach = input.observed.reachability?.value;
  if (reach) out.push({ type: 'Reachable', status: reach.reachable ? 'True' : 'False', reason: reach.reason, message: reach.message });
  const summary = registrationSummary(input);
  if (summary) out.push({ type: 'Registered', status: summary.ok ? 'True' : 'False', reason: REASON_BY_STATE[summary.state], message: summary.message });
  return out;
}

/** When registration was not probed this time, what was last known of the same URI stays. */
function previousEnvironment(input: Input, name: string, redirectUri: string) {
  const previous = input.connection.status?.environments?.find((e) => e.name === name && e.redirectUri === redirectUri);
  return previous ?? { name, redirectUri };
}

type ConditionInputs = Parameters<typeof withConditions>[1][];

function statusOf(input: Input, generation: number): ConnectionDecision['status'] {
  const states = environmentStates(input);
  const probedAt = new Map(input.observed.registrations?.map((r) => [r.name, r.probe.checkedAt.toISOString()]) ?? []);
  const environments = effectiveRedirectUris(input.connection.spec).map(({ name, redirectUri }) => {
    const state = states?.find((s) => s.name === name);
    if (!state) return previousEnvironment(input, name, redirectUri);
    return { name, redirectUri, registration: state.state, message: state.message, ...(probedAt.has(name) ? { checkedAt: probedAt.get(name) } : {}) };
  });
  const reach = input.observed.reachability;
  const server = reach ? {
    ...(reach.value.address ? { address: reach.value.address } : {}),
    latencyMs: reach.value.latencyMs,
    ...(reach.value.certificateNotAfter ? { certificateNotAfter: reach.value.certificateNotAfter } : {}),
    checkedAt: reach.checkedAt.toISOString(),
  } : input.connection.status?.server;
  return { observedGeneration: generation, ...(environments.length ? { environments } : {}), ...(server ? { server } : {}) };
}
