// The pure core of the connection controller: spec + facts + observations → desired status.
// It alone turns probe outcomes into reasons and messages (outcomes.ts), and it alone says
// whether probes are due (probesDue). Status holds outcomes, not measurements: a healthy,
// unchanged connection gets the same status from every probe, so nothing is written.

import { specCustomerId } from '../../api/customer-id.ts';
import {
  apiBaseOf,
  CALLBACK_ROW,
  caBundleRefOf,
  type ConnectionFacts,
  connectionFacts,
  encryptionRefsOf,
  type EnvironmentFact,
  grantOf,
  registrationTargets,
} from '../../api/connection.ts';
import type { IManageConnection, IManageConnectionStatus } from '../../api/generated/types.ts';
import { connectionReason } from '../../api/reasons.ts';
import {
  MIN_PASSPHRASE_LENGTH,
  PASSPHRASE_ADVICE,
  PASSPHRASE_PREDICTABLE,
  PASSPHRASE_TOO_SHORT,
} from '../../api/validation/index.ts';
import type { CachedProbe } from '../../imanage/probe-cache.ts';
import type { RegistrationOutcome } from '../../imanage/registration.ts';
import { checkSpec, invalidSpec } from '../shared.ts';
import { type ConditionUpdate, findCondition, withConditions } from '../../runtime/conditions.ts';
import {
  type Check,
  type CheckFailure,
  firstFailure,
  readinessConditions,
  reconciling,
  retrying,
  stalled,
  suspendedConditions,
} from '../../runtime/readiness.ts';
import { reachabilityVerdict, type ReachabilityVerdict } from './outcomes.ts';
import { type EnvironmentRegistration, registrationState, summarizeRegistration } from './registration.ts';
import type { ObservedConnection, SecretObservation } from './observed.ts';
import { apiProblem, serverMatchProblem, tokensStatus, tokensVerdict, type TokensVerdict } from '../../tokens/index.ts';

/** A checkedAt that users read is renewed at most this often while the outcome stays the same. */
export const CHECKED_AT_REFRESH_MS = 3_600_000;

export interface DecideOptions {
  /** Certificates expiring sooner are reported as CertificateExpiring. */
  readonly expiryWarningDays: number;
}

const DEFAULT_OPTIONS: DecideOptions = { expiryWarningDays: 14 };

export interface ConnectionDecision {
  /** Everything in status except conditions, which the update describes. */
  readonly status: Omit<IManageConnectionStatus, 'conditions'>;
  readonly conditions: ConditionUpdate;
  /** Set when the object cannot progress until something changes. */
  readonly failure?: CheckFailure;
  /** What the controller does next: look again with backoff, at the next probe, or wait for a change. */
  readonly next: NextStep;
}

/**
 * `recheck`: the failure is fixed by a change the operator is not told about (a Secret read on
 * demand, iManage's answer), so look again with backoff; `probe`: at the next probe or refresh;
 * `wait`: until the object changes.
 */
export type NextStep = 'recheck' | 'probe' | 'wait';

function nextStep(failure: CheckFailure | undefined, observed: ObservedConnection): NextStep {
  if (failure && connectionReason(failure.reason)?.recheck) return 'recheck';
  return observed.reachability ? 'probe' : 'wait';
}

/** One row per environment: the spec's redirect URI, this reconcile's probe, and what status said. */
interface EnvironmentRow extends EnvironmentFact {
  readonly probe?: CachedProbe<RegistrationOutcome>;
  /** Absent when registration was neither probed nor skipped this time. */
  readonly state?: EnvironmentRegistration;
}

interface Input {
  readonly connection: IManageConnection;
  readonly facts: ConnectionFacts;
  readonly observed: ObservedConnection;
  readonly now: Date;
  readonly reachability?: ReachabilityVerdict;
  readonly environments: readonly EnvironmentRow[];
  /** The Registered condition's substance, when registration was probed (or skipped) this time. */
  readonly registration?: ReturnType<typeof summarizeRegistration>;
  /** TokensReady's substance, when the token pass ran this time. */
  readonly tokens?: TokensVerdict;
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
      return stalled(
        'SecretNotFound',
        fieldPath,
        `Secret '${secret.name}' (${purpose}) does not exist; create it with key${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`,
      );
    }
    const missing = keys.filter((k) => !secret.keys.includes(k));
    if (missing.length === 0) return undefined;
    return stalled(
      'SecretMissingKey',
      fieldPath,
      `Secret '${secret.name}' (${purpose}) lacks key${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; add ${missing.length > 1 ? 'them' : 'it'}`,
    );
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
  // Its length is not repeated: status would narrow down a value its reader may not see.
  return stalled(
    'PassphraseTooShort',
    'spec.tokens.encryption.passphraseSecretRef',
    `the passphrase in Secret '${p.name}' key '${p.key}' ${PASSPHRASE_TOO_SHORT}; ${PASSPHRASE_ADVICE}`,
  );
};

