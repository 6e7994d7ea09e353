// kubeconfig files: read, merged as kubectl merges a KUBECONFIG list, and resolved to one
// ClusterConfig for the current (or a named) context.
//
// Merge rules (client-go clientcmd): files that do not exist are skipped; for every cluster,
// user and context name the first file that defines it wins; the first non-empty
// current-context wins. Relative file references (certificate-authority, client-certificate,
// client-key, tokenFile, and an exec command containing a '/') are relative to the file that
// holds them. `*-data` fields take precedence over their file forms.
//
// The YAML parser is loaded on first use only: in-cluster, the operator never pays for it.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Clock } from '../clock.ts';
import { anonymous, staticCredentials, TokenFileAuthenticator, type Authenticator } from './auth.ts';
import type { ClusterConfig } from './cluster.ts';
import { parseProxyUrl, type ProxyEndpoint, ProxySettingError } from '../tunnel.ts';
import { KubeConfigError } from './errors.ts';
import { unusableCertificateAuthority, unusableClientCertificate } from './tls-material.ts';
import {
  ExecAuthenticator,
  execApiVersions,
  type ExecApiVersion,
  type ExecClusterInfo,
  type ExecConfig,
} from './exec-plugin.ts';

type Fields = Readonly<Record<string, unknown>>;

interface Entry {
  readonly fields: Fields;
  /** The file that defined the entry; relative paths in it are relative to its folder. */
  readonly origin: string;
}

export interface MergedKubeconfig {
  readonly files: readonly string[];
  readonly clusters: ReadonlyMap<string, Entry>;
  readonly users: ReadonlyMap<string, Entry>;
  readonly contexts: ReadonlyMap<string, Entry>;
  readonly currentContext: string | undefined;
}

export interface KubeconfigDocument {
  readonly path: string;
  readonly text: string;
}

