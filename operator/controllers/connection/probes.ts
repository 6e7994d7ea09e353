// Runs (or reuses) the reachability and registration probes of one connection through the
// operator-wide caches, so that a host shared by many connections is probed once per interval.
// Each connection holds the cache keys it used this time; keys nobody holds are forgotten, and
// with the last key of a host its metric series go too, so memory follows what is referenced.
// Times and latencies go to metrics here; status gets only outcomes (decide.ts).

import { createHash } from 'node:crypto';
import type { HostOverrides, ProbeGuard } from '../../imanage/network.ts';
import type { Assessment, CachedProbe, HostPhases, ProbeCache } from '../../imanage/probe-cache.ts';
import { MIN_PROBE_DELAY_MS, boundedDelay } from '../../imanage/delays.ts';
import { probeReachability, type ReachabilityResult } from '../../imanage/reachability.ts';
import { lintRedirectUri, probeRegistration, type RegistrationOutcome } from '../../imanage/registration.ts';
import type { Logger } from '../../runtime/log.ts';
import type { OperatorMetrics } from '../../runtime/metrics.ts';
import { type ConnectionFacts, type Endpoint, registrationTargets } from '../../api/connection.ts';
import { assessReachability, assessRegistration } from './outcomes.ts';

export interface ProbeSettings {
  readonly reachability: ProbeCache<ReachabilityResult>;
  readonly registration: ProbeCache<RegistrationOutcome>;
  readonly overrides: HostOverrides;
  readonly blocked: ProbeGuard;
  /** Certificates expiring sooner are reported as CertificateExpiring (decide reads it). */
  readonly expiryWarningDays: number;
  readonly now: () => Date;
  /** The per-host state the probe caches share; token requests hold back while a host backs off. */
  readonly hosts?: HostPhases;
  /** What sends the probes; tests replace it. @default the network probes of imanage/ */
  readonly send?: ProbeSenders;
}

export interface ProbeSenders {
  readonly reachability: typeof probeReachability;
  readonly registration: typeof probeRegistration;
}

const NETWORK: ProbeSenders = { reachability: probeReachability, registration: probeRegistration };

/** Where probe times go, and where operators read what status keeps vague. */
export interface ProbeObservers {
  readonly metrics?: Pick<OperatorMetrics, 'probeDuration' | 'probeLastSuccess' | 'probesSent'>;
  readonly logger?: Pick<Logger, 'debug'>;
}

export interface ProbeInputs {
  readonly clientId?: string;
  readonly ca?: string;
}

export interface ObservedProbes {
  readonly reachability: CachedProbe<ReachabilityResult>;
  readonly registrations?: ReadonlyMap<string, CachedProbe<RegistrationOutcome>>;
  readonly registrationSkipped?: 'NoClientId';
}

const digest = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 16);
const fingerprint = (ca: string | undefined) => (ca ? digest(ca) : 'system-roots');

export async function observeProbes(
  settings: ProbeSettings,
  owner: string,
  facts: ConnectionFacts,
  inputs: ProbeInputs,
  observers: ProbeObservers = {},
): Promise<ObservedProbes> {
  const probed = facts.probed!;
  const reachabilityKey = `${probed.hostPort}|${fingerprint(inputs.ca)}`;
  const reachability = await settings.reachability.get(owner, {
    key: reachabilityKey,
    phase: probed.hostPort,
    intervalMs: facts.intervalMs,
    assess: assessReachability,
    probe: () => sendReachability(settings, probed, facts.timeoutMs, inputs.ca, observers),
  });
  forget(settings, observers, settings.reachability.retain(owner, [reachabilityKey]));
  if (!inputs.clientId) {
    forget(settings, observers, settings.registration.release(owner));
    return { reachability, registrationSkipped: 'NoClientId' };
  }
  const asked = await Promise.all(
    registrationTargets(facts).map(async (env) => {
      const key = registrationKey(facts.authorization!, inputs as ProbeInputs & { clientId: string }, env.redirectUri);
      const probe = await settings.registration.get(owner, {
        key,
        phase: facts.authorization!.hostPort,
        intervalMs: facts.intervalMs,
        assess: assessRegistration,
        probe: () =>
          sendRegistration(settings, facts, inputs as ProbeInputs & { clientId: string }, env.redirectUri, observers),
      });
      return { name: env.name, key, probe };
    }),
  );
  forget(
    settings,
    observers,
    settings.registration.retain(
      owner,
      asked.map((a) => a.key),
    ),
  );
  return { reachability, registrations: new Map(asked.map((a) => [a.name, a.probe])) };
}

