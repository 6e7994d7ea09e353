// The REST client and the configuration loader against the real API server: every verb, the
// typed errors as the server really produces them, and each way of authenticating.
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dump } from 'js-yaml';
import { FakeClock } from '../../operator/runtime/clock.ts';
import { staticCredentials } from '../../operator/runtime/kube/auth.ts';
import { KubeClient } from '../../operator/runtime/kube/client.ts';
import { loadClusterConfig, type ClusterConfig } from '../../operator/runtime/kube/config.ts';
import {
  ApiError,
  ConflictError,
  ForbiddenError,
  InvalidError,
  NotFoundError,
  TransientApiError,
} from '../../operator/runtime/kube/errors.ts';
import {
  configMaps,
  events,
  leases,
  secrets,
  type ConfigMap,
  type KubeObject,
  type Resource,
} from '../../operator/runtime/kube/resources.ts';
import { imanageConnections, workspaceRepositories } from '../../operator/api/kinds.ts';
import { startConnectProxy } from '../../operator/runtime/testing-proxy.ts';
import { useTestNamespace } from '../harness/namespace.ts';

const ns = useTestNamespace('kube-client');

let admin: KubeClient;
let adminConfig: ClusterConfig;
let adminToken: string;
let dir: string;

beforeAll(async () => {
  adminConfig = await loadClusterConfig({ kubeconfig: inject('kubeconfigPath'), env: {} });
  adminToken = (await adminConfig.authenticator.credentials()).token!;
  admin = new KubeClient(adminConfig);
  dir = await mkdtemp(join(tmpdir(), 'kube-client-'));
});

afterAll(async () => {
  admin?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    return error as ApiError;
  }
  throw new Error('expected the call to fail');
}

/**
 * Retries while the server answers with a transient error, as the operator's queue would. Right
 * after a CRD is established its storage may still answer 429 "storage is (re)initializing".
 */
async function untilServed<T>(call: () => Promise<T>, alsoRetry?: (error: unknown) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      const retry = error instanceof TransientApiError || alsoRetry?.(error) === true;
      if (!retry || Date.now() > deadline) throw error;
      const advised = error instanceof TransientApiError ? (error.retryAfterMs ?? 0) : 0;
      await new Promise((resolve) => setTimeout(resolve, Math.max(100, Math.min(advised, 1000))));
    }
  }
}

const configMap = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>): ConfigMap => ({
  metadata: { namespace: ns.name, name, ...(labels ? { labels } : {}) },
  data,
});