/** Reads the files that exist (in order) and merges them; undefined when none exists. */
export async function readKubeconfigs(paths: readonly string[]): Promise<MergedKubeconfig | undefined> {
  const documents: KubeconfigDocument[] = [];
  for (const path of paths) {
    const text = await readIfExists(path);
    if (text !== undefined) documents.push({ path: resolve(path), text });
  }
  if (documents.length === 0) return undefined;
  return mergeKubeconfigs(
    await Promise.all(documents.map(async (doc) => ({ path: doc.path, content: await parseYaml(doc) }))),
  );
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KubeConfigError(`cannot read kubeconfig ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/**
 * js-yaml (the project's one YAML library) with the YAML 1.2 core schema; it costs 3 MiB of RSS where
 * the `yaml` package cost 13 (see config.ts). The parser's own message quotes the
 * offending lines, which may hold a token: only the line number is kept.
 */
async function parseYaml({ path, text }: KubeconfigDocument): Promise<unknown> {
  const { loadAll, CORE_SCHEMA } = await import('js-yaml');
  let documents: unknown[];
  try {
    documents = loadAll(text, { schema: CORE_SCHEMA });
  } catch (error) {
    const line = (error as { mark?: { line?: number } }).mark?.line;
    throw new KubeConfigError(`${path} is not valid YAML${line === undefined ? '' : ` (line ${line + 1})`}`);
  }
  if (documents.length > 1)
    throw new KubeConfigError(`${path} holds ${documents.length} YAML documents; a kubeconfig is one`);
  return documents[0];
}

export function mergeKubeconfigs(documents: readonly { path: string; content: unknown }[]): MergedKubeconfig {
  const clusters = new Map<string, Entry>();
  const users = new Map<string, Entry>();
  const contexts = new Map<string, Entry>();
  let currentContext: string | undefined;
  for (const { path, content } of documents) {
    if (content === null || content === undefined) continue; // an empty file, as kubectl allows
    const doc = asFields(content, path);
    collect(clusters, doc, 'clusters', 'cluster', path);
    collect(users, doc, 'users', 'user', path);
    collect(contexts, doc, 'contexts', 'context', path);
    currentContext ||= optionalString(doc, 'current-context', path);
  }
  return {
    files: documents.map((doc) => doc.path),
    clusters,
    users,
    contexts,
    currentContext: currentContext || undefined,
  };
}

function collect(into: Map<string, Entry>, doc: Fields, list: string, item: string, path: string): void {
  const entries = doc[list];
  if (entries === undefined || entries === null) return;
  if (!Array.isArray(entries)) throw new KubeConfigError(`${path}: '${list}' must be a list`);
  for (const [index, entry] of entries.entries()) {
    const where = `${path}: ${list}[${index}]`;
    const named = asFields(entry, where);
    const name = optionalString(named, 'name', where);
    if (!name) throw new KubeConfigError(`${where} has no name`);
    if (into.has(name)) continue; // the first file to define a name wins
    const fields = named[item] === undefined || named[item] === null ? {} : asFields(named[item], `${where}.${item}`);
    into.set(name, { fields, origin: path });
  }
}

export interface ResolveOptions {
  /** Use this context instead of current-context. */
  readonly context?: string;
  readonly clock: Clock;
  /** Environment passed to exec plugins. */
  readonly env: NodeJS.ProcessEnv;
}

export async function resolveContext(config: MergedKubeconfig, options: ResolveOptions): Promise<ClusterConfig> {
  const files = config.files.join(':');
  const contextName = options.context ?? config.currentContext;
  if (!contextName) throw new KubeConfigError(`no current-context in ${files}; name a context`);
  const context = config.contexts.get(contextName);
  if (!context) throw new KubeConfigError(`context '${contextName}' not found in ${files}`);
  const where = `context '${contextName}'`;
  const clusterName = optionalString(context.fields, 'cluster', where);
  const cluster = clusterName ? config.clusters.get(clusterName) : undefined;
  if (!cluster) throw new KubeConfigError(`cluster '${clusterName ?? ''}' of ${where} not found in ${files}`);
  const userName = optionalString(context.fields, 'user', where);
  const user = userName ? config.users.get(userName) : undefined;
  if (userName && !user) throw new KubeConfigError(`user '${userName}' of ${where} not found in ${files}`);

  const clusterSettings = await clusterTls(cluster, `cluster '${clusterName}'`);
  const { proxyUrl: _written, ...tls } = clusterSettings;
  const certs = user ? await clientCertificate(user, `user '${userName}'`) : {};
  const authenticator = user
    ? userAuthenticator(user, `user '${userName}'`, cluster, clusterSettings, options)
    : anonymous;
  return {
    ...tls,
    ...certs,
    namespace: optionalString(context.fields, 'namespace', where) || 'default',
    authenticator,
    source: `kubeconfig context '${contextName}'`,
  };
}

interface ClusterTls {
  readonly server: string;
  readonly proxy?: ProxyEndpoint;
  /** As written, for an exec plugin's cluster information. */
  readonly proxyUrl?: string;
  readonly ca?: string;
  readonly insecureSkipTlsVerify: boolean;
  readonly tlsServerName?: string;
}

async function clusterTls({ fields, origin }: Entry, where: string): Promise<ClusterTls> {
  const server = optionalString(fields, 'server', where);
  if (!server) throw new KubeConfigError(`${where} has no server`);
  // The URL itself is not quoted: it may carry user:password@.
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new KubeConfigError(`${where}: server is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new KubeConfigError(`${where}: server must be an https URL, not ${url.protocol}`);
  }
  const proxy = clusterProxy(fields, where);
  const insecureSkipTlsVerify = optionalBoolean(fields, 'insecure-skip-tls-verify', where) ?? false;
  const ca = await dataOrFile(fields, 'certificate-authority', origin, where);
  if (insecureSkipTlsVerify && ca !== undefined) {
    // kubectl refuses this combination too: one of them is a mistake.
    throw new KubeConfigError(`${where}: certificate-authority and insecure-skip-tls-verify exclude each other`);
  }
  const unusableCa = ca === undefined ? undefined : unusableCertificateAuthority(ca);
  if (unusableCa !== undefined) {
    throw new KubeConfigError(
      `${where}: certificate-authority holds no PEM certificate (${unusableCa}); give the cluster's CA bundle, ` +
        'base64-encoded in certificate-authority-data or as a file path in certificate-authority',
    );
  }
  const tlsServerName = optionalString(fields, 'tls-server-name', where) || undefined;
  return {
    server: server.replace(/\/+$/, ''),
    insecureSkipTlsVerify,
    ...(ca === undefined ? {} : { ca }),
    ...(tlsServerName ? { tlsServerName } : {}),
    ...proxy,
  };
}

