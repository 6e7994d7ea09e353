// The operator as a process behind an enterprise proxy (issue 21): with --https-proxy pointing at
// a CONNECT proxy on loopback, every request to iManage (probes, the password grant, the Work API)
// goes through the tunnel. The connection obtains its token and a repository resolves; the
// proxy sees CONNECT lines and encrypted bytes only. The --resolve entry sends each tunnel to the
// simulator on 127.0.0.1, so nothing leaves loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseRepository, mergePatch } from '../operator/api/validation/fixtures.ts';
import { type ConnectProxy, startConnectProxy } from '../operator/runtime/testing-proxy.ts';
import type { RunningSimulator, Scenario } from '../simulator/index.ts';
import { useTestNamespace } from './harness/namespace.ts';
import { type OperatorProcess, startOperator } from './harness/operator.ts';
import { caSecret, condition, connection, list, resolveToSimulator, secret } from './probes/helpers.ts';
import { startFileSimulator, waitForCondition } from './probes/helpers.ts';

const HOST = 'proxied.example';
const TIMEOUT_MS = 120_000;
const scenario = {
  hosts: [{ name: HOST, customers: ['100'] }],
  customers: [
    {
      id: '100',
      libraries: [{ id: 'ACTIVE_US', workspaces: [{ name: 'Behind The Proxy', folders: [{ name: 'Documents' }] }] }],
      users: [{ username: 'jsmith', password: 'jsmith-pass' }],
      applications: [{ clientId: 'app', clientSecret: 'app-secret', grants: ['password'], allowRefreshToken: true }],
    },
  ],
} as Scenario;

const ns = useTestNamespace('proxy');
let sim: RunningSimulator;
let proxy: ConnectProxy;
let op: OperatorProcess;

beforeAll(async () => {
  sim = await startFileSimulator(scenario);
  proxy = await startConnectProxy();
  await ns.apply(
    list(
      secret('app', { clientId: 'app', clientSecret: 'app-secret' }),
      secret('jsmith', { username: 'jsmith', password: 'jsmith-pass' }),
      caSecret('imanage-ca', sim),
      connection('acme', `https://${HOST}`, {
        clientSecretRef: 'app',
        caSecret: 'imanage-ca',
        extraSpec: { library: 'ACTIVE_US', auth: { grant: 'Password', credentialsSecretRef: { name: 'jsmith' } } },
      }),
      mergePatch(baseRepository('documents'), {
        spec: {
          connectionRef: { name: 'acme' },
          resolvers: [{ workType: '*', resolver: 'Behind The Proxy', folder: 'Documents' }],
        },
      }),
    ),
  );
  op = await startOperator({
    namespace: ns.name,
    probes: true,
    tokens: true,
    extraArgs: ['--allow-loopback-probes', 'true', '--resolve', resolveToSimulator(sim, [HOST]).join(',')],
    env: { HTTPS_PROXY: proxy.url },
  });
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await proxy?.close();
  await sim?.stop();
});

describe('behind an HTTPS_PROXY', () => {
  it('obtains the token and resolves the repository through CONNECT tunnels only', async () => {
    const acme = await waitForCondition(ns.name, 'imc', 'acme', 'TokensReady', 'True', 'Linked', TIMEOUT_MS);
    expect(condition(acme, 'Ready')).toMatchObject({ status: 'True' });
    await waitForCondition(ns.name, 'wsr', 'documents', 'Ready', 'True', 'Resolved', TIMEOUT_MS);
    const tunnel = `127.0.0.1:${sim.httpsPort}`;
    expect(proxy.connects.length).toBeGreaterThan(0);
    expect(new Set(proxy.connects)).toEqual(new Set([tunnel]));
    // The sign-in went through a tunnel, encrypted: the proxy never saw the password.
    expect(sim.requestLog({ host: HOST }).some((r) => r.path === '/auth/oauth2/token')).toBe(true);
    expect(Buffer.concat(proxy.relayed).includes('jsmith-pass')).toBe(false);
    expect(Buffer.concat(proxy.relayed).includes(HOST)).toBe(true); // SNI in the ClientHello
  });
});