describe('verbs on ConfigMaps', () => {
  it('creates, reads, lists with selectors, replaces and deletes', async () => {
    const created = await admin.create(configMaps, configMap('crud', { a: '1' }, { suite: 'crud' }));
    expect(created.metadata.uid).toBeTruthy();
    await admin.create(configMaps, configMap('crud-other', {}, { suite: 'crud' }));
    expect((await admin.get(configMaps, { namespace: ns.name, name: 'crud' })).data).toEqual({ a: '1' });

    const byLabel = await admin.list(configMaps, { namespace: ns.name, labelSelector: 'suite=crud' });
    expect(byLabel.items.map((item) => item.metadata.name).sort()).toEqual(['crud', 'crud-other']);
    expect(byLabel.metadata.resourceVersion).toBeTruthy();
    const byField = await admin.list(configMaps, { namespace: ns.name, fieldSelector: 'metadata.name=crud' });
    expect(byField.items.map((item) => item.metadata.name)).toEqual(['crud']);
    const firstPage = await admin.list(configMaps, { namespace: ns.name, labelSelector: 'suite=crud', limit: 1 });
    expect(firstPage.items).toHaveLength(1);
    const secondPage = await admin.list(configMaps, { namespace: ns.name, labelSelector: 'suite=crud', limit: 1, continue: firstPage.metadata.continue! });
    expect(secondPage.items).toHaveLength(1);
    expect(secondPage.items[0]!.metadata.name).not.toBe(firstPage.items[0]!.metadata.name);

    const replaced = await admin.replace(configMaps, { ...created, data: { a: '2' } });
    expect(replaced.data).toEqual({ a: '2' });

    await admin.delete(configMaps, { namespace: ns.name, name: 'crud' });
    const gone = await rejection(admin.get(configMaps, { namespace: ns.name, name: 'crud' }));
    expect(gone).toBeInstanceOf(NotFoundError);
    expect(gone).toMatchObject({ status: 404, reason: 'NotFound' });
  });

  it('reports a stale resourceVersion and an existing name as conflicts', async () => {
    const created = await admin.create(configMaps, configMap('conflict'));
    await admin.replace(configMaps, { ...created, data: { x: 'first' } });
    const stale = await rejection(admin.replace(configMaps, { ...created, data: { x: 'second' } }));
    expect(stale).toBeInstanceOf(ConflictError);
    expect(stale.reason).toBe('Conflict');
    const exists = await rejection(admin.create(configMaps, configMap('conflict')));
    expect(exists).toBeInstanceOf(ConflictError);
    expect(exists.reason).toBe('AlreadyExists');
    const wrongUid = await rejection(admin.delete(configMaps, { namespace: ns.name, name: 'conflict' }, { preconditions: { uid: 'not-the-uid' } }));
    expect(wrongUid).toBeInstanceOf(ConflictError);
  });

  it('merge-patches and JSON-patches', async () => {
    await admin.create(configMaps, configMap('patch', { keep: 'k', drop: 'd' }));
    const merged = await admin.patch(configMaps, { namespace: ns.name, name: 'patch' }, { data: { drop: null, added: 'a' } });
    expect(merged.data).toEqual({ keep: 'k', added: 'a' });
    const patched = await admin.patch(configMaps, { namespace: ns.name, name: 'patch' }, [{ op: 'replace', path: '/data/keep', value: 'K' }], { type: 'json' });
    expect(patched.data).toEqual({ keep: 'K', added: 'a' });
  });

  it('applies server-side, owning fields per manager, and forces a conflict when told to', async () => {
    const ref = configMap('apply', { owned: 'by-a' });
    await admin.apply(configMaps, ref, { fieldManager: 'manager-a' });
    const conflict = await rejection(admin.apply(configMaps, configMap('apply', { owned: 'by-b' }), { fieldManager: 'manager-b' }));
    expect(conflict).toBeInstanceOf(ConflictError);
    expect(conflict.reason).toBe('Conflict');
    const forced = await admin.apply(configMaps, configMap('apply', { owned: 'by-b' }), { fieldManager: 'manager-b', force: true });
    expect(forced.data).toEqual({ owned: 'by-b' });
    expect(forced.metadata.managedFields?.map((entry) => (entry as { manager: string }).manager)).toContain('manager-b');
  });

  it('does nothing on a dry run', async () => {
    await admin.create(configMaps, configMap('dry'), { dryRun: true });
    expect(await rejection(admin.get(configMaps, { namespace: ns.name, name: 'dry' }))).toBeInstanceOf(NotFoundError);
  });

  it('carries the field paths of an invalid object, never the Secret value', async () => {
    const secretValue = 'TOP-SECRET-VALUE-42';
    const invalid = await rejection(
      admin.create(secrets, { metadata: { namespace: ns.name, name: 'bad' }, stringData: { 'not a valid key!': secretValue } } as KubeObject),
    );
    expect(invalid).toBeInstanceOf(InvalidError);
    expect(invalid).toMatchObject({ status: 422, reason: 'Invalid' });
    expect((invalid as InvalidError).fieldPaths).toEqual(['data[not a valid key!]']);
    expect(invalid.message).not.toContain(secretValue);
  });
});

describe('resource descriptors', () => {
  it('reaches Secrets, Leases and events.k8s.io Events', async () => {
    const secret = await admin.create(secrets, { metadata: { namespace: ns.name, name: 's' }, stringData: { k: 'v' } });
    expect((await admin.get(secrets, { namespace: ns.name, name: 's' })).data).toEqual({ k: Buffer.from('v').toString('base64') });
    await admin.create(leases, { metadata: { namespace: ns.name, name: 'leader' }, spec: { holderIdentity: 'me', leaseDurationSeconds: 15 } });
    expect((await admin.get(leases, { namespace: ns.name, name: 'leader' })).spec?.holderIdentity).toBe('me');
    const event = await admin.create(events, {
      metadata: { namespace: ns.name, name: 'e1' },
      eventTime: new Date().toISOString().replace(/Z$/, '000Z'),
      reportingController: 'imanage.operator.dev/test',
      reportingInstance: 'test-1',
      action: 'Reconcile',
      reason: 'Tested',
      type: 'Normal',
      note: 'hello',
      regarding: { apiVersion: 'v1', kind: 'Secret', namespace: ns.name, name: 's', uid: secret.metadata.uid! },
    });
    expect(event.reason).toBe('Tested');
  });

  it.each([imanageConnections, workspaceRepositories])('lists the CRD %s', async (resource: Resource) => {
    const list = await untilServed(() => admin.list(resource, { namespace: ns.name }));
    expect(list.items).toEqual([]);
    expect(list.kind).toBe(`${resource.kind}List`);
  });
});

