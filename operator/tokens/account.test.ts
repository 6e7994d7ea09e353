// The account the tokens act as (issue 11): no token response names the user, GET /api does
// (data.user.id). The token pass records it in the payload it first stores, keeps it
// through refreshes without writing again, and writes it again only when the user changes. The
// simulator plays iManage on loopback; the token Secret lives in an in-memory API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../simulator/index.ts';
import { scenario, SECRETS, VANITY } from '../../simulator/testing/fixture.ts';
import type { IManageConnection } from '../api/generated/types.ts';
import { baseConnection, mergePatch } from '../api/validation/fixtures.ts';
import { HostOverrides, ProbeGuard } from '../imanage/network.ts';
import { HostPhases } from '../imanage/probe-cache.ts';
import { AccessTokens } from './access.ts';
import { Keyrings } from './envelope.ts';
import { runTokenPass } from './execute.ts';
import type { TokenContext } from './observe.ts';
import { TokenStore } from './store.ts';
import { MemorySecrets } from './memory-secrets-testing.ts';

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator(scenario, { httpPort: false, adminPort: false });
});
afterAll(() => sim.stop());

const connection: IManageConnection = mergePatch(baseConnection(), {
  metadata: { namespace: 'ns', uid: 'uid-1', generation: 1 },
  // A generous request timeout: on a loaded machine a token request that takes a few seconds must
  // not turn into a transient failure the test reads as a behaviour.
  spec: {
    environments: null,
    auth: { grant: 'Password', credentialsSecretRef: { name: 'svc' } },
    probes: { interval: '10m', timeout: '30s' },
  },
});

function setup(options: { hosts?: HostPhases } = {}) {
  const secrets = new MemorySecrets();
  let now = new Date();
  const context: TokenContext = {
    ...options,
    store: new TokenStore(secrets as never, new Keyrings(), () => now),
    accessTokens: new AccessTokens(),
    network: {
      overrides: new HostOverrides([`${VANITY}:443:127.0.0.1:${sim.httpsPort}`]),
      guard: new ProbeGuard({ allowLoopback: true, serviceCidrs: [] }),
    },
    isLeading: () => true,
    now: () => now,
    discoveries: new Map(),
    refusedSeeds: new Map(),
  };
  const pass = () =>
    runTokenPass(secrets as never, connection, context, {
      facts: { intervalMs: 300_000, timeoutMs: 10_000 },
      application: { clientId: 'web-app', clientSecret: SECRETS.webApp },
      ca: sim.caPem,
      credentials: { username: 'jsmith', password: SECRETS.jsmith },
    });
  const later = (minutes: number) => (now = new Date(now.getTime() + minutes * 60_000));
  return { secrets, context, pass, later };
}

describe('the account the tokens act as', () => {
  it('is recorded in the token Secret with the tokens it obtained, in one write', async () => {
    const { secrets, pass } = setup();
    const observed = await pass();
    expect(secrets.account('acme-tokens')).toBe('JSMITH');
    expect(observed.payload?.account).toBe('JSMITH');
    // Issue 22: GET /api is asked before the first store, not after it with a second write.
    expect(secrets.writes).toBe(1);
  });

  it('is kept through a refresh and a quiet pass without another write', async () => {
    const { secrets, pass, later } = setup();
    await pass();
    const afterFirst = secrets.writes;
    await pass();
    expect(secrets.writes).toBe(afterFirst); // nothing due, nothing changed
    later(28); // past refreshBefore (5m) of the 30-minute token
    const refreshed = await pass();
    expect(refreshed.discovery?.userId).toBe('JSMITH'); // GET /api asked again with the new token
    expect(secrets.writes).toBe(afterFirst + 1); // the refresh only
    expect(secrets.account('acme-tokens')).toBe('JSMITH');
  });

  it('is written again when GET /api names another user than the one recorded', async () => {
    const { secrets, pass, later } = setup();
    await pass();
    const stored = secrets.stored.get('acme-tokens')!;
    stored.data = { ...stored.data, account: Buffer.from('SOMEONE-ELSE').toString('base64') };
    later(28);
    const refreshed = await pass();
    expect(refreshed.payload?.account).toBe('JSMITH');
    expect(secrets.account('acme-tokens')).toBe('JSMITH');
  });
});

describe('a host the probes are backing off from', () => {
  const tokenRequests = () => sim.requestLog({ host: VANITY, path: '/auth/oauth2/token' }).length;

  /** The connection (namespace `ns`) set up while `tenant` backs off from its host for 60 s. */
  function backingOff(tenant: string) {
    const hosts = new HostPhases();
    const set = setup({ hosts });
    const until = set.context.now().getTime() + 60_000; // the pass's clock, not the wall's: no millisecond between them
    const backoff = { holds: 1, failures: 3, notBefore: until };
    hosts.byHost.set(`${VANITY}:443`, { jitter: 1, keys: 1, tenants: new Map([[tenant, backoff]]) });
    return set;
  }

  it("gets no token request until its namespace's backoff ends; the pass says when to come back", async () => {
    const { secrets, pass, later } = backingOff('ns');
    const sent = tokenRequests();

    const held = await pass();
    expect(held.failure).toMatchObject({ kind: 'Transient', retryAfterMs: expect.any(Number) });
    expect(held.failure?.retryAfterMs).toBeGreaterThan(0);
    expect(held.failure?.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(tokenRequests()).toBe(sent);
    expect(secrets.writes).toBe(0);

    later(2);
    const obtained = await pass();
    expect(obtained.failure).toBeUndefined();
    expect(tokenRequests()).toBe(sent + 1);
  });

  it("is not held back by another namespace's backoff from the host", async () => {
    const { pass } = backingOff('another-namespace');
    const sent = tokenRequests();
    expect((await pass()).failure).toBeUndefined();
    expect(tokenRequests()).toBe(sent + 1);
  });
});