/** The connection is gone: its keys are released, and what no other connection holds is forgotten. */
export function releaseConnection(settings: ProbeSettings, owner: string, observers: ProbeObservers = {}): void {
  forget(settings, observers, [...settings.reachability.release(owner), ...settings.registration.release(owner)]);
}

/** Keyed by host:port first, like the reachability probe, so that metrics name hosts alike. */
function registrationKey(base: Endpoint, inputs: ProbeInputs & { clientId: string }, redirectUri: string): string {
  return `${base.hostPort}|${digest(inputs.clientId)}|${redirectUri}|${fingerprint(inputs.ca)}`;
}

/** A host no key refers to any more takes its metric series with it. */
function forget(settings: ProbeSettings, observers: ProbeObservers, keys: readonly string[]): void {
  const metrics = observers.metrics;
  if (!metrics || keys.length === 0) return;
  for (const host of new Set(keys.map((k) => k.split('|')[0]!))) {
    if (settings.reachability.hasPhase(host) || settings.registration.hasPhase(host)) continue;
    for (const probe of ['reachability', 'registration']) {
      metrics.probeDuration.remove({ probe, host });
      metrics.probeLastSuccess.remove({ probe, host });
      metrics.probesSent.remove({ probe, host });
    }
  }
}

function record(observers: ProbeObservers, probe: string, host: string, seconds: number, assessment: Assessment): void {
  observers.metrics?.probeDuration.observe({ probe, host }, seconds);
  if (assessment.ok) observers.metrics?.probeLastSuccess.set({ probe, host }, Date.now() / 1000);
}

async function sendReachability(
  settings: ProbeSettings,
  endpoint: Endpoint,
  timeoutMs: number,
  ca: string | undefined,
  observers: ProbeObservers,
): Promise<ReachabilityResult> {
  const send = settings.send?.reachability ?? NETWORK.reachability;
  const result = await send(
    { host: endpoint.hostname, port: endpoint.port, ...(ca ? { ca } : {}) },
    { timeoutMs, overrides: settings.overrides, blocked: settings.blocked, now: settings.now },
  );
  record(observers, 'reachability', endpoint.hostPort, result.latencyMs / 1000, assessReachability(result));
  // Status says only "cannot connect" for these (outcomes.ts); operators get the detail.
  if (['Forbidden', 'ConnectFailed', 'Timeout'].includes(result.outcome.kind)) {
    observers.logger?.debug(
      { host: endpoint.hostPort, address: result.address, outcome: result.outcome },
      'reachability probe did not connect',
    );
  }
  return result;
}

async function sendRegistration(
  settings: ProbeSettings,
  facts: ConnectionFacts,
  inputs: ProbeInputs & { clientId: string },
  redirectUri: string,
  observers: ProbeObservers,
): Promise<RegistrationOutcome> {
  const problem = lintRedirectUri(redirectUri);
  if (problem) return { kind: 'Malformed', problem };
  const base = facts.authorization!;
  const send = settings.send?.registration ?? NETWORK.registration;
  const started = Date.now();
  const outcome = await send(
    {
      baseUrl: base.url,
      clientId: inputs.clientId,
      redirectUri,
      scope: facts.scope,
      ...(inputs.ca ? { ca: inputs.ca } : {}),
    },
    { overrides: settings.overrides, blocked: settings.blocked, timeoutMs: facts.timeoutMs },
  );
  record(observers, 'registration', base.hostPort, (Date.now() - started) / 1000, assessRegistration(outcome));
  if (outcome.kind === 'NotAsked')
    observers.logger?.debug({ host: base.hostPort, cause: outcome.cause }, 'registration probe did not connect');
  return outcome;
}

/**
 * When this connection should be looked at again: its earliest probe renewal, plus a second of
 * slack so that probes falling due together (same host phase) are renewed in one pass. Bounded,
 * whatever a server asked for.
 */
export function nextProbeInMs(probes: ObservedProbes, now: Date): number {
  const times = [probes.reachability, ...(probes.registrations?.values() ?? [])].map((p) => p.nextAt.getTime());
  return boundedDelay(Math.min(...times) - now.getTime() + 1000, undefined, MIN_PROBE_DELAY_MS);
}
