// The callback endpoint against the simulator's real sign-in, with two replicas sharing one
// (in-memory) API server: replica A makes the sign-in URL, replica B receives the callback. A fake
// TokenSink records what would be stored. Every request stays on 127.0.0.1.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../simulator/index.ts';
import { signInThroughBrowser } from '../../simulator/testing/browser.ts';
import { send, type Received, type Target } from '../../simulator/testing/client.ts';
import { scenario, SECRETS, VANITY } from '../../simulator/testing/fixture.ts';
import type { IManageConnection } from '../api/generated/types.ts';
import { imanageConnections } from '../api/kinds.ts';
import type { IssuedTokens } from '../imanage/oauth.ts';
import { HostOverrides, ProbeGuard } from '../imanage/network.ts';
import { secrets } from '../runtime/kube/resources.ts';
import { createLogger } from '../runtime/log.ts';
import { CALLBACK_LIMITS, type CallbackServer, startCallbackServer } from './callback-server.ts';
import { InteractiveLink } from './link-service.ts';
import { LinkStore } from './link-store.ts';
import { MemoryApi } from './link-testing.ts';
import { LINK_FAILURE_ANNOTATION, lastLink, linkedAnnotations, linkFailure } from './link-annotations.ts';
import type { ConnectionIdentity, TokenSink } from './ports.ts';

const CALLBACK = 'https://imanage-operator.example.test/oauth/callback';
const LINK_SECRET = 'canary-secret-link-app-4e1b';
const OPERATOR_NS = 'imanage-system';
const CONNECTION = { namespace: 'clio', name: 'acme', uid: 'uid-acme-1' };
const JSMITH = { username: 'jsmith', password: SECRETS.jsmith };

/** Records what would be stored, and writes the link's annotations as the token store does. */
class RecordingSink implements TokenSink {
  readonly stored: { connection: ConnectionIdentity; tokens: IssuedTokens; account?: string }[] = [];
  failNext = false;
  async storeLinkedTokens(
    connection: ConnectionIdentity,
    tokens: IssuedTokens,
    account: string | undefined,
    generation: number,
  ): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('the token Secret was written meanwhile');
    }
    const previous = lastLink(await api.get(imanageConnections, connection));
    if (previous.generation !== generation) throw new Error('linked since');
    this.stored.push({ connection, tokens, ...(account ? { account } : {}) });
    const annotations = linkedAnnotations(previous, now, account);
    await api.patch(imanageConnections, connection, { metadata: { annotations } });
  }
}

let sim: RunningSimulator;
let vanity: Target;
let api: MemoryApi;
let sink: RecordingSink;
let replicaA: InteractiveLink;
let replicaB: CallbackServer;
let now = new Date();

const network = () => ({
  overrides: new HostOverrides([`${VANITY}:443:127.0.0.1:${sim.httpsPort}`]),
  guard: new ProbeGuard({ allowLoopback: true, serviceCidrs: [] }),
  timeoutMs: 5_000,
});

