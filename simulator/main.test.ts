// The one command: start from a scenario file, print how to reach it, serve, stop on Ctrl-C.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { parseCli } from './main.ts';
import { form, send, type Target } from './testing/client.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('./scenarios/example.yaml', import.meta.url));

describe('parseCli', () => {
  it('applies defaults', () => {
    expect(parseCli(['--config', 'x.yaml'])).toMatchObject({
      config: 'x.yaml',
      tlsPort: 8443,
      httpPort: false,
      adminPort: 8444,
      bind: '127.0.0.1',
    });
  });

  it.each([[[]], [['--config', 'x', '--tls-port', 'http']], [['--config', 'x', '--port', '70000']]])(
    'refuses %j',
    (args) => {
      expect(() => parseCli(args)).toThrow(ConfigError);
    },
  );
});

describe('node simulator/main.ts --help', () => {
  it.each([['--help'], ['-h']])('%s prints the usage on stdout and exits 0', async (flag) => {
    const child = spawn(process.execPath, [MAIN, flag]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('usage: imanage-simulator --config <file>');
    expect(stdout).toContain('--help');
  });
});

describe('node simulator/main.ts', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imanage-sim-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('serves the example over HTTPS like curl --resolve --cacert expects, and stops on SIGINT', async () => {
    const caOut = join(dir, 'ca.pem');
    const child = spawn(process.execPath, [
      MAIN,
      '--config',
      EXAMPLE,
      '--tls-port',
      '0',
      '--admin-port',
      '0',
      '--ca-out',
      caOut,
    ]);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => output.includes('Ctrl-C stops it.') && resolve());
      child.on('exit', () => reject(new Error(`simulator exited early: ${output}`)));
    });

    const port = Number(/https {2}port (\d+)/.exec(output)?.[1]);
    expect(output).toContain(`curl --resolve acme.cloudimanage.com:${port}:127.0.0.1 --cacert ${caOut}`);
    const acme: Target = { port, host: 'acme.cloudimanage.com', ca: await readFile(caOut, 'utf8') };
    const body = form({
      grant_type: 'password',
      client_id: 'clio-operate',
      client_secret: 'clio-operate-secret',
      username: 'jsmith',
      password: 'jsmith-pass',
    });
    const token = (await send(acme, { method: 'POST', path: '/auth/oauth2/token', ...body })).json<{
      access_token: string;
    }>().access_token;
    const discovery = await send(acme, { path: '/api', headers: { 'x-auth-token': token } });
    expect(discovery.json()).toMatchObject({ data: { user: { customer_id: '100' } } });

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('stopped');
  });
});
