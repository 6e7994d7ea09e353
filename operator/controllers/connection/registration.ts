// What a registration probe's answer means for one environment, given when registration was
// requested: iManage takes 24–48 hours, so "not registered" is Pending before that and Overdue
// after. Pure: the clock is an argument.

import type { RegistrationOutcome } from '../../imanage/registration.ts';

export type RegistrationState = 'Registered' | 'Pending' | 'Overdue' | 'NotRegistered' | 'InvalidClient' | 'Unknown';

export const REGISTRATION_WINDOW_MS = 48 * 3_600_000;

export interface EnvironmentRegistration {
  readonly name: string;
  readonly redirectUri: string;
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
  env: { name: string; redirectUri: string },
  outcome: RegistrationOutcome,
  context: RegistrationContext,
): EnvironmentRegistration {
  const base = { name: env.name, redirectUri: env.redirectUri };
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
      return { ...base, ...notRegistered(env.redirectUri, context) };
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

function notRegistered(uri: string, context: RegistrationContext): { state: RegistrationState; message: string } {
  const detail = 'invalid_redirect_uri';
  const requested = context.requestedAt ? Date.parse(context.requestedAt) : Number.NaN;
  const customer = context.customerId ? ` for customer id ${context.customerId}` : '';
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

const SEVERITY: readonly RegistrationState[] = ['Overdue', 'InvalidClient', 'NotRegistered', 'Unknown', 'Pending'];

export const REASON_BY_STATE: Readonly<Record<RegistrationState, string>> = {
  Registered: 'AllRegistered',
  Pending: 'RegistrationPending',
  Overdue: 'RegistrationOverdue',
  NotRegistered: 'RedirectUriNotRegistered',
  InvalidClient: 'InvalidClient',
  Unknown: 'RegistrationUnknown',
};

/** The Registered condition: True only when every environment is; else the worst state leads. */
export function summarizeRegistration(envs: readonly EnvironmentRegistration[]): {
  ok: boolean;
  state: RegistrationState;
  message: string;
} {
  const pending = envs.filter((e) => e.state !== 'Registered');
  if (pending.length === 0) {
    return {
      ok: true,
      state: 'Registered',
      message: envs.length ? `all ${envs.length} redirect URIs are registered` : 'no environments to register',
    };
  }
  const worst = SEVERITY.find((s) => pending.some((e) => e.state === s)) ?? 'Unknown';
  return { ok: false, state: worst, message: pending.map((e) => `${e.name}: ${e.state} — ${e.message}`).join('; ') };
}