describe('the status subresource', () => {
  const apiextensions: Resource = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false };
  const widgets: Resource<KubeObject & { spec?: { size?: number }; status?: { phase?: string; seen?: number } }> = {
    group: 'kube-client-test.imanage.operator.dev',
    version: 'v1',
    plural: 'widgets',
    kind: 'Widget',
    namespaced: true,
  };

  beforeAll(async () => {
    await admin.apply(
      apiextensions,
      {
        metadata: { name: `${widgets.plural}.${widgets.group}` },
        spec: {
          group: widgets.group,
          scope: 'Namespaced',
          names: { plural: widgets.plural, singular: 'widget', kind: widgets.kind, listKind: 'WidgetList' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          ],
        },
      } as KubeObject,
      { fieldManager: 'kube-client-test' },
    );
    await untilServed(
      () => admin.list(widgets, { namespace: ns.name }),
      (error) => error instanceof NotFoundError,
    );
  });

  afterAll(async () => {
    await admin?.delete(apiextensions, { name: `${widgets.plural}.${widgets.group}` });
  });

  it('writes status without touching spec, by PUT, merge patch and apply', async () => {
    const created = await admin.create(widgets, { metadata: { namespace: ns.name, name: 'w' }, spec: { size: 1 } });
    const replaced = await admin.replaceStatus(widgets, { ...created, spec: { size: 99 }, status: { phase: 'Ready' } });
    expect(replaced).toMatchObject({ spec: { size: 1 }, status: { phase: 'Ready' } });
    const patched = await admin.patchStatus(widgets, { namespace: ns.name, name: 'w' }, { status: { seen: 2 } });
    expect(patched.status).toEqual({ phase: 'Ready', seen: 2 });
    const applied = await admin.applyStatus(widgets, { metadata: { namespace: ns.name, name: 'w' }, status: { phase: 'Applied' } }, { fieldManager: 'status-writer', force: true });
    expect(applied).toMatchObject({ spec: { size: 1 }, status: { phase: 'Applied' } });
  });

  it('writes status and is answered with the metadata alone', async () => {
    const created = await admin.create(widgets, { metadata: { namespace: ns.name, name: 'm' }, spec: { size: 1 } });
    const answer = await admin.replaceStatusForMetadata(widgets, { ...created, status: { phase: 'Ready' } });
    expect(answer).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'm', uid: created.metadata.uid } });
    expect(answer).not.toHaveProperty('spec');
    expect(answer).not.toHaveProperty('status');
    const stored = await admin.get(widgets, { namespace: ns.name, name: 'm' });
    expect(stored).toMatchObject({ spec: { size: 1 }, status: { phase: 'Ready' } });
    expect(answer.metadata.resourceVersion).toBe(stored.metadata.resourceVersion);
    expect(answer.metadata.resourceVersion).not.toBe(created.metadata.resourceVersion);
  });
});

describe('authentication and authorisation', () => {
  it('reports a missing permission as Forbidden, without the token', async () => {
    await admin.create({ group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true }, { metadata: { namespace: ns.name, name: 'nobody' } });
    const created = await ns.kubectl(['create', 'token', 'nobody']);
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    const limited = new KubeClient({ ...adminConfig, authenticator: staticCredentials({ token }) });
    const denied = await rejection(limited.list(secrets, { namespace: ns.name }));
    limited.close();
    expect(denied).toBeInstanceOf(ForbiddenError);
    expect(denied).toMatchObject({ status: 403, reason: 'Forbidden' });
    expect(denied.message).toContain(`system:serviceaccount:${ns.name}:nobody`);
    expect(denied.message).not.toContain(token);
  });

  it('reports an unknown token as 401', async () => {
    const stranger = new KubeClient({ ...adminConfig, authenticator: staticCredentials({ token: 'no-such-token' }) });
    const refused = await rejection(stranger.list(secrets, { namespace: ns.name }));
    stranger.close();
    expect(refused.constructor).toBe(ApiError);
    expect(refused).toMatchObject({ status: 401, reason: 'Unauthorized' });
    expect(refused.message).not.toContain('no-such-token');
  });
});

