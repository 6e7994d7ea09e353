// Unencrypted tokens (issue 18, finding 14), against the real API server with the operator as its
// own process: a connection without spec.tokens.encryption gets one Warning Event that says why it
// matters, not one per reconcile; an operator run with --require-token-encryption obtains no token
// for such a connection, sends nothing to its host, and says what to set.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator, Scenario } from '../../simulator/index.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { getObject, listObjects, type OperatorProcess, startOperator } from '../harness/operator.ts';
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

const PLAIN = 'plain.example';
const REFUSED = 'refused.example';
const scenario = {
  hosts: [PLAIN, REFUSED].map((name) => ({ name, customers: ['100'] })),
  customers: [
    {
      id: '100',
      libraries: [{ id: 'ACTIVE_US' }],
      users: [{ username: 'jsmith', password: 'jsmith-pass' }],
      applications: [{ clientId: 'own', clientSecret: 'own-secret', allowRefreshToken: true }],
    },
  ],
} as Scenario;

const ns = useTestNamespace('plain');
let sim: RunningSimulator;
let op: OperatorProcess | undefined;

const onHost = (name: string, host: string) =>
  connection(name, `https://${host}`, {
    clientSecretRef: 'own',
    caSecret: 'imanage-ca',
    extraSpec: { library: 'ACTIVE_US', auth: { grant: 'Password', credentialsSecretRef: { name: 'jsmith' } } },
  });

const operator = (extraArgs: string[] = []) =>
  startOperator({
    namespace: ns.name,
    probes: true,
    tokens: true,
    resyncPeriod: '1s',
    extraArgs: [
      '--allow-loopback-probes',
      'true',
      '--resolve',
      resolveToSimulator(sim, [PLAIN, REFUSED]).join(','),
      ...extraArgs,
    ],
  });

interface EventJson {
  reason: string;
  type: string;
  note?: string;
  series?: { count: number };
  regarding?: { name?: string };
}

beforeAll(async () => {
  sim = await startFileSimulator(scenario);
  await ns.apply(
    list(
      secret('own', { clientId: 'own', clientSecret: 'own-secret' }),
      secret('jsmith', { username: 'jsmith', password: 'jsmith-pass' }),
      caSecret('imanage-ca', sim),
    ),
  );
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await sim?.stop();
});

describe('tokens stored unencrypted', () => {
  it('one Warning Event says why it matters, however many reconciles follow', async () => {
    op = await operator();
    await ns.apply(list(onHost('plain', PLAIN)));
    const linked = await waitForCondition(ns.name, 'imc', 'plain', 'TokensReady', 'True', 'Linked');
    expect(condition(linked, 'TokensReady')?.message).toMatch(/plain\/v1: whoever may read Secrets in this namespace/);
    // --resync-period 1s: several reconciles of a connection whose tokens stay plain.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const warnings = (await listObjects<EventJson>(ns.name, 'events.events.k8s.io')).filter(
      (e) => e.regarding?.name === 'plain' && e.reason === 'TokensNotEncrypted',
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ type: 'Warning' });
    expect(warnings[0]?.series).toBeUndefined();
    expect(warnings[0]?.note).toMatch(/set spec\.tokens\.encryption/);
    await op.stop();
    op = undefined;
  });
});

describe('--require-token-encryption', () => {
  it('obtains no token without spec.tokens.encryption, sends nothing to the host, and says what to set', async () => {
    op = await operator(['--require-token-encryption', 'true']);
    await ns.apply(list(onHost('refused', REFUSED)));
    const refused = await waitForCondition(
      ns.name,
      'imc',
      'refused',
      'TokensReady',
      'False',
      'TokenEncryptionRequired',
    );
    expect(condition(refused, 'Ready')).toMatchObject({ status: 'False', reason: 'TokenEncryptionRequired' });
    expect(condition(refused, 'TokensReady')?.message).toMatch(
      /runs with --require-token-encryption .* set spec\.tokens\.encryption/,
    );
    expect(sim.requestLog({ host: REFUSED, path: '/auth/oauth2/token' })).toEqual([]);
    expect(await getObject(ns.name, 'secret', 'refused-tokens')).toBeUndefined();
  });
});
