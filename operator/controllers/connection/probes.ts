// Runs (or reuses) the reachability and registration probes of one connection through the
// operator-wide caches, so that a host shared by many connections is probed once per interval.

import { createHash } from 'node:crypto';
import type { IManageConnection } from '../../api/generated/types.ts';
import { goDurationMs } from '../../api/duration.ts';
import { effectiveRedirectUris } from '../../api/validation/index.ts';
import type { HostOverrides, ProbeGuard } from '../../imanage/network.ts';
import type { CachedProbe, ProbeCache, ProbeOutcome } from '../../imanage/probe-cache.ts';
import { probeReachability, type ReachabilityResult } from '../../imanage/reachability.ts';
import { lintRedirectUri, probeRegistration, type RegistrationResult } from '../../imanage/registration.ts';
import type { ObservedEnvironment } from './observed.ts';

export type Reachability = ReachabilityResult & ProbeOutcome;
export type Registration = RegistrationResult & ProbeOutcome;

export interface ProbeSettings {
  readonly reachability: ProbeCache<Reachability>;
  readonly registration: ProbeCache<Registration>;
  readonly overrides: HostOverrides;
  readonly blocked: ProbeGuard;
  readonly expiryWarningDays: number;
  readonly now: () => Date;
}

export interface ProbeInputs {
  readonly clientId?: string;
  readonly ca?: string;
}

export interface ObservedProbes {
  readonly reachability: CachedProbe<Reachability>;
  readonly registrations?: readonly ObservedEnvironment[];
  readonly registrationSkipped?: string;
}

const fingerprint = (ca: string | undefined) => (ca ? createHash('sha256').update(ca).digest('hex').slice(0, 16) : 'system-roots');

function timing(connection: IManageConnection): { intervalMs: number; timeoutMs: number } {
  return { intervalMs: goDurationMs(connection.spec.probes?.interval ?? '5m'), timeoutMs: goDurationMs(connection.spec.probes?.timeout ?? '10s') };
}

export async function observeProbes(settings: ProbeSettings, connection: IManageConnection, inputs: ProbeInputs): Promise<ObservedProbes> {
  const { intervalMs, timeoutMs } = timing(connection);
  const api = new URL(connection.spec.apiUrl ?? connection.spec.url);
  const port = Number(api.port || 443);
  const host = `${api.hostname}:${port}`;
  const reachability = await settings.reachability.get(`${host}|${fingerprint(inputs.ca)}`, intervalMs, async () => {
    const result = await probeReachability({ host: api.hostname, port, ...(inputs.ca ? { ca: inputs.ca } : {}) },
      { timeoutMs, overrides: settings.overrides, blocked: settings.blocked, expiryWarningDays: settings.expiryWarningDays, now: settings.now });
    return { ...result, ok: result.reachable, ...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}) };
  }, api.hostname);
  if (!inputs.clientId) {
    return { reachability, registrationSkipped: 'no client id to ask iManage with: set spec.clientSecretRef, or give the operator a default application (--default-client-secret) for Cloud connections' };
  }
  const registrations = await Promise.all(effectiveRedirectUris(connection.spec).map(async (env) => ({
    name: env.name,
    redirectUri: env.redirectUri,
    probe: await registrationProbe(settings, connection, inputs as Required<Pick<ProbeInputs, 'clientId'>> & ProbeInputs, env.redirectUri, { intervalMs, timeoutMs }),
  })));
  return { reachability, registrations };
}

function registrationProbe(
  settings: ProbeSettings, connection: IManageConnection, inputs: ProbeInputs & { clientId: string },
  redirectUri: string, t: { intervalMs: number; timeoutMs: number },
): Promise<CachedProbe<Registration>> {
  const base = new URL(connection.spec.url);
  // Keyed by host:port first, like the reachability probe, so that metrics name hosts alike.
  const key = `${base.hostname}:${base.port || 443}|${inputs.clientId}|${redirectUri}|${fingerprint(inputs.ca)}`;
  return settings.registration.get(key, t.intervalMs, async () => {
    const lint = lintRedirectUri(redirectUri);
    if (lint) return { answer: 'NotRegistered', detail: `not sent to iManage: the redirect URI ${lint}, and iManage compares redirect URIs exactly`, ok: true };
    const result = await probeRegistration(
      { baseUrl: base, clientId: inputs.clientId, redirectUri, scope: connection.spec.auth?.scope ?? 'user', ...(inputs.ca ? { ca: inputs.ca } : {}) },
      { overrides: settings.overrides, blocked: settings.blocked, timeoutMs: t.timeoutMs },
    );
    return { ...result, ok: result.answer !== 'Unknown' };
  }, base.hostname);
}

/**
 * When this connection should be looked at again: its earliest probe renewal, plus a second of
 * slack so that probes falling due together (same host phase) are renewed in one pass.
 */
export function nextProbeInMs(probes: ObservedProbes, now: Date): number {
  const times = [probes.reachability.nextAt, ...(probes.registrations ?? []).map((r) => r.probe.nextAt)].map((d) => d.getTime());
  return Math.max(1000, Math.min(...times) - now.getTime() + 1000);
}
