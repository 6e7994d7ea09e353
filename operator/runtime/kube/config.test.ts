import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dump as stringify } from 'js-yaml';
import { FakeClock } from '../clock.ts';
import { TokenFileAuthenticator, tokenFileRefreshMs } from './auth.ts';
import { loadClusterConfig, type ClusterConfig, type LoadOptions } from './config.ts';
import { KubeConfigError } from './errors.ts';
import { ExecAuthenticator } from './exec-plugin.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubeconfig-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const pem = (name: string): string => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const CA = pem('ca.crt');
const OTHER_CA = pem('server.crt');
const CERT = pem('client.crt');
const KEY = pem('client.key');

/** A kubeconfig with one context per entry of `contexts`, each with a cluster and user of its name. */
interface Context {
  readonly cluster?: Record<string, unknown>;
  readonly user?: Record<string, unknown>;
  readonly namespace?: string;
}

async function kubeconfig(file: string, contexts: Record<string, Context>, current?: string): Promise<string> {
  const path = join(dir, file);
  await mkdir(join(path, '..'), { recursive: true });
  const names = Object.keys(contexts);
  await writeFile(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: names.map((name) => ({
        name,
        cluster: { server: `https://${name}.example:6443`, ...contexts[name]!.cluster },
      })),
      users: names.map((name) => ({ name, user: contexts[name]!.user ?? {} })),
      contexts: names.map((name) => ({
        name,
        context: {
          cluster: name,
          user: name,
          ...(contexts[name]!.namespace ? { namespace: contexts[name]!.namespace } : {}),
        },
      })),
      ...(current === undefined ? {} : { 'current-context': current }),
    }),
  );
  return path;
}

function load(options: Partial<LoadOptions> = {}): Promise<ClusterConfig> {
  return loadClusterConfig({
    env: {},
    homeDir: join(dir, 'home'),
    serviceAccountDir: join(dir, 'sa'),
    clock: new FakeClock(),
    ...options,
  });
}

async function serviceAccount(files: Record<string, string>): Promise<void> {
  await mkdir(join(dir, 'sa'), { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, 'sa', name), content);
}

