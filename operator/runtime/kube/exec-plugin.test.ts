import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../clock.ts';
import { ExecPluginError, KubeConfigError } from './errors.ts';
import { ExecAuthenticator, expirySkewMs, parseExecCredential, type ExecConfig } from './exec-plugin.ts';

const CERT = readFileSync(new URL('./testdata/client.crt', import.meta.url), 'utf8');
const KEY = readFileSync(new URL('./testdata/client.key', import.meta.url), 'utf8');
const v1 = 'client.authentication.k8s.io/v1';
const v1beta1 = 'client.authentication.k8s.io/v1beta1';

let dir: string;
let plugin: string;

// The plugin counts its runs, records its input and prints whatever credential.json holds.
const script = `#!/bin/sh
here=$(dirname "$0")
echo run >> "$here/runs"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$here/exec-info.json"
printf '%s %s' "$PLUGIN_GREETING" "$*" > "$here/env-and-args"
[ -f "$here/exit-code" ] && exit "$(cat "$here/exit-code")"
cat "$here/credential.json"
`;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exec-plugin-'));
  plugin = join(dir, 'plugin.sh');
  await writeFile(plugin, script);
  await chmod(plugin, 0o755);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function prints(status: object, apiVersion = v1): Promise<void> {
  await writeFile(join(dir, 'credential.json'), JSON.stringify({ apiVersion, kind: 'ExecCredential', status }));
}

