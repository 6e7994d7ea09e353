import { describe, expect, it } from 'vitest';
import { baseConnection, mergePatch } from '../../api/validation/fixtures.ts';
import { HostOverrides } from '../../imanage/network.ts';
import { ProbeCache } from '../../imanage/probe-cache.ts';
import type { ReachabilityResult } from '../../imanage/reachability.ts';
import type { RegistrationOutcome } from '../../imanage/registration.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { createMetrics } from '../../runtime/metrics.ts';
import { connectionFacts } from '../../api/connection.ts';
import { nextProbeInMs, observeProbes, type ProbeSettings, releaseConnection } from './probes.ts';

function settings(clock: FakeClock): ProbeSettings {
  return {
    reachability: new ProbeCache<ReachabilityResult>({ clock }),
    registration: new ProbeCache<RegistrationOutcome>({ clock }),
    overrides: new HostOverrides(),
    blocked: undefined as never, // the stub senders below never consult the guard
    expiryWarningDays: 14,
    now: () => clock.now(),
    send: {
      reachability: async () => ({ outcome: { kind: 'Answered', httpStatus: 401 }, latencyMs: 3 }),
      registration: async () => ({ kind: 'Registered', via: 'redirect' }),
    },
  };
}

/** Connection i: one of 10 shared hosts for even i, a host of its own for odd i. */
function connection(i: number) {
  const host = i % 2 === 0 ? `shared-${i % 10}` : `own-${i}`;
  return mergePatch(baseConnection(), {
    metadata: { name: `c-${i}` },
    spec: { connectionType: 'OnPremise', url: `https://${host}.example.com` },
  });
}

describe('the probe caches follow the connections that exist', () => {
  it('10,000 connections created, probed and deleted leave both caches, and the metric series, empty', async () => {
    const clock = new FakeClock(0);
    const s = settings(clock);
    const metrics = createMetrics({ processMetrics: false });
    const observers = { metrics };
    for (let i = 0; i < 10_000; i++) {
      await observeProbes(s, `ns/c-${i}`, connectionFacts(connection(i)), { clientId: 'app' }, observers);
    }
    expect(s.reachability.size).toBe(5_005); // 5 shared hosts (even i % 10) + 5,000 own
    expect(s.registration.size).toBe(5_005 * 2); // two environments each
    for (let i = 0; i < 10_000; i++) releaseConnection(s, `ns/c-${i}`, observers);
    expect([s.reachability.size, s.reachability.phases, s.registration.size, s.registration.phases]).toEqual([
      0, 0, 0, 0,
    ]);
    expect(
      (await metrics.registry.getMetricsAsJSON()).flatMap((m) => m.values.filter((v) => v.labels['host'])),
    ).toEqual([]);
  });

  it('a connection moved to another host lets go of the old one', async () => {
    const clock = new FakeClock(0);
    const s = settings(clock);
    await observeProbes(s, 'ns/a', connectionFacts(connection(1)), { clientId: 'app' });
    await observeProbes(s, 'ns/a', connectionFacts(connection(3)), { clientId: 'app' });
    expect([s.reachability.size, s.registration.size]).toEqual([1, 2]);
    expect(s.reachability.hasPhase('own-1.example.com:443')).toBe(false);
  });

  it('never asks to be requeued sooner than a second, nor later than an hour', async () => {
    const clock = new FakeClock(0);
    const s = {
      ...settings(clock),
      send: {
        ...settings(clock).send!,
        reachability: async () =>
          ({
            outcome: { kind: 'Answered', httpStatus: 429, retryAfterMs: 3_600_000 },
            latencyMs: 1,
          }) as ReachabilityResult,
      },
    };
    const observed = await observeProbes(s, 'ns/a', connectionFacts(connection(1)), {});
    expect(nextProbeInMs(observed, clock.now())).toBe(3_600_000);
    expect(nextProbeInMs({ reachability: { ...observed.reachability, nextAt: new Date(-5) } }, clock.now())).toBe(
      1_000,
    );
  });
});

describe('one tenant cannot hold back the probes of another', () => {
  it("a connection whose CA does not verify the host leaves another connection's probes of it at their interval", async () => {
    const clock = new FakeClock(0);
    const base = settings(clock);
    const reached: (string | undefined)[] = [];
    const registered: (string | undefined)[] = [];
    const s: ProbeSettings = {
      ...base,
      send: {
        reachability: async (target) => {
          reached.push(target.ca);
          return target.ca
            ? { outcome: { kind: 'Answered', httpStatus: 401 }, latencyMs: 3 }
            : {
                outcome: { kind: 'TlsFailed', tls: 'UntrustedIssuer', code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
                latencyMs: 3,
              };
        },
        registration: async (request) => {
          registered.push(request.ca);
          return request.ca
            ? { kind: 'Registered', via: 'redirect' }
            : { kind: 'NotAsked', cause: 'SELF_SIGNED_CERT_IN_CHAIN' };
        },
      },
    };
    const facts = connectionFacts(connection(1));
    // The wrong CA's connection is asked first every time, as a race may order them.
    for (let t = 0; t < 1_500_000; t += 5000) {
      await observeProbes(s, 'tenant-a/no-ca', facts, { clientId: 'app' });
      await observeProbes(s, 'tenant-b/with-ca', facts, { clientId: 'app', ca: 'PRIVATE CA' });
      await clock.advance(5000);
    }
    const count = (sent: (string | undefined)[], withCa: boolean) =>
      sent.filter((ca) => (ca !== undefined) === withCa).length;
    // The default interval, 5 minutes (±10 % jitter), over 25 minutes; two environments registered.
    expect([count(reached, true), count(registered, true) / 2]).toEqual([5, 5]);
    // Backing off: at 0, then after once and twice the interval.
    expect([count(reached, false), count(registered, false) / 2]).toEqual([3, 3]);
  });
});