const inClusterEnv = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('in-cluster', () => {
  it('uses the service host, token, CA and namespace', async () => {
    await serviceAccount({ token: 'sa-token\n', 'ca.crt': 'CLUSTER CA', namespace: 'operators\n' });
    const config = await load({ env: inClusterEnv });
    expect(config).toMatchObject({
      server: 'https://10.96.0.1:443',
      ca: 'CLUSTER CA',
      insecureSkipTlsVerify: false,
      namespace: 'operators',
      source: 'in-cluster',
    });
    expect(await config.authenticator.credentials()).toEqual({ token: 'sa-token' });
  });

  it.each([
    [
      'an IPv6 host in brackets',
      { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
      { server: 'https://[fd00::1]:443' },
    ],
    ['POD_NAMESPACE over the file', { ...inClusterEnv, POD_NAMESPACE: 'from-env' }, { namespace: 'from-env' }],
  ])('takes %s', async (_case, env, expected) => {
    await serviceAccount({ token: 't', namespace: 'from-file' });
    expect(await load({ env })).toMatchObject(expected);
  });

  it('goes without CA and namespace files as client-go does', async () => {
    await serviceAccount({ token: 't' });
    const config = await load({ env: inClusterEnv });
    expect(config.ca).toBeUndefined();
    expect(config.namespace).toBe('default');
  });

  it('fails without a token, naming the file', async () => {
    await serviceAccount({ 'ca.crt': 'CA' });
    await expect(load({ env: inClusterEnv })).rejects.toThrow(
      new KubeConfigError(`cannot read a bearer token from ${join(dir, 'sa', 'token')}`),
    );
  });

  it('re-reads the rotated token after a minute, and at once after a 401', async () => {
    await serviceAccount({ token: 'first' });
    const clock = new FakeClock();
    const { authenticator } = await load({ env: inClusterEnv, clock });
    await writeFile(join(dir, 'sa', 'token'), 'second');
    expect((await authenticator.credentials()).token).toBe('first');
    await clock.advance(tokenFileRefreshMs);
    const second = await authenticator.credentials();
    expect(second.token).toBe('second');
    await writeFile(join(dir, 'sa', 'token'), 'third');
    authenticator.invalidate(second);
    expect((await authenticator.credentials()).token).toBe('third');
  });

  it('keeps the last good token when the file cannot be read', async () => {
    await serviceAccount({ token: 'good' });
    const clock = new FakeClock();
    const { authenticator } = await load({ env: inClusterEnv, clock });
    await rm(join(dir, 'sa', 'token'));
    await clock.advance(tokenFileRefreshMs);
    expect((await authenticator.credentials()).token).toBe('good');
  });
});

describe('where the configuration comes from', () => {
  it('merges a KUBECONFIG list as kubectl does: first definition and first current-context win', async () => {
    const first = await kubeconfig('a/config', { shared: { user: { token: 'from-a' } } });
    const second = await kubeconfig(
      'b/config',
      {
        shared: { cluster: { server: 'https://ignored.example' }, user: { token: 'from-b' } },
        other: { namespace: 'ns-b' },
      },
      'shared',
    );
    const third = await kubeconfig('c/config', { other: {} }, 'other');
    const env = { KUBECONFIG: ['', join(dir, 'missing'), first, second, third].join(':') };
    const config = await load({ env });
    expect(config.server).toBe('https://shared.example:6443');
    expect(await config.authenticator.credentials()).toEqual({ token: 'from-a' });
    expect(config.source).toBe("kubeconfig context 'shared'");
    const other = await load({ env, context: 'other' });
    expect(other.server).toBe('https://other.example:6443');
    expect(other.namespace).toBe('ns-b');
  });

  it('prefers an explicit path, then KUBECONFIG, then in-cluster, then ~/.kube/config', async () => {
    await serviceAccount({ token: 'sa' });
    const explicit = await kubeconfig('explicit', { explicit: {} }, 'explicit');
    const listed = await kubeconfig('listed', { listed: {} }, 'listed');
    await kubeconfig('home/.kube/config', { home: {} }, 'home');
    const all = { ...inClusterEnv, KUBECONFIG: listed };
    expect((await load({ env: all, kubeconfig: explicit })).server).toBe('https://explicit.example:6443');
    expect((await load({ env: all })).server).toBe('https://listed.example:6443');
    expect((await load({ env: inClusterEnv })).source).toBe('in-cluster');
    expect((await load({ env: {} })).server).toBe('https://home.example:6443');
  });

  it.each([
    [
      'nothing exists',
      {},
      undefined,
      'no cluster configuration: KUBECONFIG is empty, not in a cluster, and HOME/.kube/config does not exist',
    ],
    [
      'KUBECONFIG names only missing files',
      { KUBECONFIG: 'DIR/x:DIR/y' },
      undefined,
      'none of the files in KUBECONFIG exists: DIR/x:DIR/y',
    ],
    ['the explicit file is missing', {}, 'DIR/nope', 'kubeconfig DIR/nope does not exist'],
  ])('fails when %s', async (_case, env, explicit, message) => {
    const fill = (text: string): string => text.replaceAll('DIR', dir).replaceAll('HOME', join(dir, 'home'));
    const environment = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, fill(v)]));
    const options = explicit === undefined ? { env: environment } : { env: environment, kubeconfig: fill(explicit) };
    await expect(load(options)).rejects.toThrow(new KubeConfigError(fill(message)));
  });
});