const passphraseIsNotPredictable: Check<Input> = ({ observed }) => {
  const p = observed.passphrase;
  if (!p?.found || !p.predictable) return undefined;
  return stalled(
    'PassphraseTooWeak',
    'spec.tokens.encryption.passphraseSecretRef',
    `in Secret '${p.name}' key '${p.key}', ${PASSPHRASE_PREDICTABLE}; ${PASSPHRASE_ADVICE}. Tokens already ` +
      'encrypted with it stay readable: set the new one, and this one as previousPassphraseSecretRef, to re-encrypt them',
  );
};

const certificateIsUsable: Check<Input> = ({ observed, now }) => {
  const c = observed.certificate;
  if (!c?.found || !c.keys.includes('tls.crt')) return undefined;
  const fieldPath = 'spec.tokens.encryption.certificateSecretRef';
  if (c.parseError)
    return stalled(
      'CertificateInvalid',
      fieldPath,
      `tls.crt in Secret '${c.name}' is not a PEM certificate (${c.parseError}); store a valid certificate`,
    );
  if (c.notAfter && Date.parse(c.notAfter) <= now.getTime()) {
    return stalled(
      'CertificateExpired',
      fieldPath,
      `the certificate in Secret '${c.name}' expired at ${c.notAfter}; renew it (tokens already stored stay readable with the same key)`,
    );
  }
  return undefined;
};

const serverIsReachable: Check<Input> = ({ reachability, facts }) => {
  if (!reachability || reachability.reachable) return undefined;
  const fail = reachability.retried ? retrying : stalled;
  return fail(reachability.reason, facts.probed?.field, reachability.message);
};

const redirectUrisAreRegistered: Check<Input> = ({ registration: summary }) => {
  if (!summary || summary.ok) return undefined;
  const reason = summary.reason;
  if (summary.state === 'Pending') return reconciling(reason, summary.message);
  // Unknown: iManage could not be asked (an error page, a 5xx, a 429); asking again may tell.
  const fail = summary.state === 'Unknown' ? retrying : stalled;
  return fail(reason, 'spec.environments', summary.message);
};

const tokensAreReady: Check<Input> = ({ tokens }) => {
  if (!tokens || tokens.ready) return undefined;
  return (tokens.retried ? retrying : stalled)(tokens.reason, tokens.fieldPath, tokens.message);
};

/** With a token, GET /api answers for the account: otherwise nothing that needs the Work API can work. */
const apiAnswers: Check<Input> = ({ observed, connection }) => {
  const problem = apiProblem(observed.tokens, connection);
  return problem && (problem.retried ? retrying : stalled)(problem.reason, problem.fieldPath, problem.message);
};

/** With a token, reachability completes: the customer id and the library are the server's. */
const serverMatches: Check<Input> = ({ observed, connection }) => {
  const problem = serverMatchProblem(observed.tokens, connection);
  return problem && stalled(problem.reason, problem.fieldPath, problem.message);
};

function registrationSummary(
  rows: readonly EnvironmentRow[],
  observed: ObservedConnection,
  connection: IManageConnection,
): Input['registration'] {
  if (!observed.registrations && !observed.registrationSkipped) return undefined;
  const counted = needsLink(observed, connection) ? rows : rows.filter((e) => e.name !== CALLBACK_ROW);
  return summarizeRegistration(counted.flatMap((e) => (e.state ? [e.state] : [])));
}

/**
 * Whether the account must be linked now: not yet, or iManage refused its refresh token. Only then
 * does an unregistered callback hold Ready back; a linked connection shows it in its row alone.
 */
function needsLink(observed: ObservedConnection, connection: IManageConnection): boolean {
  const t = observed.tokens;
  if (!t) return connection.status?.tokens?.signInSecret !== undefined;
  return t.notLinked !== undefined || t.failure?.kind === 'RefreshTokenRevoked';
}

