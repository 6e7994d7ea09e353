// The token-Secret takeover of issue 18 (finding 6), against the real API server with the operator
// as its own process: connection B, in A's namespace, names A's token Secret and points its url at a
// host of its own. B must get nothing (no token of A's reaches B's host, by a token request, GET /api
// or a revocation when B is deleted), and A's Secret keeps its content and its owner. An unowned
// Secret is taken over only when an annotation on it names the connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADOPT_BY_ANNOTATION } from '../../operator/tokens/store.ts';
import { TOKEN_SECRET_ANNOTATIONS } from '../../operator/tokens/format.ts';
import { PLAIN_FORMAT } from '../../operator/tokens/stored.ts';
import type { RunningSimulator, Scenario } from '../../simulator/index.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { getObject, type OperatorProcess, startOperator, waitFor } from '../harness/operator.ts';
import {
  caSecret,
  condition,
  connection,
  list,
  resolveToSimulator,
  secret,
  startFileSimulator,
  waitForCondition,
} from '../probes/helpers.ts';

const VICTIM = 'victim.example';
const ATTACKER = 'attacker.example';
const app = (clientId: string) => ({ clientId, clientSecret: `${clientId}-secret`, allowRefreshToken: true });
// Both hosts serve the same customer, so a token of A's would be accepted at B's host: only the
// operator's rule can stop it.
const scenario = {
  hosts: [VICTIM, ATTACKER].map((name) => ({ name, customers: ['100'] })),
  customers: [
    {
      id: '100',
      libraries: [{ id: 'ACTIVE_US' }],
      users: [
        { username: 'jsmith', password: 'jsmith-pass' },
        { username: 'mallory', password: 'mallory-pass' },
      ],
      applications: [app('victim-app'), app('attacker-app')],
    },
  ],
} as Scenario;

const ns = useTestNamespace('takeover');
let sim: RunningSimulator;
let op: OperatorProcess;

const onHost = (name: string, url: string, clientSecretRef: string, user: string, tokens: object = {}) =>
  connection(name, url, {
    clientSecretRef,
    caSecret: 'imanage-ca',
    extraSpec: { library: 'ACTIVE_US', auth: { grant: 'Password', credentialsSecretRef: { name: user } }, tokens },
  });

interface SecretJson {
  metadata: { ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[] };
  data: Record<string, string>;
}
const readSecret = (name: string) => getObject<SecretJson>(ns.name, 'secret', name);
const plain = (s: SecretJson | undefined, key: string) => Buffer.from(s?.data[key] ?? '', 'base64').toString();

/** Requests to B's host that carry, or could only carry, a token or a client secret. */
function tokenBearing(host: string) {
  return sim
    .requestLog({ host })
    .filter(
      (r) =>
        r.path.startsWith('/auth/oauth2/token') ||
        r.path.startsWith('/auth/oauth2/revoke') ||
        r.path.startsWith('/work') ||
        (r.path === '/api' && r.status !== 401),
    );
}

beforeAll(async () => {
  sim = await startFileSimulator(scenario);
  await ns.apply(
    list(
      secret('victim-app', { clientId: 'victim-app', clientSecret: 'victim-app-secret' }),
      secret('attacker-app', { clientId: 'attacker-app', clientSecret: 'attacker-app-secret' }),
      secret('jsmith', { username: 'jsmith', password: 'jsmith-pass' }),
      secret('mallory', { username: 'mallory', password: 'mallory-pass' }),
      caSecret('imanage-ca', sim),
      onHost('a', `https://${VICTIM}`, 'victim-app', 'jsmith'),
    ),
  );
  op = await startOperator({
    namespace: ns.name,
    probes: true,
    tokens: true,
    resyncPeriod: '1s',
    extraArgs: ['--allow-loopback-probes', 'true', '--resolve', resolveToSimulator(sim, [VICTIM, ATTACKER]).join(',')],
  });
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await sim?.stop();
});

describe('a connection naming another connection’s token Secret', () => {
  it('gets nothing from it, says whose it is and what to do, and leaves it as it was', async () => {
    const a = await waitForCondition(ns.name, 'imc', 'a', 'TokensReady', 'True', 'Linked');
    const before = await readSecret('a-tokens');
    expect(before?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'IManageConnection', name: 'a', uid: a.metadata?.uid, controller: true }),
    ]);
    await ns.apply(list(onHost('b', `https://${ATTACKER}`, 'attacker-app', 'mallory', { secretName: 'a-tokens' })));
    const b = await waitForCondition(ns.name, 'imc', 'b', 'TokensReady', 'False', 'TokenSecretNotOwned');
    const words = condition(b, 'TokensReady')?.message ?? '';
    expect(words).toMatch(
      /^Secret 'a-tokens' was not created by this connection: its controller is IManageConnection a/,
    );
    expect(words).toMatch(/set spec\.tokens\.secretName to a Secret of this connection's own/);
    expect(JSON.stringify(b.status)).not.toContain(plain(before, 'access_token'));
    // Several reconciles (resync 1 s) after the refusal: still nothing went to B's host.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(tokenBearing(ATTACKER)).toEqual([]);
    const after = await readSecret('a-tokens');
    expect(after?.data).toEqual(before?.data);
    expect(after?.metadata.ownerReferences).toEqual(before?.metadata.ownerReferences);
  });

  it('deleting it revokes nothing at its host and leaves the Secret to its owner', async () => {
    const before = await readSecret('a-tokens');
    await ns.kubectl(['delete', 'imc', 'b', '--wait=true', '--timeout=30s']);
    expect(tokenBearing(ATTACKER)).toEqual([]);
    const after = await readSecret('a-tokens');
    expect(after?.data).toEqual(before?.data);
    expect(after?.metadata.ownerReferences).toEqual(before?.metadata.ownerReferences);
  });
});

describe('adoption', () => {
  it('takes over an unowned Secret only when its adopt-by annotation names the connection', async () => {
    const a = await readSecret('a-tokens');
    const copy = (annotations: Record<string, string>) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'handover', annotations: { [TOKEN_SECRET_ANNOTATIONS.format]: PLAIN_FORMAT, ...annotations } },
      data: a?.data,
    });
    await ns.apply(
      list(copy({}), onHost('c', `https://${VICTIM}`, 'victim-app', 'jsmith', { secretName: 'handover' })),
    );
    const refused = await waitForCondition(ns.name, 'imc', 'c', 'TokensReady', 'False', 'TokenSecretNotOwned');
    expect(condition(refused, 'TokensReady')?.message).toContain(
      `kubectl annotate secret handover ${ADOPT_BY_ANNOTATION}=c`,
    );
    await ns.kubectl(['annotate', 'secret', 'handover', `${ADOPT_BY_ANNOTATION}=c`]);
    const c = await waitForCondition(ns.name, 'imc', 'c', 'TokensReady', 'True', 'Linked');
    await waitFor(
      async () => (await readSecret('handover'))?.metadata.ownerReferences?.[0]?.uid === c.metadata?.uid,
      60_000,
      500,
      'the adopted Secret owned by c',
    );
  });
});
