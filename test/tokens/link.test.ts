// The interactive link end to end (issue 11), with two operator replicas on the real API server
// and the simulator as iManage: the leader puts a sign-in URL in status, `imanage-operator link`
// prints it, an admin signs in (simulator/testing/browser.ts plays the browser), iManage sends the
// browser to the callback, which here reaches the replica that does NOT lead; it stores the
// tokens, and the connection becomes TokensReady=True and Ready with its token Secret. Every
// request stays on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator, Scenario } from '../../simulator/index.ts';
import { signInThroughBrowser } from '../../simulator/testing/browser.ts';
import { send } from '../../simulator/testing/client.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { callbackOperatorArgs, callbackPort, runLink, signInUrlOf } from './link-cli.ts';
import {
  getObject,
  type KubeJson,
  metricValue,
  type OperatorProcess,
  startOperator,
  waitFor,
} from '../harness/operator.ts';
import {
  caSecret,
  condition,
  connection,
  list,
  secret,
  startFileSimulator,
} from '../probes/helpers.ts';

const HOST = 'link.example';
const CALLBACK = 'https://imanage-operator.example.test/oauth/callback';
const LEASE = 'imanage-operator-link-test';
const NAME = 'linked';
const scenario = {
  hosts: [{ name: HOST, customers: ['100'] }],
  customers: [
    {
      id: '100',
      libraries: [{ id: 'ACTIVE_US' }],
      users: [{ username: 'jsmith', password: 'jsmith-pass' }],
      applications: [
        { clientId: 'link-app', clientSecret: 'link-app-secret', redirectUris: [CALLBACK], allowRefreshToken: true },
      ],
    },
  ],
} as Scenario;

const ns = useTestNamespace('link');
let sim: RunningSimulator;
let replicas: OperatorProcess[];

/** Each replica serves the callback on its own loopback port; its log says which. */
interface TokensStatus {
  readonly signInSecret?: string;
  readonly secretName?: string;
  readonly account?: string;
}
const tokensOf = (object: KubeJson | undefined) => (object?.status?.['tokens'] ?? {}) as TokensStatus;

function startReplica(identity: string): Promise<OperatorProcess> {
  return startOperator({
    namespace: ns.name,
    identity,
    leaderElectionId: LEASE,
    probes: true,
    tokens: true,
    extraArgs: callbackOperatorArgs(sim, [HOST], CALLBACK),
  });
}

async function leaderAndFollower(): Promise<[OperatorProcess, OperatorProcess]> {
  return waitFor(
    async () => {
      const flags = await Promise.all(
        replicas.map(async (op) => metricValue(await op.metrics(), 'imanage_operator_leader')),
      );
      if (flags.filter((f) => f === 1).length !== 1) return false;
      const leader = replicas[flags.indexOf(1)]!;
      return [leader, replicas.find((op) => op !== leader)!] as [OperatorProcess, OperatorProcess];
    },
    60_000,
    200,
    'exactly one leader',
  );
}

beforeAll(async () => {
  sim = await startFileSimulator(scenario);
  await ns.apply(
    list(
      secret('link-app', { clientId: 'link-app', clientSecret: 'link-app-secret' }),
      caSecret('imanage-ca', sim),
      connection(NAME, `https://${HOST}`, {
        clientSecretRef: 'link-app',
        caSecret: 'imanage-ca',
        extraSpec: { library: 'ACTIVE_US', auth: { grant: 'AuthorizationCode' } },
      }),
    ),
  );
  replicas = await Promise.all([startReplica('link-a'), startReplica('link-b')]);
});
afterAll(() => sim.stop());

describe('interactive link with two replicas', () => {
  it('status URL → link prints it → sign-in → callback on the non-leader → Secret → TokensReady and Ready', async () => {
    const [leader, follower] = await leaderAndFollower();
    const signInUrl = await waitFor(
      async () => tokensOf(await getObject<KubeJson>(ns.name, 'imc', NAME)).signInSecret && signInUrlOf(ns.name, NAME),
      60_000,
      250,
      'the sign-in URL in the Secret status.tokens.signInSecret names',
    );
    expect(new URL(signInUrl).searchParams.get('redirect_uri')).toBe(CALLBACK);

    const link = runLink([NAME, '-n', ns.name, '--timeout', '2m']);
    const opened = (await signInUrlOf(ns.name, NAME, 'url'))!; // the callback, which leads to signInUrl
    await waitFor(async () => link.out().includes(opened), 30_000, 100, '`link` printing the sign-in URL');

    const callback = await signInThroughBrowser({ port: sim.httpsPort, host: HOST, ca: sim.caPem }, signInUrl, {
      username: 'jsmith',
      password: 'jsmith-pass',
    });
    expect(`${callback.origin}${callback.pathname}`).toBe(CALLBACK);
    const page = await send(
      { port: await callbackPort(follower), host: callback.host },
      { path: `${callback.pathname}${callback.search}` },
    );
    expect(page.status, page.text).toBe(200);
    expect(page.text).toContain(`connection ${ns.name}/${NAME}`);

    const linked = await waitFor(
      async () => {
        const object = await getObject<KubeJson>(ns.name, 'imc', NAME);
        const ready = condition(object, 'Ready');
        return condition(object, 'TokensReady')?.status === 'True' && ready?.status === 'True' && object;
      },
      90_000,
      250,
      'TokensReady=True and Ready=True',
    );
    const secretName = tokensOf(linked).secretName ?? `${NAME}-tokens`;
    expect(await getObject(ns.name, 'secret', secretName)).toBeDefined();
    expect(tokensOf(linked).signInSecret).toBeUndefined();
    // No token response names the user: GET /api does, and the plain/v1 Secret records it for the product.
    expect(tokensOf(linked).account).toBe('JSMITH');
    const stored = await waitFor(
      async () => (await getObject<{ data?: Record<string, string> }>(ns.name, 'secret', secretName))?.data?.['account'],
      30_000,
      250,
      'the account in the token Secret',
    );
    expect(Buffer.from(stored, 'base64').toString()).toBe('JSMITH');

    expect(await link.exited).toBe(0);
    expect(link.out()).toMatch(new RegExp(`Linked ${ns.name}/${NAME}`));
    const answered = (op: OperatorProcess) => op.entries().filter((e) => e.msg === 'link: callback answered');
    expect(answered(follower).map((e) => e['result'])).toEqual(['Linked']);
    expect(answered(leader)).toEqual([]);
    for (const op of replicas) expect(op.logs().join('\n')).not.toContain(callback.searchParams.get('code')!);
    // Each line names the connection once: JSON tools keep only one of two `name` keys (issue 23).
    const linkLines = replicas.flatMap((op) => op.logs()).filter((l) => l.includes('"msg":"link:'));
    expect(linkLines.length).toBeGreaterThan(0);
    for (const line of linkLines) expect(line.match(/"name":/g)?.length ?? 0, line).toBeLessThanOrEqual(1);
  });
});