const CHECKS: readonly Check<Input>[] = [
  specIsValid,
  secretCheck(
    (o) => o.clientSecret,
    'spec.clientSecretRef.name',
    // A password-grant application may be registered without a secret (a "Desktop Auth Client").
    (i) => (i.connection.spec.auth?.grant === 'Password' ? ['clientId'] : ['clientId', 'clientSecret']),
    'client credentials',
  ),
  secretCheck(
    (o) => o.credentials,
    'spec.auth.credentialsSecretRef.name',
    (i) => CREDENTIAL_KEYS[grantOf(i.connection)] ?? [],
    'fall-back account',
  ),
  secretCheck(
    (o) => o.passphrase,
    'spec.tokens.encryption.passphraseSecretRef',
    (i) => [encryptionRefsOf(i.connection)?.passphrase.key ?? ''],
    'token-encryption passphrase',
  ),
  passphraseIsLongEnough,
  passphraseIsNotPredictable,
  secretCheck(
    (o) => o.certificate,
    'spec.tokens.encryption.certificateSecretRef.name',
    () => ['tls.crt', 'tls.key'],
    'token-encryption certificate',
  ),
  certificateIsUsable,
  secretCheck(
    (o) => o.caBundle,
    'spec.caBundleSecretRef',
    (i) => [caBundleRefOf(i.connection)?.key ?? ''],
    'CA bundle',
  ),
  serverIsReachable,
  redirectUrisAreRegistered,
  tokensAreReady,
  apiAnswers,
  serverMatches,
];

/** The checks that need no probe: until they pass, probing would only add noise. */
const BEFORE_PROBES = CHECKS.slice(0, CHECKS.indexOf(serverIsReachable));

/** Whether this reconcile should probe iManage: the spec and the Secrets it names are in order. */
export function probesDue(
  connection: IManageConnection,
  facts: ConnectionFacts,
  observed: ObservedConnection,
  now: Date,
): boolean {
  return firstFailure(BEFORE_PROBES, { connection, facts, observed, now, environments: [] }) === undefined;
}

function environmentRows(
  facts: ConnectionFacts,
  observed: ObservedConnection,
  context: Parameters<typeof registrationState>[2],
): EnvironmentRow[] {
  return registrationTargets(facts).map((env) => {
    const probe = observed.registrations?.get(env.name);
    const target = env === facts.callback ? { ...env, callback: true as const } : env;
    if (probe) return { ...env, probe, state: registrationState(target, probe.value, context) };
    if (!observed.registrationSkipped) return env;
    const message =
      'no client id to ask iManage with: set spec.clientSecretRef, or give the operator a default application (--default-client-secret) for Cloud connections';
    return { ...env, state: { name: env.name, redirectUri: env.redirectUri, state: 'Unknown', message } };
  });
}

function inputOf(
  connection: IManageConnection,
  facts: ConnectionFacts,
  observed: ObservedConnection,
  now: Date,
  options: DecideOptions,
): Input {
  const spec = connection.spec;
  const customerId = specCustomerId(spec);
  const context = {
    now,
    clientIdSource: observed.clientIdSource ?? 'the client Secret',
    authorizeHost: facts.authorization?.hostPort ?? spec.url,
    ...(spec.registration?.requestedAt ? { requestedAt: spec.registration.requestedAt } : {}),
    ...(customerId ? { customerId } : {}),
  };
  const reach = observed.reachability;
  const reachability =
    reach && facts.probed
      ? reachabilityVerdict(reach.value, {
          endpoint: facts.probed,
          timeoutMs: facts.timeoutMs,
          now,
          expiryWarningDays: options.expiryWarningDays,
        })
      : undefined;
  const environments = environmentRows(facts, observed, context);
  const registration = registrationSummary(environments, observed, connection);
  const tokens = observed.tokens ? tokensVerdict(observed.tokens, connection, now, observed.clientIdSource) : undefined;
  return {
    ...(tokens ? { tokens } : {}),
    connection,
    facts,
    observed,
    now,
    environments,
    ...(reachability ? { reachability } : {}),
    ...(registration ? { registration } : {}),
  };
}

export function decideConnection(
  cached: IManageConnection,
  observed: ObservedConnection,
  now: Date,
  facts: ConnectionFacts = connectionFacts(cached),
  options: DecideOptions = DEFAULT_OPTIONS,
): ConnectionDecision {
  // Decided on the spec as the schema defaults it (a valid one); the cached object is not changed.
  const connection = checkSpec(cached).value;
  const generation = connection.metadata?.generation ?? 0;
  if (connection.spec.suspend === true) {
    const { conditions: _kept, ...rest } = connection.status ?? {};
    const status = { ...rest, observedGeneration: generation };
    return { status, conditions: suspendedConditions(generation), next: 'wait' };
  }
  const input = inputOf(connection, facts, observed, now, options);
  const failure = firstFailure(CHECKS, input);
  const conditions = withConditions(
    readinessConditions(generation, failure, readiness(input)),
    ...probeConditions(input),
  );
  const next = nextStep(failure, observed);
  return { status: statusOf(input, generation), conditions, next, ...(failure ? { failure } : {}) };
}

