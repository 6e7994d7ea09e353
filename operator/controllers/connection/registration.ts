// What a registration probe's answer means for one environment, given when registration was
// requested: iManage takes 24–48 hours, so "not registered" is Pending before that and Overdue
// after. Pure: the clock is an argument.

import type { RegistrationAnswer } from '../../imanage/registration.ts';

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

export function registrationState(
  env: { name: string; redirectUri: string },
  answer: { answer: RegistrationAnswer; detail: string },
  context: { requestedAt?: string; customerId?: string; clientId?: string; now: Date },
): EnvironmentRegistration {
  const base = { name: env.name, redirectUri: env.redirectUri };
  switch (answer.answer) {
    case 'Registered':
      return { ...base, state: 'Registered', message: `iManage accepts ${env.redirectUri}` };
    case 'InvalidClient':
      return { ...base, state: 'InvalidClient', message: `iManage does not know client id '${context.clientId ?? ''}'; check clientSecretRef (or the operator's default application)` };
    case 'Unknown':
      return { ...base, state: 'Unknown', message: `could not tell whether iManage accepts ${env.redirectUri}: ${answer.detail}` };
    case 'NotRegistered':
      return { ...base, ...notRegistered(env.redirectUri, answer.detail, context) };
  }
}

function notRegistered(uri: string, detail: string, context: { requestedAt?: string; customerId?: string; now: Date }): { state: RegistrationState; message: string } {
  const requested = context.requestedAt ? Date.parse(context.requestedAt) : Number.NaN;
  const customer = context.customerId ? ` for customer id ${context.customerId}` : '';
  if (Number.isNaN(requested)) {
    return { state: 'NotRegistered', message: `iManage refuses the URI (${detail}): ask iManage (through your vendor's support) to register ${uri}${customer}, then set spec.registration.requestedAt` };
  }
  const age = context.now.getTime() - requested;
  if (age < REGISTRATION_WINDOW_MS) {
    return { state: 'Pending', message: `registration requested ${hours(age)} ago; iManage takes 24–48 h, so expect it within ${hours(REGISTRATION_WINDOW_MS - age)}` };
  }
  return { state: 'Overdue', message: `registration was requested ${hours(age)} ago and iManage still refuses the URI (${detail}); contact iManage support (support@imanage.com) with ${uri}${customer}` };
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
export function summarizeRegistration(envs: readonly EnvironmentRegistration[]): { ok: boolean; state: RegistrationState; message: string } {
  const pending = envs.filter((e) => e.state !== 'Registered');
  if (pending.length === 0) {
    return { ok: true, state: 'Registered', message: envs.length ? `all ${envs.length} redirect URIs are registered` : 'no environments to register' };
  }
  const worst = SEVERITY.find((s) => pending.some((e) => e.state === s)) ?? 'Unknown';
  return { ok: false, state: worst, message: pending.map((e) => `${e.name}: ${e.state} — ${e.message}`).join('; ') };
}
