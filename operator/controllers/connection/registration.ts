// What a registration probe's answer means for one environment, given when registration was
// requested: iManage takes 24–48 hours, so "not registered" is Pending before that and Overdue
// after. Pure: the clock is an argument.

import type { RegistrationOutcome } from '../../imanage/registration.ts';

export type RegistrationState = 'Registered' | 'Pending' | 'Overdue' | 'NotRegistered' | 'InvalidClient' | 'Unknown';

export const REGISTRATION_WINDOW_MS = 48 * 3_600_000;

export interface EnvironmentRegistration {
  readonly name: string;
  readonly redirectUri: string;
  /** The operator's own sign-in callback rather than a product environment. */
  readonly callback?: true;
  readonly state: RegistrationState;
  readonly message: string;
}

function hours(ms: number): string {
  const h = Math.max(0, ms / 3_600_000);
  if (h < 1) return `${Math.ceil(h * 60)} min`;
  return h <= 72 ? `${Math.round(h)} h` : `${Math.round(h / 24)} days`;
}
export interface RegistrationContext {
  readonly requestedAt?: string;
  readonly customerId?: string;
  /**
   * Where the client id comes from, in words ("Secret 'app' key clientId"). Never the id itself:
   * a user who may create a connection but not read the Secret would learn it from status.
   */
  readonly clientIdSource: string;
  /** The authorize endpoint's host:port, for "not reachable". */
  readonly authorizeHost: string;
  readonly now: Date;
}

export function registrationState(
  env: { name: string; redirectUri: string; callback?: true },
  outcome: RegistrationOutcome,
  context: RegistrationContext,
): EnvironmentRegistration {
  const base = { name: env.name, redirectUri: env.redirectUri, ...(env.callback ? { callback: true as const } : {}) };
  const unknown = (what: string): EnvironmentRegistration => ({
    ...base,
    state: 'Unknown',
    message: `could not tell whether iManage accepts ${env.redirectUri}: ${what}`,
  });
  switch (outcome.kind) {
    case 'Registered':
      return { ...base, state: 'Registered', message: `iManage accepts ${env.redirectUri}` };
    case 'InvalidClient':
      return {
        ...base,
        state: 'InvalidClient',
        message: `iManage does not know the client id in ${context.clientIdSource}; check it`,
      };
    case 'NotRegistered':
      return { ...base, ...notRegistered(env.redirectUri, context, env.callback === true) };
    case 'Malformed':
      return {
        ...base,
        state: 'NotRegistered',
        message: `not sent to iManage: the redirect URI ${outcome.problem}, and iManage compares redirect URIs exactly; correct spec.environments`,
      };
    case 'RedirectedWithError':
      return unknown(
        `iManage sent the browser back with ${outcome.error ? `error ${outcome.error}` : 'an error it did not name in OAuth terms'}`,
      );
    case 'RateLimited':
      return unknown('HTTP 429 (rate-limited); asking again later');
    case 'Unrecognised':
      return unknown(
        `HTTP ${outcome.httpStatus}, not an answer iManage gives${outcome.excerpt ? ` (the page begins: ${outcome.excerpt})` : ''}; a proxy may be in between`,
      );
    case 'NotAsked':
      return unknown(`cannot connect to ${context.authorizeHost}`);
  }
}

function notRegistered(
  uri: string,
  context: RegistrationContext,
  callback: boolean,
): { state: RegistrationState; message: string } {
  const detail = 'invalid_redirect_uri';
  const requested = context.requestedAt ? Date.parse(context.requestedAt) : Number.NaN;
  const customer = context.customerId ? ` for customer id ${context.customerId}` : '';
  if (Number.isNaN(requested) && callback)
    return { state: 'NotRegistered', message: callbackNotRegistered(uri, context) };
  if (Number.isNaN(requested)) {
    return {
      state: 'NotRegistered',
      message: `iManage refuses the URI (${detail}): ask iManage (through your vendor's support) to register ${uri}${customer}, then set spec.registration.requestedAt`,
    };
  }
  const age = context.now.getTime() - requested;
  if (age < REGISTRATION_WINDOW_MS) {
    return {
      state: 'Pending',
      message: `registration requested ${hours(age)} ago; iManage takes 24–48 h, so expect it within ${hours(REGISTRATION_WINDOW_MS - age)}`,
    };
  }
  return {
    state: 'Overdue',
    message: `registration was requested ${hours(age)} ago and iManage still refuses the URI (${detail}); contact iManage support (support@imanage.com) with ${uri}${customer}`,
  };
}

/** The operator's callback is registered by whoever administers the application, like the product's URIs. */
function callbackNotRegistered(uri: string, context: RegistrationContext): string {
  const cloud = context.customerId
    ? `; for iManage Cloud, ask iManage (through your vendor's support) to register it for customer id ${context.customerId}`
    : '';
  return (
    `iManage refuses the operator's sign-in callback ${uri} (invalid_redirect_uri), so the fall-back account ` +
    `cannot be linked: add it to the redirect URIs of the application in ${context.clientIdSource} in Control ` +
    `Center (Settings → Applications → the application → Authentication)${cloud}`
  );
}

const SEVERITY: readonly RegistrationState[] = ['Overdue', 'InvalidClient', 'NotRegistered', 'Unknown', 'Pending'];

export const REASON_BY_STATE: Readonly<Record<RegistrationState, string>> = {
  Registered: 'AllRegistered',
  Pending: 'RegistrationPending',
  Overdue: 'RegistrationOverdue',
  NotRegistered: 'RedirectUriNotRegistered',
  InvalidClient: 'InvalidClient',
  Unknown: 'RegistrationUnknown',
};

/** NotRegistered when only the operator's own callback is refused: its own reason, its own fix. */
export const CALLBACK_NOT_REGISTERED = 'CallbackNotRegistered';

/** The Registered condition: True only when every environment is; else the worst state leads. */
export function summarizeRegistration(envs: readonly EnvironmentRegistration[]): {
  ok: boolean;
  state: RegistrationState;
  reason: string;
  message: string;
} {
  const pending = envs.filter((e) => e.state !== 'Registered');
  if (pending.length === 0) {
    return {
      ok: true,
      state: 'Registered',
      reason: REASON_BY_STATE.Registered,
      message: envs.length ? `all ${envs.length} redirect URIs are registered` : 'no environments to register',
    };
  }
  const worst = SEVERITY.find((s) => pending.some((e) => e.state === s)) ?? 'Unknown';
  const onlyCallback = worst === 'NotRegistered' && pending.every((e) => e.state !== worst || e.callback);
  return {
    ok: false,
    state: worst,
    reason: onlyCallback ? CALLBACK_NOT_REGISTERED : REASON_BY_STATE[worst],
    message: pending.map((e) => `${e.name}: ${e.state} — ${e.message}`).join('; '),
  };
}
