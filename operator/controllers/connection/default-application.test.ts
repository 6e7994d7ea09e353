// Issue 18, finding 17: the operator's default application (--default-client-secret) serves every
// Cloud connection without clientSecretRef. Its secret must travel only over TLS the system's
// roots vouch for: a connection's author who could point caBundleSecretRef at a CA of their own
// (and its host at a server of their own) would otherwise receive it. Loopback only: a server
// with a certificate from the author's CA plays the host; the probes are stubbed.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthority, currentValidity, issueServerCertificate } from '../../../simulator/tls/certs.ts';
import type { IManageConnection } from '../../api/generated/types.ts';
import { baseConnection, mergePatch } from '../../api/validation/fixtures.ts';
import { HostOverrides, ProbeGuard } from '../../imanage/network.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { NotFoundError } from '../../runtime/kube/errors.ts';
import type { Secret } from '../../runtime/kube/resources.ts';
import { AccessTokens } from '../../tokens/access.ts';
import { Keyrings } from '../../tokens/envelope.ts';
import { connectionFacts } from '../../api/connection.ts';
import { MemorySecrets } from '../../tokens/memory-secrets-testing.ts';
import { observeConnection } from './observe.ts';
import { withTokens } from './controller.ts';
import { answeringProbes } from './probe-stubs-testing.ts';
import type { TokenContext } from '../../tokens/observe.ts';
import { TokenStore } from '../../tokens/store.ts';

const HOST = 'acme.cloudimanage.com';
const DEFAULT_SECRET = 'canary-operator-default-secret-7f2a';
const TENANT_SECRET = 'canary-tenant-own-secret-19bd';
const authorsCa = createAuthority('Connection author CA');
const certificate = issueServerCertificate(authorsCa, [HOST], currentValidity());
const received: string[] = [];
let server: Server;
let port = 0;

beforeAll(async () => {
  server = createServer({ key: certificate.keyPem, cert: certificate.certPem }, (req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push(body);
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error":"invalid_grant"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const data = (values: Record<string, string>) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
const SECRETS: Record<string, Secret> = {
  'operator/default-app': {
    metadata: { name: 'default-app' },
    data: data({ clientId: 'op', clientSecret: DEFAULT_SECRET }),
  },
  'team/own-app': { metadata: { name: 'own-app' }, data: data({ clientId: 'own', clientSecret: TENANT_SECRET }) },
  'team/svc': { metadata: { name: 'svc' }, data: data({ username: 'jsmith', password: 'pw' }) },
  'team/authors-ca': { metadata: { name: 'authors-ca' }, data: data({ 'ca.crt': authorsCa.certPem }) },
};
const client = {
  get: async (_r: unknown, ref: { namespace?: string; name: string }) => {
    const found = SECRETS[`${ref.namespace}/${ref.name}`];
    if (!found) throw new NotFoundError('not found', { status: 404, reason: 'NotFound' });
    return structuredClone(found);
  },
};

async function observe(spec: Record<string, unknown>) {
  const connection: IManageConnection = mergePatch(baseConnection(), {
    metadata: { namespace: 'team', uid: 'uid-1', generation: 1 },
    spec: {
      caBundleSecretRef: { name: 'authors-ca' },
      auth: { grant: 'Password', credentialsSecretRef: { name: 'svc' } },
      ...spec,
    },
  });
  const clock = new FakeClock(Date.now());
  const network = {
    overrides: new HostOverrides([`${HOST}:443:127.0.0.1:${port}`]),
    guard: new ProbeGuard({ allowLoopback: true, serviceCidrs: [] }),
  };
  const tokens: TokenContext = {
    store: new TokenStore(new MemorySecrets() as never, new Keyrings(), () => clock.now()),
    accessTokens: new AccessTokens(),
    network,
    isLeading: () => true,
    now: () => clock.now(),
    discoveries: new Map(),
    refusedSeeds: new Map(),
  };
  const settings = answeringProbes(clock, network);
  return withTokens(tokens, await observeConnection(client as never, connection, {
    facts: connectionFacts(connection),
    now: clock.now(),
    probes: { settings, defaultClientSecret: { namespace: 'operator', name: 'default-app' } },
    tokens,
  }));
}

describe("the operator's default application over a connection's own CA bundle", () => {
  it("is not sent: the author's CA does not vouch for the host to the default application", async () => {
    received.length = 0;
    const observed = await observe({});
    expect(observed.tokens?.failure).toMatchObject({ kind: 'Transient' }); // TLS refused: nothing sent
    expect(received.join('\n')).not.toContain(DEFAULT_SECRET);
    expect(received).toEqual([]);
  });

  it("the connection's own application still uses its own CA bundle (the server above is reached)", async () => {
    received.length = 0;
    await observe({ connectionType: 'Hosted', clientSecretRef: { name: 'own-app' } });
    expect(received.join('\n')).toContain(encodeURIComponent(TENANT_SECRET).replaceAll('%20', '+'));
  });
});