function connectionObject(uid: string, expectedAccount?: string): IManageConnection {
  return {
    apiVersion: 'imanage.operator.dev/v1alpha1',
    kind: 'IManageConnection',
    metadata: { ...CONNECTION, uid },
    spec: {
      connectionType: 'Hosted',
      url: `https://${VANITY}`,
      clientSecretRef: { name: 'link-app' },
      caBundleSecretRef: { name: 'sim-ca', key: 'ca.crt' },
      ...(expectedAccount ? { auth: { grant: 'AuthorizationCode', expectedAccount } } : {}),
    },
  } as IManageConnection;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

beforeAll(async () => {
  sim = await startSimulator(scenario, { httpPort: false, adminPort: false });
  sim.admin.putApplication('100', {
    clientId: 'link-app',
    clientSecret: LINK_SECRET,
    redirectUris: [CALLBACK],
    allowRefreshToken: true,
  });
  vanity = { port: sim.httpsPort, host: VANITY, ca: sim.caPem };
  api = new MemoryApi();
  api.put(secrets, {
    metadata: { name: 'link-app', namespace: 'clio' },
    data: { clientId: b64('link-app'), clientSecret: b64(LINK_SECRET) },
  });
  api.put(secrets, { metadata: { name: 'sim-ca', namespace: 'clio' }, data: { 'ca.crt': b64(sim.caPem) } });
  sink = new RecordingSink();
  replicaA = new InteractiveLink(CALLBACK, new LinkStore(api, OPERATOR_NS), network(), api);
  replicaB = await startCallbackServer({
    address: { host: '127.0.0.1', port: 0 },
    callbackUrl: CALLBACK,
    context: {
      client: api,
      store: new LinkStore(api, OPERATOR_NS),
      sink,
      network: network(),
      callbackUrl: CALLBACK,
      logger: createLogger({ level: 'silent' }),
      now: () => now,
    },
    limits: { ...CALLBACK_LIMITS, rates: { ...CALLBACK_LIMITS.rates, perSource: { burst: 10_000, perSecond: 1 } } },
  });
});
afterAll(async () => {
  await replicaB.close();
  await sim.stop();
});
beforeEach(() => {
  now = new Date();
  sink.stored.length = 0;
  api.put(imanageConnections, connectionObject(CONNECTION.uid));
});

const server = { baseUrl: new URL(`https://${VANITY}`), clientId: 'link-app', scope: 'user' };

/** Replica A's sign-in URL, signed in through the simulator: the callback URL the browser is sent to. */
async function signedIn(user = JSMITH): Promise<URL> {
  const generation = lastLink(await api.get(imanageConnections, CONNECTION)).generation;
  const signIn = await replicaA.signInUrl(CONNECTION, server, now, generation);
  return signInThroughBrowser(vanity, signIn.authorizeUrl!, user);
}

/** The browser reaching replica B with the callback's path and query (TLS ends at the Ingress). */
function deliver(callback: URL | string, method = 'GET'): Promise<Received> {
  const url = typeof callback === 'string' ? new URL(callback, CALLBACK) : callback;
  return send({ port: replicaB.port, host: url.host }, { method, path: `${url.pathname}${url.search}` });
}

function tokenRequests(): number {
  return sim.requestLog({ method: 'POST', path: '/auth/oauth2/token' }).length;
}

describe('the sign-in URL', () => {
  it('names the callback, PKCE S256 and a state, and no secret', async () => {
    const { authorizeUrl: url = '', expiresAt } = await replicaA.signInUrl(CONNECTION, server, now);
    const query = new URL(url).searchParams;
    expect(Object.fromEntries(query)).toMatchObject({
      client_id: 'link-app',
      redirect_uri: CALLBACK,
      response_type: 'code',
      code_challenge_method: 'S256',
    });
    expect(query.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(query.get('state')).toMatch(/^v1\./);
    expect(url).not.toContain(LINK_SECRET);
    expect(expiresAt.getTime() - now.getTime()).toBe(10 * 60_000 - (now.getTime() % 1000));
  });
});

describe('the callback on the other replica', () => {
  it('exchanges the code with the recomputed verifier, stores the tokens, and says so without repeating them', async () => {
    const callback = await signedIn();
    const page = await deliver(callback);
    expect(page.status).toBe(200);
    expect(page.text).toContain('The connection clio/acme is now linked to the iManage account JSMITH');
    expect(sink.stored).toHaveLength(1);
    expect(sink.stored[0]!.account).toBe('JSMITH');
    const { connection, tokens } = sink.stored[0]!;
    expect(connection).toEqual(CONNECTION);
    const me = await send(vanity, { path: '/api', headers: { 'x-auth-token': tokens.accessToken } });
    expect(me.json<{ data: { user: { customer_id: string } } }>().data.user.customer_id).toBe('100');
    for (const value of [tokens.accessToken, tokens.refreshToken!, callback.searchParams.get('code')!]) {
      expect(page.text).not.toContain(value);
    }
    expect(page.text).not.toContain(callback.searchParams.get('state')!);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers.location).toBeUndefined();
  });

  it('opens the sign-in URL through the callback: a current state goes on to iManage, an expired one stops first', async () => {
    const signIn = await replicaA.signInUrl(CONNECTION, server, now);
    expect(new URL(signIn.url).origin + new URL(signIn.url).pathname).toBe(CALLBACK);
    const start = await deliver(signIn.url);
    expect(start.status).toBe(302);
    expect(start.headers.location).toBe(signIn.authorizeUrl);
    const replaced = await replicaA.signInUrl(CONNECTION, server, now); // the Secret now holds a newer URL
    expect((await deliver(signIn.url)).text).toContain('A newer sign-in link replaced this one');
    now = new Date(now.getTime() + 10 * 60_000);
    const before = sim.requestLog({}).length;
    const expired = await deliver(replaced.url);
    expect(expired.status).toBe(400);
    expect(expired.text).toContain('This sign-in link expired');
    expect(sim.requestLog({}).length).toBe(before); // nothing at iManage: no password asked for
  });

  it('answers a reload of the success page with who is linked since when, without asking iManage', async () => {
    const callback = await signedIn();
    expect((await deliver(callback)).status).toBe(200);
    const before = tokenRequests();
    const replay = await deliver(callback);
    expect(replay.status).toBe(200);
    expect(replay.text).toContain(`Already linked`);
    expect(replay.text).toContain(`linked to the iManage account JSMITH since ${now.toISOString()}`);
    expect(tokenRequests()).toBe(before);
    expect(sink.stored).toHaveLength(1);
  });

  it('refuses an older unused sign-in URL once the connection was linked: it cannot replace the account', async () => {
    const old = await signedIn(); // the URL an onlooker kept from status
    expect((await deliver(await signedIn())).status).toBe(200); // the admin links JSMITH
    const page = await deliver(old);
    expect(page.text).toContain('Already linked');
    expect(sink.stored).toHaveLength(1);
  });

  it('refuses an account other than spec.auth.expectedAccount, revoking its tokens, and keeps the URL usable', async () => {
    api.put(imanageConnections, connectionObject(CONNECTION.uid, 'svc-link'));
    const callback = await signedIn();
    const page = await deliver(callback);
    expect(page.status).toBe(403);
    expect(page.text).toContain('may only be linked by svc-link');
    expect(page.text).toContain('you signed in as JSMITH');
    expect(sink.stored).toEqual([]);
    expect(linkFailure(await api.get(imanageConnections, CONNECTION))?.reason).toBe('WrongAccount');
    api.put(imanageConnections, connectionObject(CONNECTION.uid, 'jsmith')); // matched without regard to case
    expect((await deliver(await signedIn())).status).toBe(200);
  });

  it('refuses a sign-in for a connection deleted and re-created under the same name (another uid)', async () => {
    const callback = await signedIn();
    api.put(imanageConnections, connectionObject('uid-acme-2'));
    const before = tokenRequests();
    const page = await deliver(callback);
    expect(page.status).toBe(400);
    expect(page.text).toContain('no longer exists');
    expect(tokenRequests()).toBe(before);
    expect(sink.stored).toEqual([]);
  });

  it('refuses an expired sign-in', async () => {
    const callback = await signedIn();
    now = new Date(now.getTime() + 10 * 60_000);
    const page = await deliver(callback);
    expect(page.status).toBe(400);
    expect(page.text).toContain('This sign-in link expired');
    expect(page.text).toContain('Connection: clio/acme.');
    expect(page.text).toContain('imanage-operator link acme -n clio');
    expect(sink.stored).toEqual([]);
    const recorded = linkFailure(await api.get(imanageConnections, CONNECTION));
    expect(recorded?.reason).toBe('Expired');
  });

  it('refuses a state it did not make, and never reflects the query', async () => {
    const callback = await signedIn();
    const forged = new URL(callback);
    forged.searchParams.set('state', `${callback.searchParams.get('state')!.slice(0, -2)}AA`);
    expect((await deliver(forged)).status).toBe(400);
    const hostile = new URL(CALLBACK);
    hostile.searchParams.set('state', '<script>alert(1)</script>');
    hostile.searchParams.set('code', '<img src=x onerror=alert(2)>');
    const page = await deliver(hostile);
    expect(page.status).toBe(400);
    expect(page.text).not.toMatch(/<script|<img|alert/);
    expect(sink.stored).toEqual([]);
  });

  it('reports a refusal at iManage as Denied, naming only a well-formed error code', async () => {
    const { authorizeUrl: url = '' } = await replicaA.signInUrl(CONNECTION, server, now);
    const state = new URL(url).searchParams.get('state')!;
    const denied = new URL(CALLBACK);
    denied.search = new URLSearchParams({ error: 'access_denied', state }).toString();
    const page = await deliver(denied);
    expect(page.status).toBe(403);
    expect(page.text).toContain('iManage declined the sign-in');
    expect(page.text).toContain('error=access_denied');
    const annotations = (await api.get(imanageConnections, CONNECTION)).metadata.annotations ?? {};
    expect(JSON.parse(annotations[LINK_FAILURE_ANNOTATION]!)).toMatchObject({ reason: 'Denied' });
    denied.search = new URLSearchParams({ error: '"><b>x</b>', state }).toString();
    expect((await deliver(denied)).text).not.toContain('<b>');
  });

  it('keeps the URL usable after a failed exchange or store: the admin signs in again with it', async () => {
    const signIn = await replicaA.signInUrl(CONNECTION, server, now);
    const first = await signInThroughBrowser(vanity, signIn.authorizeUrl!, JSMITH);
    first.searchParams.set('code', 'canary-not-a-code');
    const failed = await deliver(first);
    expect(failed.status).toBe(400);
    expect(failed.text).not.toContain('canary-not-a-code');
    sink.failNext = true;
    expect((await deliver(await signInThroughBrowser(vanity, signIn.authorizeUrl!, JSMITH))).status).toBe(409);
    const again = await deliver(await signInThroughBrowser(vanity, signIn.authorizeUrl!, JSMITH));
    expect(again.status).toBe(200);
    expect(sink.stored).toHaveLength(1);
  });

  it.each([
    ['another path', '/oauth/other', 'GET', 404],
    ['POST', '/oauth/callback', 'POST', 405],
  ])('answers %s with HTTP %4$s and nothing else', async (_what, path, method, status) => {
    expect((await deliver(path, method)).status).toBe(status);
  });

  it('refuses a request body', async () => {
    const res = await send(
      { port: replicaB.port, host: 'imanage-operator.example.test' },
      { method: 'GET', path: '/oauth/callback?state=x', headers: { 'content-length': '100' }, body: 'x'.repeat(100) },
    );
    expect(res.status).toBe(413);
  });
});