/** client-go's proxy-url; only an HTTP CONNECT proxy (client-go also takes https:// and socks5://). */
function clusterProxy(fields: Fields, where: string): { proxy?: ProxyEndpoint; proxyUrl?: string } {
  const proxyUrl = optionalString(fields, 'proxy-url', where) || undefined;
  if (!proxyUrl) return {};
  try {
    return { proxy: parseProxyUrl(proxyUrl), proxyUrl };
  } catch (error) {
    if (!(error instanceof ProxySettingError)) throw error;
    throw new KubeConfigError(
      `${where}: proxy-url ${error.message} (https:// and socks5:// proxies are not supported)`,
    );
  }
}

async function clientCertificate({ fields, origin }: Entry, where: string): Promise<{ cert?: string; key?: string }> {
  const cert = await dataOrFile(fields, 'client-certificate', origin, where);
  const key = await dataOrFile(fields, 'client-key', origin, where);
  if ((cert === undefined) !== (key === undefined)) {
    throw new KubeConfigError(`${where}: client-certificate and client-key must be given together`);
  }
  if (cert === undefined) return {};
  const unusable = unusableClientCertificate(cert, key!);
  if (unusable !== undefined) {
    throw new KubeConfigError(
      `${where}: client-certificate and client-key are not a usable PEM certificate and its private key ` +
        `(${unusable}); give both as PEM, base64-encoded in the -data fields or as file paths`,
    );
  }
  return { cert, key: key! };
}

function userAuthenticator(
  user: Entry,
  where: string,
  cluster: Entry,
  tls: ClusterTls,
  options: ResolveOptions,
): Authenticator {
  const { fields, origin } = user;
  if (fields['auth-provider'] !== undefined && fields['auth-provider'] !== null) {
    throw new KubeConfigError(`${where}: auth-provider plugins are not supported; use an exec credential plugin`);
  }
  if (fields.as !== undefined || fields['as-groups'] !== undefined || fields['as-uid'] !== undefined) {
    throw new KubeConfigError(`${where}: impersonation (as, as-groups, as-uid) is not supported`);
  }
  if (fields.exec !== undefined && fields.exec !== null) {
    const exec = execConfig(asFields(fields.exec, `${where}.exec`), `${where}.exec`, origin, cluster, tls);
    return new ExecAuthenticator(exec, options.clock, options.env);
  }
  const token = optionalString(fields, 'token', where) || undefined;
  const tokenFile = optionalString(fields, 'tokenFile', where);
  if (tokenFile) return new TokenFileAuthenticator(resolve(dirname(origin), tokenFile), options.clock, token);
  if (token) return staticCredentials({ token });
  const username = optionalString(fields, 'username', where);
  const password = optionalString(fields, 'password', where);
  if (username || password) return staticCredentials({ basic: { username: username ?? '', password: password ?? '' } });
  return anonymous;
}

