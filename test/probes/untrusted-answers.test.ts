// What iManage says never goes into status as it is (issue 10). A fake iManage on loopback answers
// the probes with bodies, headers and error= values full of canary secrets, control characters and
// a bidi override; and one connection's client id is itself a canary. After the operator has read
// every answer, no canary appears in status, Events, the operator's logs (at trace) or metrics,
// and status holds only printable text.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthority, currentValidity, issueServerCertificate } from '../../simulator/tls/certs.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { startOperator, waitFor, type OperatorProcess } from '../harness/operator.ts';
import { connection, leakForms, list, secret, waitForCondition } from './helpers.ts';

const HOST = 'hostile.example';
const canaries: string[] = [];
const canary = (label: string): string => {
  const value = `CANARY${label}${randomBytes(8).toString('hex')}`;
  canaries.push(value);
  return value;
};

/** What the fake iManage answers the authorize endpoint with, chosen by the environment's host. */
const ANSWERS: Record<
  string,
  (redirectUri: string) => { status: number; headers: Record<string, string>; body: string }
> = {
  'bearer.example.com': () => ({
    status: 502,
    headers: { 'x-upstream-authorization': `Bearer ${canary('hdr')}` },
    body: `<html>\u0000\u001b[2J\u202Eproxy error: Authorization: Bearer ${canary('bearer')} client_secret=${canary('secret')} {"access_token":"${canary('access')}"}</html>`,
  }),
  'error.example.com': (redirectUri) => ({
    status: 302,
    headers: {
      location: `${redirectUri}?error=${encodeURIComponent(`${canary('error')}\u0000\u202E`)}&state=imanage-operator-probe`,
    },
    body: '',
  }),
  'plain.example.com': () => ({ status: 200, headers: {}, body: `token=${canary('plain')} secret: ${canary('sec')}` }),
  'client.example.com': () => ({
    status: 401,
    headers: {},
    body: '{"error":"invalid_client","client_id":"echoed back"}',
  }),
};

const ns = useTestNamespace('untrusted');
let server: Server;
let op: OperatorProcess;
let caPem: string;
const clientIdCanary = canary('clientid');

beforeAll(async () => {
  const ca = createAuthority('Hostile Test CA');
  caPem = ca.certPem;
  const cert = issueServerCertificate(ca, [HOST], currentValidity());
  server = createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    const url = new URL(req.url ?? '/', `https://${HOST}`);
    if (url.pathname === '/api') {
      res
        .writeHead(401, { 'www-authenticate': `Bearer error="${canary('www')}"`, 'x-debug-token': canary('xdebug') })
        .end(`{"token":"${canary('api')}"}`);
      return;
    }
    const redirectUri = url.searchParams.get('redirect_uri') ?? '';
    const answer = ANSWERS[new URL(redirectUri).hostname]!(redirectUri);
    res.writeHead(answer.status, answer.headers).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  op = await startOperator({
    namespace: ns.name,
    probes: true,
    logLevel: 'trace',
    extraArgs: ['--resolve', `${HOST}:443:127.0.0.1:${port}`, '--allow-loopback-probes', 'true'],
  });
  const onPrem = (name: string, app: string) =>
    connection(name, `https://${HOST}`, {
      clientSecretRef: app,
      caSecret: 'ca',
      environments: [{ name: 'production', baseUrl: `https://${name}.example.com` }],
    });
  await ns.apply(
    list(
      secret('app', { clientId: 'hostile-app', clientSecret: canary('appsecret') }),
      secret('canary-app', { clientId: clientIdCanary, clientSecret: canary('appsecret2') }),
      secret('ca', { 'ca.crt': caPem }),
      onPrem('bearer', 'app'),
      onPrem('error', 'app'),
      onPrem('plain', 'app'),
      onPrem('client', 'canary-app'),
    ),
  );
});

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

describe('a hostile iManage', () => {
  let outputs: Record<string, string>;

  beforeAll(async () => {
    for (const name of ['bearer', 'error', 'plain'])
      await waitForCondition(ns.name, 'imc', name, 'Ready', 'False', 'RegistrationUnknown');
    await waitForCondition(ns.name, 'imc', 'client', 'Ready', 'False', 'InvalidClient');
    const kubectl = async (args: string[]) => (await ns.kubectl(args)).stdout;
    await waitFor(
      async () =>
        (await kubectl(['get', 'events.events.k8s.io', '-o', 'name'])).split('\n').filter(Boolean).length >= 4,
      30_000,
      500,
      'an Event for every connection',
    );
    outputs = {
      status: await kubectl(['get', 'imc', '-o', 'json']),
      Events: await kubectl(['get', 'events.events.k8s.io', '-o', 'json']),
      'core Events': await kubectl(['get', 'events', '-o', 'json']),
      'operator logs': op.logs().join('\n'),
      metrics: await op.metrics(),
    };
  }, 180_000);

  it.each(['status', 'Events', 'core Events', 'operator logs', 'metrics'])('leaves no canary in %s', (where) => {
    const text = outputs[where]!;
    expect(canaries.filter((c) => leakForms(c).some((form) => text.includes(form)))).toEqual([]);
  });

  it('puts only printable text into status: no NUL, ESC or bidi override', () => {
    const messages = JSON.stringify(JSON.parse(outputs['status']!).items.map((o: { status: unknown }) => o.status));
    expect(messages).not.toMatch(/\\u0000|\\u001b|\u202E|\u0000|\u001b/);
  });

  it('says what happened in its own words, with at most a masked excerpt', () => {
    const status = outputs['status']!;
    expect(status).toMatch(/HTTP 502, not an answer iManage gives \(the page begins: .*Authorization: \[masked\] (client_secret=)?\[masked\]/);
    expect(status).toContain('iManage sent the browser back with an error it did not name in OAuth terms');
    expect(status).toContain("iManage does not know the client id in Secret 'canary-app' key clientId; check it");
  });
});
