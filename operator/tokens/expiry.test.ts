// Issue 18, finding 3: a token endpoint answering `expires_in: 0` made one connection send 246
// token requests, 228 status writes and about 490 etcd revisions in 20 s: the refresh was due at
// once, and the requeue came 1 ms later. The simulator plays iManage on loopback with an
// application whose access tokens live 0 minutes; the clock is a fake one, moved by the test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../simulator/index.ts';
import { scenario, SECRETS, VANITY } from '../../simulator/testing/fixture.ts';
import type { IManageConnection } from '../api/generated/types.ts';
import { baseConnection, mergePatch } from '../api/validation/fixtures.ts';
import { HostOverrides, ProbeGuard } from '../imanage/network.ts';
import { AccessTokens } from './access.ts';
import { Keyrings } from './envelope.ts';
import { probeIntervalMsOf, probeTimeoutMsOf } from '../api/connection.ts';
import { runTokenPass } from './execute.ts';
import type { TokenContext } from './observe.ts';
import { tokensVerdict } from './outcomes.ts';
import { MIN_REFRESH_INTERVAL_MS } from './schedule.ts';
import { TokenStore } from './store.ts';
import { MemorySecrets } from './memory-secrets-testing.ts';

const CLIENT = { clientId: 'instant-app', clientSecret: 'canary-instant-secret-5d1e' };

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator(scenario, { httpPort: false, adminPort: false });
  sim.admin.putApplication('100', {
    ...CLIENT,
    accessTokenMinutes: 0,
    grants: ['password'],
  });
});
afterAll(() => sim.stop());

const connection: IManageConnection = mergePatch(baseConnection(), {
  metadata: { namespace: 'ns', uid: 'uid-instant', generation: 1 },
  spec: { environments: null, auth: { grant: 'Password', credentialsSecretRef: { name: 'svc' } } },
});

describe('a token endpoint that answers expires_in: 0', () => {
  it('gets at most one token request per refresh floor, however often the connection is looked at', async () => {
    const secrets = new MemorySecrets();
    let nowMs = Date.now();
    const context: TokenContext = {
      store: new TokenStore(secrets as never, new Keyrings(), () => new Date(nowMs)),
      accessTokens: new AccessTokens(),
      network: {
        overrides: new HostOverrides([`${VANITY}:443:127.0.0.1:${sim.httpsPort}`]),
        guard: new ProbeGuard({ allowLoopback: true, serviceCidrs: [] }),
      },
      isLeading: () => true,
      now: () => new Date(nowMs),
      discoveries: new Map(),
      refusedSeeds: new Map(),
    };
    const pass = () =>
      runTokenPass(secrets as never, connection, context, {
        facts: { intervalMs: probeIntervalMsOf(connection), timeoutMs: probeTimeoutMsOf(connection) },
        application: CLIENT,
        ca: sim.caPem,
        credentials: { username: 'jsmith', password: SECRETS.jsmith },
      });
    const tokenRequests = () => sim.requestLog({ host: VANITY, path: '/auth/oauth2/token' }).length;
    const before = tokenRequests();

    // 20 s looked at every 250 ms: far more often than the controller's own floor would allow.
    const WINDOW_MS = 20_000;
    let last = await pass();
    for (let t = 250; t <= WINDOW_MS; t += 250) {
      nowMs += 250;
      last = await pass();
    }

    const sent = tokenRequests() - before;
    console.log(`token requests in ${WINDOW_MS / 1000} s of passes every 250 ms: ${sent}`);
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThanOrEqual(WINDOW_MS / MIN_REFRESH_INTERVAL_MS + 1);
    expect(last.failure).toMatchObject({ kind: 'ExpiresAtOnce', detail: '0 s' });
    const verdict = tokensVerdict(last, connection, new Date(nowMs));
    expect(verdict).toMatchObject({ ready: false, retried: true, reason: 'AccessTokenExpiresAtOnce' });
    expect(verdict.message).not.toContain(CLIENT.clientSecret);
  });
});