function execConfig(exec: Fields, where: string, origin: string, cluster: Entry, tls: ClusterTls): ExecConfig {
  const apiVersion = optionalString(exec, 'apiVersion', where);
  if (!execApiVersions.includes(apiVersion as ExecApiVersion)) {
    throw new KubeConfigError(`${where}: apiVersion '${apiVersion ?? ''}' is not one of ${execApiVersions.join(', ')}`);
  }
  const command = optionalString(exec, 'command', where);
  if (!command) throw new KubeConfigError(`${where} has no command`);
  const args = optionalList(exec, 'args', where).map((arg, i) => {
    if (typeof arg !== 'string') throw new KubeConfigError(`${where}.args[${i}] must be a string`);
    return arg;
  });
  const env = optionalList(exec, 'env', where).map((item, i) => {
    const pair = asFields(item, `${where}.env[${i}]`);
    const name = optionalString(pair, 'name', `${where}.env[${i}]`);
    if (!name) throw new KubeConfigError(`${where}.env[${i}] has no name`);
    return { name, value: optionalString(pair, 'value', `${where}.env[${i}]`) ?? '' };
  });
  const mode = optionalString(exec, 'interactiveMode', where) || 'IfAvailable';
  if (mode !== 'Never' && mode !== 'IfAvailable' && mode !== 'Always') {
    throw new KubeConfigError(`${where}: interactiveMode '${mode}' is not Never, IfAvailable or Always`);
  }
  const installHint = optionalString(exec, 'installHint', where);
  const provideClusterInfo = optionalBoolean(exec, 'provideClusterInfo', where) ?? false;
  return {
    apiVersion: apiVersion as ExecApiVersion,
    command: command.includes('/') ? resolve(dirname(origin), command) : command,
    args,
    env,
    interactiveMode: mode,
    ...(installHint ? { installHint } : {}),
    ...(provideClusterInfo ? { cluster: execClusterInfo(cluster.fields, tls) } : {}),
  };
}

function execClusterInfo(fields: Fields, tls: ClusterTls): ExecClusterInfo {
  const extensions = Array.isArray(fields.extensions) ? (fields.extensions as unknown[]) : [];
  const execExtension = extensions.find(
    (ext) => typeof ext === 'object' && ext !== null && (ext as Fields).name === 'client.authentication.k8s.io/exec',
  ) as Fields | undefined;
  return {
    server: tls.server,
    ...(tls.tlsServerName ? { 'tls-server-name': tls.tlsServerName } : {}),
    ...(tls.proxyUrl ? { 'proxy-url': tls.proxyUrl } : {}),
    ...(tls.insecureSkipTlsVerify ? { 'insecure-skip-tls-verify': true } : {}),
    ...(tls.ca ? { 'certificate-authority-data': Buffer.from(tls.ca).toString('base64') } : {}),
    ...(execExtension?.extension === undefined ? {} : { config: execExtension.extension }),
  };
}

/** `<name>-data` (base64) wins over `<name>` (a file path relative to the kubeconfig). */
async function dataOrFile(fields: Fields, name: string, origin: string, where: string): Promise<string | undefined> {
  const data = optionalString(fields, `${name}-data`, where);
  if (data) {
    const decoded = Buffer.from(data, 'base64').toString('utf8');
    if (decoded.trim() === '') throw new KubeConfigError(`${where}: ${name}-data is not base64`);
    return decoded;
  }
  const file = optionalString(fields, name, where);
  if (!file) return undefined;
  const path = isAbsolute(file) ? file : resolve(dirname(origin), file);
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new KubeConfigError(
      `${where}: cannot read ${name} ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}

function asFields(value: unknown, where: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KubeConfigError(`${where} must be a mapping`);
  }
  return value as Fields;
}

/** Never quotes the value: it may be a credential. */
function optionalString(fields: Fields, key: string, where: string): string | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new KubeConfigError(`${where}: '${key}' must be a string`);
  return value;
}

function optionalBoolean(fields: Fields, key: string, where: string): boolean | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new KubeConfigError(`${where}: '${key}' must be true or false`);
  return value;
}

function optionalList(fields: Fields, key: string, where: string): readonly unknown[] {
  const value = fields[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new KubeConfigError(`${where}: '${key}' must be a list`);
  return value;
}