describe('kubeconfig contents', () => {
  async function single(context: Context, extraFiles: Record<string, string> = {}): Promise<ClusterConfig> {
    for (const [name, content] of Object.entries(extraFiles)) {
      await mkdir(join(dir, 'kube', name, '..'), { recursive: true });
      await writeFile(join(dir, 'kube', name), content);
    }
    return load({ kubeconfig: await kubeconfig('kube/config', { only: context }, 'only') });
  }

  it.each<[string, Context, Record<string, string>, Partial<ClusterConfig>]>([
    ['certificate-authority-data', { cluster: { 'certificate-authority-data': b64(CA) } }, {}, { ca: CA }],
    [
      'certificate-authority relative to the file',
      { cluster: { 'certificate-authority': 'pki/ca.crt' } },
      { 'pki/ca.crt': OTHER_CA },
      { ca: OTHER_CA },
    ],
    [
      'data over file',
      { cluster: { 'certificate-authority': 'pki/ca.crt', 'certificate-authority-data': b64(CA) } },
      { 'pki/ca.crt': OTHER_CA },
      { ca: CA },
    ],
    [
      'insecure-skip-tls-verify',
      { cluster: { 'insecure-skip-tls-verify': true } },
      {},
      { insecureSkipTlsVerify: true, ca: undefined },
    ],
    [
      'tls-server-name',
      { cluster: { 'tls-server-name': 'kubernetes.default.svc' } },
      {},
      { tlsServerName: 'kubernetes.default.svc' },
    ],
    [
      'a path prefix, without trailing slash',
      { cluster: { server: 'https://rancher.example/k8s/clusters/c-1/' } },
      {},
      { server: 'https://rancher.example/k8s/clusters/c-1' },
    ],
    [
      'client certificate data',
      { user: { 'client-certificate-data': b64(CERT), 'client-key-data': b64(KEY) } },
      {},
      { cert: CERT, key: KEY },
    ],
    [
      'client certificate files',
      { user: { 'client-certificate': 'pki/client.crt', 'client-key': 'pki/client.key' } },
      { 'pki/client.crt': CERT, 'pki/client.key': KEY },
      { cert: CERT, key: KEY },
    ],
    ['the context namespace', { namespace: 'team-a' }, {}, { namespace: 'team-a' }],
    ['default namespace', {}, {}, { namespace: 'default', insecureSkipTlsVerify: false }],
  ])('reads %s', async (_case, context, files, expected) => {
    const config = await single(context, files);
    for (const [key, value] of Object.entries(expected)) expect(config[key as keyof ClusterConfig]).toEqual(value);
  });

  it('reads absolute file references as they are', async () => {
    await writeFile(join(dir, 'ca.pem'), CA);
    expect((await single({ cluster: { 'certificate-authority': join(dir, 'ca.pem') } })).ca).toBe(CA);
  });

  it.each<[string, Context, Record<string, string>, object]>([
    ['a bearer token', { user: { token: 'inline' } }, {}, { token: 'inline' }],
    [
      'a tokenFile relative to the file, over token',
      { user: { token: 'inline', tokenFile: 'tok' } },
      { tok: 'from-file\n' },
      { token: 'from-file' },
    ],
    [
      'token when tokenFile cannot be read',
      { user: { token: 'inline', tokenFile: 'missing' } },
      {},
      { token: 'inline' },
    ],
    ['basic auth', { user: { username: 'ann', password: 'pw' } }, {}, { basic: { username: 'ann', password: 'pw' } }],
    ['nothing for an empty user', { user: {} }, {}, {}],
  ])('authenticates with %s', async (_case, context, files, credentials) => {
    const config = await single(context, files);
    expect(await config.authenticator.credentials()).toEqual(credentials);
  });

  it('builds a token-file authenticator that re-reads the file', async () => {
    const config = await single({ user: { tokenFile: 'tok' } }, { tok: 'x' });
    expect(config.authenticator).toBeInstanceOf(TokenFileAuthenticator);
  });

  it('runs an exec plugin given by a relative path, with the cluster when asked', async () => {
    await mkdir(join(dir, 'kube', 'bin'), { recursive: true });
    const plugin = join(dir, 'kube', 'bin', 'plugin.sh');
    await writeFile(
      plugin,
      `#!/bin/sh\nprintf '%s' "$KUBERNETES_EXEC_INFO" > "${dir}/info.json"\necho '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"from-plugin"}}'\n`,
    );
    await chmod(plugin, 0o755);
    const config = await single({
      cluster: {
        'certificate-authority-data': b64(CA),
        extensions: [{ name: 'client.authentication.k8s.io/exec', extension: { audience: 'api' } }],
      },
      user: {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1beta1',
          command: './bin/plugin.sh',
          provideClusterInfo: true,
          env: null,
        },
      },
    });
    expect(config.authenticator).toBeInstanceOf(ExecAuthenticator);
    expect(await config.authenticator.credentials()).toEqual({ token: 'from-plugin' });
    expect(JSON.parse(await readFile(join(dir, 'info.json'), 'utf8')).spec).toEqual({
      interactive: false,
      cluster: {
        server: 'https://only.example:6443',
        'certificate-authority-data': b64(CA),
        config: { audience: 'api' },
      },
    });
  });

  it('reads proxy-url, keeping its credentials for the Proxy-Authorization header only', async () => {
    const config = await single({ cluster: { 'proxy-url': 'http://svc:pw@proxy.corp:3128' } });
    expect(config.proxy).toEqual({
      host: 'proxy.corp',
      port: 3128,
      authorization: `Basic ${Buffer.from('svc:pw').toString('base64')}`,
    });
    expect(config.source).not.toContain('pw');
  });

  it.each<[string, Context, string]>([
    [
      'CA and insecure together',
      { cluster: { 'insecure-skip-tls-verify': true, 'certificate-authority-data': b64('CA') } },
      "cluster 'only': certificate-authority and insecure-skip-tls-verify exclude each other",
    ],
    [
      'a certificate without key',
      { user: { 'client-certificate-data': b64('CERT') } },
      "user 'only': client-certificate and client-key must be given together",
    ],
    [
      'an exec apiVersion it does not know',
      { user: { exec: { apiVersion: 'client.authentication.k8s.io/v1alpha1', command: 'x' } } },
      "user 'only'.exec: apiVersion 'client.authentication.k8s.io/v1alpha1' is not one of client.authentication.k8s.io/v1, client.authentication.k8s.io/v1beta1",
    ],
    [
      'an auth-provider',
      { user: { 'auth-provider': { name: 'gcp' } } },
      "user 'only': auth-provider plugins are not supported; use an exec credential plugin",
    ],
    [
      'a socks5 proxy-url, without quoting its credentials',
      { cluster: { 'proxy-url': 'socks5://svc:pw-in-url@proxy:1080' } },
      "cluster 'only': proxy-url must be an http:// URL of a CONNECT proxy, such as http://proxy.example.com:3128 (https:// and socks5:// proxies are not supported)",
    ],
    [
      'a server that is not https',
      { cluster: { server: 'ftp://user:pw@x' } },
      "cluster 'only': server must be an https URL, not ftp:",
    ],
    [
      'a server that is not a URL',
      { cluster: { server: 'https://user:pw@bad host' } },
      "cluster 'only': server is not a URL",
    ],
    ['a numeric token, without quoting it', { user: { token: 123456789 } }, "user 'only': 'token' must be a string"],
    [
      'a CA that is not PEM',
      { cluster: { 'certificate-authority-data': b64('not a certificate') } },
      "cluster 'only': certificate-authority holds no PEM certificate (PEM routines::no start line); give the cluster's CA bundle, base64-encoded in certificate-authority-data or as a file path in certificate-authority",
    ],
    [
      'a client certificate that is not PEM',
      { user: { 'client-certificate-data': b64('not a certificate'), 'client-key-data': b64(KEY) } },
      "user 'only': client-certificate and client-key are not a usable PEM certificate and its private key (PEM routines::no start line); give both as PEM, base64-encoded in the -data fields or as file paths",
    ],
    [
      "a client key that is not the certificate's",
      { user: { 'client-certificate-data': b64(CERT), 'client-key-data': b64(pem('server.key')) } },
      "user 'only': client-certificate and client-key are not a usable PEM certificate and its private key (x509 certificate routines::key values mismatch); give both as PEM, base64-encoded in the -data fields or as file paths",
    ],
  ])('refuses %s', async (_case, context, message) => {
    await expect(single(context)).rejects.toThrow(new KubeConfigError(message));
  });

  it('names an unreadable CA file', async () => {
    await expect(single({ cluster: { 'certificate-authority': 'nope.crt' } })).rejects.toThrow(
      new KubeConfigError(`cluster 'only': cannot read certificate-authority ${join(dir, 'kube', 'nope.crt')}: ENOENT`),
    );
  });

  it.each([
    ['a context that does not exist', { context: 'elsewhere' }, "context 'elsewhere' not found in FILE"],
    ['no current-context', {}, 'no current-context in FILE; name a context'],
  ])('refuses %s', async (_case, options, message) => {
    const file = await kubeconfig('config', { a: {} });
    await expect(load({ kubeconfig: file, ...options })).rejects.toThrow(
      new KubeConfigError(message.replace('FILE', file)),
    );
  });

  it('never quotes the kubeconfig when its YAML is broken', async () => {
    const file = join(dir, 'broken');
    await writeFile(file, 'users:\n- name: a\n  user:\n    token: super-secret-token\n   bad: [indent\n');
    const error = await errorOf(load({ kubeconfig: file }));
    expect(error).toBeInstanceOf(KubeConfigError);
    expect(error.message).toBe(`${file} is not valid YAML (line 5)`);
    expect(error.message).not.toContain('super-secret-token');
    expect(error.cause).toBeUndefined();
  });

  it('accepts empty and comment-only files in a KUBECONFIG list', async () => {
    await writeFile(join(dir, 'empty'), '');
    await writeFile(join(dir, 'comments'), '# nothing here yet\n');
    const real = await kubeconfig('real', { real: {} }, 'real');
    const env = { KUBECONFIG: [join(dir, 'empty'), join(dir, 'comments'), real].join(':') };
    expect((await load({ env })).server).toBe('https://real.example:6443');
  });

  it('refuses a file with several YAML documents', async () => {
    const file = join(dir, 'two');
    await writeFile(file, 'kind: Config\n---\nkind: Config\n');
    await expect(load({ kubeconfig: file })).rejects.toThrow(
      new KubeConfigError(`${file} holds 2 YAML documents; a kubeconfig is one`),
    );
  });
});