describe('configuration forms against the server', () => {
  /** Writes a kubeconfig for the test server with the given cluster and user fields. */
  async function kubeconfigWith(name: string, cluster: Record<string, unknown>, user: Record<string, unknown>): Promise<string> {
    const path = join(dir, name);
    await writeFile(
      path,
      dump({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: inject('server'), ...cluster } }],
        users: [{ name: 'u', user }],
        contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: ns.name } }],
        'current-context': 'ctx',
      }),
    );
    return path;
  }

  async function canList(config: ClusterConfig): Promise<void> {
    const client = new KubeClient(config);
    try {
      const list = await client.list(configMaps, { namespace: ns.name });
      expect(list.kind).toBe('ConfigMapList');
    } finally {
      client.close();
    }
  }

  const caData = (): string => Buffer.from(adminConfig.ca!).toString('base64');

  it.each<[string, () => Record<string, unknown>]>([
    ['certificate-authority-data', () => ({ 'certificate-authority-data': caData() })],
    ['tls-server-name', () => ({ 'certificate-authority-data': caData(), 'tls-server-name': 'kubernetes.default.svc' })],
    ['insecure-skip-tls-verify', () => ({ 'insecure-skip-tls-verify': true })],
  ])('connects with %s', async (name, cluster) => {
    const path = await kubeconfigWith(`tls-${name}`, cluster(), { token: adminToken });
    const config = await loadClusterConfig({ kubeconfig: path, env: {} });
    expect(config.namespace).toBe(ns.name);
    await canList(config);
  });

  it('connects through the proxy-url, a CONNECT proxy on loopback', async () => {
    const proxy = await startConnectProxy();
    try {
      const cluster = { 'certificate-authority-data': caData(), 'proxy-url': proxy.url };
      const path = await kubeconfigWith('proxy-url', cluster, { token: adminToken });
      await canList(await loadClusterConfig({ kubeconfig: path, env: {} }));
      expect(proxy.connects).toEqual([new URL(inject('server')).host]);
      expect(Buffer.concat(proxy.relayed).includes(adminToken)).toBe(false); // TLS inside the tunnel
    } finally {
      await proxy.close();
    }
  });

  it('refuses a server whose certificate does not hold the tls-server-name', async () => {
    const path = await kubeconfigWith('tls-wrong-name', { 'certificate-authority-data': caData(), 'tls-server-name': 'not-the-api.example' }, { token: adminToken });
    const client = new KubeClient(await loadClusterConfig({ kubeconfig: path, env: {} }));
    const refused = await rejection(client.list(configMaps, { namespace: ns.name }));
    client.close();
    expect(refused).toBeInstanceOf(TransientApiError);
    expect(refused).toMatchObject({ reason: 'NetworkError', cause: { code: 'ERR_TLS_CERT_ALTNAME_INVALID' } });
  });

  it('connects in-cluster with a service-account folder', async () => {
    const saDir = join(dir, 'serviceaccount');
    await mkdir(saDir);
    await writeFile(join(saDir, 'token'), adminToken);
    await writeFile(join(saDir, 'ca.crt'), adminConfig.ca!);
    await writeFile(join(saDir, 'namespace'), ns.name);
    const port = new URL(inject('server')).port;
    const config = await loadClusterConfig({ env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port }, serviceAccountDir: saDir });
    expect(config.source).toBe('in-cluster');
    await canList(config);
  });

  it('picks up a rewritten tokenFile after a 401', async () => {
    const tokenPath = join(dir, 'token');
    await writeFile(tokenPath, 'stale-token');
    const path = await kubeconfigWith('token-file', { 'certificate-authority-data': caData() }, { tokenFile: tokenPath });
    const client = new KubeClient(await loadClusterConfig({ kubeconfig: path, env: {}, clock: new FakeClock() }));
    expect(await rejection(client.list(configMaps, { namespace: ns.name }))).toMatchObject({ status: 401 });
    await writeFile(tokenPath, adminToken);
    expect((await client.list(configMaps, { namespace: ns.name })).kind).toBe('ConfigMapList');
    client.close();
  });

  it.each(['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'])(
    'runs a %s exec plugin again when the server refuses its token',
    async (apiVersion) => {
      const pluginDir = await mkdtemp(join(dir, 'plugin-'));
      const plugin = join(pluginDir, 'plugin.sh');
      // The first run hands out a token the server does not know; later runs the real one.
      await writeFile(
        plugin,
        `#!/bin/sh
here=$(dirname "$0")
echo run >> "$here/runs"
if [ "$(wc -l < "$here/runs")" -eq 1 ]; then token=expired-token; else token=$(cat "$here/token"); fi
printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"%s"}}' "${apiVersion}" "$token"
`,
      );
      await chmod(plugin, 0o755);
      await writeFile(join(pluginDir, 'token'), adminToken);
      const path = await kubeconfigWith(`exec-${apiVersion.split('/')[1]}`, { 'certificate-authority-data': caData() }, {
        exec: { apiVersion, command: plugin, interactiveMode: 'Never' },
      });
      const client = new KubeClient(await loadClusterConfig({ kubeconfig: path, env: {} }));
      expect((await client.list(configMaps, { namespace: ns.name })).kind).toBe('ConfigMapList');
      expect((await client.list(configMaps, { namespace: ns.name })).kind).toBe('ConfigMapList');
      client.close();
      expect((await readFile(join(pluginDir, 'runs'), 'utf8')).trim().split('\n')).toHaveLength(2);
    },
  );
});
