// Exec credential plugins (client.authentication.k8s.io/v1 and v1beta1), as client-go runs them:
// the command gets KUBERNETES_EXEC_INFO, prints an ExecCredential, and its token or client
// certificate is cached until `expirationTimestamp` (or until a 401 when it has none).
// The plugin's stderr goes to ours, as with kubectl; its stdout holds the credential and never
// reaches an error message.
import { execFile, type ExecFileException } from 'node:child_process';
import type { Clock } from '../clock.ts';
import type { Authenticator, Credentials } from './auth.ts';
import { ExecPluginError, KubeConfigError } from './errors.ts';
import { unusableClientCertificate } from './tls-material.ts';

export const execApiVersions = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const;
export type ExecApiVersion = (typeof execApiVersions)[number];

export interface ExecConfig {
  readonly apiVersion: ExecApiVersion;
  /** A bare name is looked up on PATH; a path was already made absolute by the loader. */
  readonly command: string;
  readonly args: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly installHint?: string;
  readonly interactiveMode: 'Never' | 'IfAvailable' | 'Always';
  /** Sent as `spec.cluster` when the kubeconfig sets `provideClusterInfo`. */
  readonly cluster?: ExecClusterInfo;
}

/** `spec.cluster` of the ExecCredential input (kubeconfig field names). */
export interface ExecClusterInfo {
  readonly server: string;
  readonly 'tls-server-name'?: string;
  readonly 'insecure-skip-tls-verify'?: boolean;
  /** Base64 of the PEM bundle, as in a kubeconfig. */
  readonly 'certificate-authority-data'?: string;
  readonly 'proxy-url'?: string;
  readonly 'disable-compression'?: boolean;
  readonly config?: unknown;
}

/** A credential expiring within this margin is renewed before use, not after a 401. */
export const expirySkewMs = 10_000;
const maxOutputBytes = 1024 * 1024;

interface Cached {
  readonly credentials: Credentials;
  readonly expiresAtMs: number | undefined;
}

export class ExecAuthenticator implements Authenticator {
  readonly #config: ExecConfig;
  readonly #clock: Clock;
  readonly #baseEnv: NodeJS.ProcessEnv;
  #cached: Cached | undefined;
  #running: Promise<Cached> | undefined;

  constructor(config: ExecConfig, clock: Clock, baseEnv: NodeJS.ProcessEnv = process.env) {
    if (config.interactiveMode === 'Always') {
      throw new KubeConfigError(
        `exec plugin '${config.command}' requires interactive mode, which an operator cannot offer`,
      );
    }
    this.#config = config;
    this.#clock = clock;
    this.#baseEnv = baseEnv;
  }

  async credentials(): Promise<Credentials> {
    const cached = this.#cached;
    if (
      cached &&
      (cached.expiresAtMs === undefined || this.#clock.now().getTime() < cached.expiresAtMs - expirySkewMs)
    ) {
      return cached.credentials;
    }
    // Concurrent requests share one plugin run.
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
    this.#cached = await this.#running;
    return this.#cached.credentials;
  }

  invalidate(rejected: Credentials): void {
    if (this.#cached?.credentials === rejected) this.#cached = undefined;
  }

  async #run(): Promise<Cached> {
    const stdout = await this.#exec();
    return parseExecCredential(stdout, this.#config);
  }

  #exec(): Promise<string> {
    const { command, args, env, apiVersion, cluster } = this.#config;
    const input = { apiVersion, kind: 'ExecCredential', spec: { interactive: false, ...(cluster ? { cluster } : {}) } };
    const childEnv: NodeJS.ProcessEnv = { ...this.#baseEnv, KUBERNETES_EXEC_INFO: JSON.stringify(input) };
    for (const { name, value } of env) childEnv[name] = value;
    return new Promise((resolve, reject) => {
      const child = execFile(
        command,
        [...args],
        { env: childEnv, encoding: 'utf8', maxBuffer: maxOutputBytes, windowsHide: true },
        (error, out) => {
          if (error) reject(this.#failure(error));
          else resolve(out);
        },
      );
      child.stdin?.end();
      child.stderr?.pipe(process.stderr, { end: false });
    });
  }

  #failure(error: ExecFileException): ExecPluginError {
    const { command, installHint } = this.#config;
    if (error.code === 'ENOENT') {
      return new ExecPluginError(`exec plugin '${command}' not found${installHint ? `: ${installHint}` : ''}`);
    }
    if (error.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
      return new ExecPluginError(`exec plugin '${command}' wrote more than ${maxOutputBytes} bytes`);
    }
    const how =
      typeof error.code === 'number' ? `exited with code ${error.code}` : `failed (${String(error.code ?? 'signal')})`;
    return new ExecPluginError(`exec plugin '${command}' ${how}`);
  }
}

/** Parses and checks the plugin's output; the error never quotes the output. */
export function parseExecCredential(stdout: string, config: Pick<ExecConfig, 'command' | 'apiVersion'>): Cached {
  const fail = (what: string): ExecPluginError => new ExecPluginError(`exec plugin '${config.command}' ${what}`);
  let output: unknown;
  try {
    output = JSON.parse(stdout);
  } catch {
    throw fail('did not print JSON');
  }
  if (typeof output !== 'object' || output === null) throw fail('did not print an ExecCredential');
  const { kind, apiVersion, status } = output as { kind?: unknown; apiVersion?: unknown; status?: unknown };
  if (kind !== 'ExecCredential') throw fail('did not print an ExecCredential');
  if (apiVersion !== config.apiVersion) {
    throw fail(`printed apiVersion '${String(apiVersion)}', but the kubeconfig asks for '${config.apiVersion}'`);
  }
  if (typeof status !== 'object' || status === null) throw fail('printed an ExecCredential without status');
  const { token, clientCertificateData, clientKeyData, expirationTimestamp } = status as Record<string, unknown>;
  const credentials: { token?: string; cert?: string; key?: string } = {};
  if (typeof token === 'string' && token !== '') credentials.token = token;
  if (typeof clientCertificateData === 'string' || typeof clientKeyData === 'string') {
    if (typeof clientCertificateData !== 'string' || typeof clientKeyData !== 'string') {
      throw fail('printed only one of clientCertificateData and clientKeyData');
    }
    const unusable = unusableClientCertificate(clientCertificateData, clientKeyData);
    if (unusable !== undefined) {
      throw fail(`printed clientCertificateData and clientKeyData that are not a usable PEM pair (${unusable})`);
    }
    credentials.cert = clientCertificateData;
    credentials.key = clientKeyData;
  }
  if (credentials.token === undefined && credentials.cert === undefined) {
    throw fail('printed neither a token nor a client certificate');
  }
  let expiresAtMs: number | undefined;
  if (expirationTimestamp !== undefined && expirationTimestamp !== null) {
    expiresAtMs = typeof expirationTimestamp === 'string' ? Date.parse(expirationTimestamp) : Number.NaN;
    if (Number.isNaN(expiresAtMs)) throw fail('printed an expirationTimestamp that is not RFC 3339');
  }
  return { credentials: Object.freeze(credentials), expiresAtMs };
}