/** Connected when the probes ran and passed; Configured when probes are off (--probes=false). */
function readiness({ connection, facts, reachability }: Input): { reason: string; message: string } {
  const count = facts.environments.length;
  const uris = `${count} redirect URI${count === 1 ? '' : 's'}`;
  if (!reachability) {
    return {
      reason: 'Configured',
      message: `The spec and its Secrets are valid${count ? `; ${uris} in status.environments` : ''}.`,
    };
  }
  const registered =
    count === 1 ? ' and its redirect URI is registered' : count > 1 ? ` and all ${uris} are registered` : '';
  return {
    reason: 'Connected',
    message: `${apiBaseOf(connection)} is reachable${registered}.`,
  };
}

type ConditionInputs = Parameters<typeof withConditions>[1][];

/** Reachable, TokensReady and Registered, when their checks ran this time. */
function probeConditions(input: Input): ConditionInputs {
  const verdicts: [string, { ok: boolean; reason: string; message: string } | undefined][] = [
    ['Reachable', input.reachability && { ...input.reachability, ok: input.reachability.reachable }],
    ['TokensReady', input.tokens && { ...input.tokens, ok: input.tokens.ready }],
    ['Registered', input.registration],
  ];
  return verdicts.flatMap(([type, verdict]) =>
    verdict
      ? [
          {
            type,
            status: verdict.ok ? ('True' as const) : ('False' as const),
            reason: verdict.reason,
            message: verdict.message,
          },
        ]
      : [],
  );
}

/** The time to show: kept while the outcome is unchanged and younger than an hour, else the probe's. */
function refreshedAt(previous: string | undefined, unchanged: boolean, probedAt: Date): string {
  const kept = previous === undefined ? Number.NaN : Date.parse(previous);
  return unchanged && probedAt.getTime() - kept < CHECKED_AT_REFRESH_MS ? previous! : probedAt.toISOString();
}

function environmentStatus(row: EnvironmentRow): NonNullable<ConnectionDecision['status']['environments']>[number] {
  const { name, redirectUri, previous, state, probe } = row;
  // When registration was not probed this time, what was last known of the same URI stays.
  if (!state) return previous ?? { name, redirectUri };
  const unchanged = previous?.registration === state.state && previous.message === state.message;
  const checkedAt = probe ? { checkedAt: refreshedAt(previous?.checkedAt, unchanged, probe.checkedAt) } : {};
  return { name, redirectUri, registration: state.state, message: state.message, ...checkedAt };
}

function serverStatus(input: Input): ConnectionDecision['status']['server'] {
  const previous = input.connection.status?.server;
  const reach = input.observed.reachability;
  if (!reach || !input.reachability) return previous;
  const before = findCondition(input.connection.status?.conditions, 'Reachable');
  const notAfter = reach.value.certificateNotAfter;
  const unchanged =
    before?.reason === input.reachability.reason &&
    before.message === input.reachability.message &&
    previous?.certificateNotAfter === notAfter;
  const found = input.observed.tokens?.discovery;
  return {
    ...(notAfter ? { certificateNotAfter: notAfter } : {}),
    checkedAt: refreshedAt(previous?.checkedAt, unchanged, reach.checkedAt),
    ...(found ? { customerId: found.customerId, libraries: [...found.libraries] } : discovered(previous)),
    ...(found?.version ? { version: found.version } : {}),
  };
}

/** What GET /api said last time, kept while it is not asked again. */
function discovered(previous: ConnectionDecision['status']['server']): Partial<NonNullable<typeof previous>> {
  if (!previous?.customerId) return {};
  return {
    customerId: previous.customerId,
    ...(previous.libraries ? { libraries: previous.libraries } : {}),
    ...(previous.version ? { version: previous.version } : {}),
  };
}

function statusOf(input: Input, generation: number): ConnectionDecision['status'] {
  const environments = input.environments.map(environmentStatus);
  const server = serverStatus(input);
  const tokens = tokensStatus(input.observed.tokens, input.connection.status?.tokens);
  return {
    observedGeneration: generation,
    ...(environments.length ? { environments } : {}),
    ...(server ? { server } : {}),
    ...(tokens ? { tokens } : {}),
  };
}
