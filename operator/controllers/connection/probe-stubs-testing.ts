// Probe settings for observe tests that need the probes to pass without sending anything: the
// host answers (401 without a token), every redirect URI is registered.
import { ProbeCache } from '../../imanage/probe-cache.ts';
import type { HostOverrides, ProbeGuard } from '../../imanage/network.ts';
import type { ReachabilityResult } from '../../imanage/reachability.ts';
import type { RegistrationOutcome } from '../../imanage/registration.ts';
import type { FakeClock } from '../../runtime/clock.ts';
import type { ProbeSettings } from './probes.ts';

export function answeringProbes(
  clock: FakeClock,
  network: { readonly overrides: HostOverrides; readonly guard: ProbeGuard },
): ProbeSettings {
  return {
    reachability: new ProbeCache<ReachabilityResult>({ clock }),
    registration: new ProbeCache<RegistrationOutcome>({ clock }),
    overrides: network.overrides,
    blocked: network.guard,
    expiryWarningDays: 14,
    now: () => clock.now(),
    send: {
      reachability: async () =>
        ({ outcome: { kind: 'Answered', httpStatus: 401 }, latencyMs: 1 }) as ReachabilityResult,
      registration: async () => ({ kind: 'Registered', via: 'redirect' }) as const,
    },
  } as ProbeSettings;
}