async function runs(): Promise<number> {
  const text = await readFile(join(dir, 'runs'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).length;
}

function config(overrides: Partial<ExecConfig> = {}): ExecConfig {
  return { apiVersion: v1, command: plugin, args: [], env: [], interactiveMode: 'IfAvailable', ...overrides };
}

describe('ExecAuthenticator', () => {
  it.each([v1, v1beta1] as const)(
    'runs a %s plugin with its args, env and KUBERNETES_EXEC_INFO',
    async (apiVersion) => {
      await prints({ token: 'plugin-token' }, apiVersion);
      const auth = new ExecAuthenticator(
        config({ apiVersion, args: ['get-token', '--cluster=a'], env: [{ name: 'PLUGIN_GREETING', value: 'hello' }] }),
        new FakeClock(),
      );
      expect(await auth.credentials()).toEqual({ token: 'plugin-token' });
      expect(JSON.parse(await readFile(join(dir, 'exec-info.json'), 'utf8'))).toEqual({
        apiVersion,
        kind: 'ExecCredential',
        spec: { interactive: false },
      });
      expect(await readFile(join(dir, 'env-and-args'), 'utf8')).toBe('hello get-token --cluster=a');
    },
  );

  it('passes the cluster when the kubeconfig asks for provideClusterInfo', async () => {
    await prints({ token: 't' });
    const cluster = {
      server: 'https://k.example:6443',
      'certificate-authority-data': 'Q0E=',
      config: { audience: 'x' },
    };
    await new ExecAuthenticator(config({ cluster }), new FakeClock()).credentials();
    const info = JSON.parse(await readFile(join(dir, 'exec-info.json'), 'utf8'));
    expect(info.spec).toEqual({ interactive: false, cluster });
  });

  it('caches the credential until its expirationTimestamp', async () => {
    const clock = new FakeClock(Date.UTC(2025, 0, 1, 12, 0, 0));
    await prints({ token: 'first', expirationTimestamp: '2025-01-01T13:00:00Z' });
    const auth = new ExecAuthenticator(config(), clock);
    expect((await auth.credentials()).token).toBe('first');
    await prints({ token: 'second', expirationTimestamp: '2025-01-01T14:00:00Z' });
    await clock.advance(60 * 60_000 - expirySkewMs - 1);
    expect((await auth.credentials()).token).toBe('first');
    expect(await runs()).toBe(1);
    await clock.advance(1);
    expect((await auth.credentials()).token).toBe('second');
    expect(await runs()).toBe(2);
  });

  it('keeps a credential without expiry until the server rejects it', async () => {
    await prints({ token: 'first' });
    const clock = new FakeClock();
    const auth = new ExecAuthenticator(config(), clock);
    const first = await auth.credentials();
    await clock.advance(24 * 60 * 60_000);
    expect(await auth.credentials()).toBe(first);
    auth.invalidate({ token: 'first' }); // not the object handed out: someone else's rejection
    expect(await auth.credentials()).toBe(first);
    expect(await runs()).toBe(1);
    await prints({ token: 'second' });
    auth.invalidate(first);
    expect((await auth.credentials()).token).toBe('second');
    expect(await runs()).toBe(2);
  });

  it('runs the plugin once for concurrent requests', async () => {
    await prints({ token: 'shared' });
    const auth = new ExecAuthenticator(config(), new FakeClock());
    const all = await Promise.all([auth.credentials(), auth.credentials(), auth.credentials()]);
    expect(all.map((c) => c.token)).toEqual(['shared', 'shared', 'shared']);
    expect(await runs()).toBe(1);
  });

  it('hands out a client certificate', async () => {
    await prints({ clientCertificateData: CERT, clientKeyData: KEY });
    expect(await new ExecAuthenticator(config(), new FakeClock()).credentials()).toEqual({ cert: CERT, key: KEY });
  });

  it('reports a failing plugin by exit code, without its output', async () => {
    await prints({ token: 'secret-token-in-output' });
    await writeFile(join(dir, 'exit-code'), '3');
    const failure = new ExecAuthenticator(config(), new FakeClock()).credentials();
    await expect(failure).rejects.toThrow(new ExecPluginError(`exec plugin '${plugin}' exited with code 3`));
  });

  it('reports a missing plugin with its install hint', async () => {
    const auth = new ExecAuthenticator(
      config({ command: 'no-such-plugin-here', installHint: 'brew install it' }),
      new FakeClock(),
    );
    await expect(auth.credentials()).rejects.toThrow(
      new ExecPluginError("exec plugin 'no-such-plugin-here' not found: brew install it"),
    );
  });

  it('refuses a plugin that needs a terminal', () => {
    expect(() => new ExecAuthenticator(config({ interactiveMode: 'Always' }), new FakeClock())).toThrow(
      KubeConfigError,
    );
  });

  it('runs again after a failure', async () => {
    await writeFile(join(dir, 'exit-code'), '1');
    const auth = new ExecAuthenticator(config(), new FakeClock());
    await expect(auth.credentials()).rejects.toThrow(ExecPluginError);
    await rm(join(dir, 'exit-code'));
    await prints({ token: 'recovered' });
    expect((await auth.credentials()).token).toBe('recovered');
  });
});

describe('parseExecCredential', () => {
  const secret = 'sekret-value-123';
  const of = (output: object | string): string => (typeof output === 'string' ? output : JSON.stringify(output));

  it.each([
    ['not JSON', `token=${secret}`, 'did not print JSON'],
    ['not an object', of([secret]), 'did not print an ExecCredential'],
    [
      'another kind',
      of({ kind: 'Secret', apiVersion: v1, status: { token: secret } }),
      'did not print an ExecCredential',
    ],
    [
      'another apiVersion',
      of({ kind: 'ExecCredential', apiVersion: v1beta1, status: { token: secret } }),
      `printed apiVersion '${v1beta1}', but the kubeconfig asks for '${v1}'`,
    ],
    ['no status', of({ kind: 'ExecCredential', apiVersion: v1 }), 'printed an ExecCredential without status'],
    [
      'nothing usable',
      of({ kind: 'ExecCredential', apiVersion: v1, status: {} }),
      'printed neither a token nor a client certificate',
    ],
    [
      'half a certificate',
      of({ kind: 'ExecCredential', apiVersion: v1, status: { clientKeyData: secret } }),
      'printed only one of clientCertificateData and clientKeyData',
    ],
    [
      'a key that is not PEM',
      of({ kind: 'ExecCredential', apiVersion: v1, status: { clientCertificateData: CERT, clientKeyData: secret } }),
      'printed clientCertificateData and clientKeyData that are not a usable PEM pair (DECODER routines::unsupported)',
    ],
    [
      'a bad expiry',
      of({ kind: 'ExecCredential', apiVersion: v1, status: { token: secret, expirationTimestamp: 'soon' } }),
      'printed an expirationTimestamp that is not RFC 3339',
    ],
  ])('refuses %s without quoting the output', (_case, stdout, problem) => {
    let caught: unknown;
    try {
      parseExecCredential(stdout, { command: 'p', apiVersion: v1 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ExecPluginError);
    expect((caught as Error).message).toBe(`exec plugin 'p' ${problem}`);
    expect((caught as Error).cause).toBeUndefined();
  });

  it('reads token, certificate and expiry together', () => {
    const stdout = of({
      kind: 'ExecCredential',
      apiVersion: v1,
      status: {
        token: 't',
        clientCertificateData: CERT,
        clientKeyData: KEY,
        expirationTimestamp: '2030-01-02T03:04:05Z',
      },
    });
    expect(parseExecCredential(stdout, { command: 'p', apiVersion: v1 })).toEqual({
      credentials: { token: 't', cert: CERT, key: KEY },
      expiresAtMs: Date.UTC(2030, 0, 2, 3, 4, 5),
    });
  });
});
