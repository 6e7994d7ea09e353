#!/usr/bin/env node
// imanage-simulator: one command that serves a scenario file until Ctrl-C.
//   node simulator/main.ts --config simulator/scenarios/example.yaml [--port N] [--tls-port N]
//        [--admin-port N] [--ca-out path] [--bind address]
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from './errors.ts';
import { scenarioFromYaml } from './config/load.ts';
import type { Scenario } from './config/spec.ts';
import { startSimulator, type RunningSimulator } from './server.ts';

export const USAGE = `usage: imanage-simulator --config <file> [--port N] [--tls-port N] [--admin-port N] [--ca-out path] [--bind address]
  --help        print this help and exit
  --config      scenario YAML (see simulator/README.md)
  --tls-port    HTTPS port for every virtual host (default 8443; 0 = any free port)
  --port        also serve plain HTTP on this port (default: off)
  --admin-port  admin API port, plain HTTP on 127.0.0.1 (default 8444)
  --ca-out      where to write the test CA certificate (default: <tmp>/imanage-simulator-ca.pem)
  --bind        address to listen on (default 127.0.0.1)`;

export interface CliOptions {
  readonly config: string;
  readonly tlsPort: number;
  readonly httpPort: number | false;
  readonly adminPort: number;
  readonly caOut: string;
  readonly bind: string;
}

/** `--help` (or `-h`) anywhere: the caller prints USAGE and exits 0. */
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

export function parseCli(args: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: [...args],
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      'tls-port': { type: 'string' },
      'admin-port': { type: 'string' },
      'ca-out': { type: 'string' },
      bind: { type: 'string' },
    },
    strict: true,
  });
  if (values.config === undefined) throw new ConfigError('--config', 'is required');
  return {
    config: values.config,
    tlsPort: port(values['tls-port'], '--tls-port', 8443),
    httpPort: values.port === undefined ? false : port(values.port, '--port', 0),
    adminPort: port(values['admin-port'], '--admin-port', 8444),
    caOut: resolve(values['ca-out'] ?? join(tmpdir(), 'imanage-simulator-ca.pem')),
    bind: values.bind ?? '127.0.0.1',
  };
}

function port(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(flag, `must be a port number (got '${value}')`);
  return n;
}

/** What to tell the user: where it listens and how to point curl at it. */
export function describe(sim: RunningSimulator, hosts: readonly string[], options: CliOptions): string {
  const example = hosts.find((h) => h !== 'cloudimanage.com') ?? hosts[0] ?? 'cloudimanage.com';
  const curl = `curl --resolve ${example}:${sim.httpsPort}:127.0.0.1 --cacert ${options.caOut}`;
  const base = `https://${example}:${sim.httpsPort}`;
  return [
    `iManage simulator on ${options.bind}`,
    `  https  port ${sim.httpsPort}  hosts: ${hosts.join(', ')}`,
    ...(sim.httpPort === undefined ? [] : [`  http   port ${sim.httpPort}  (Host header picks the virtual host)`]),
    `  admin  http://127.0.0.1:${sim.adminPort ?? ''}/_admin`,
    `  CA     ${options.caOut}`,
    '',
    'Get a token, then call discovery:',
    `  ${curl} ${base}/auth/oauth2/token \\`,
    `    -d grant_type=password -d client_id=<client id> -d client_secret=<secret> -d username=<user> -d password=<password>`,
    `  ${curl} -H 'X-Auth-Token: <access_token>' ${base}/api`,
    '',
    'Ctrl-C stops it.',
  ].join('\n');
}

async function main(): Promise<void> {
  if (wantsHelp(process.argv.slice(2))) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const options = parseCli(process.argv.slice(2));
  const scenario = scenarioFromYaml(await readFile(options.config, 'utf8')) as Scenario | null;
  const sim = await startSimulator(scenario ?? {}, {
    httpsPort: options.tlsPort,
    httpPort: options.httpPort,
    adminPort: options.adminPort,
    bindAddress: options.bind,
  });
  await writeFile(options.caOut, sim.caPem);
  const hosts = sim.admin.summary().hosts.map((h) => h.name);
  process.stdout.write(`${describe(sim, hosts, options)}\n`);
  const shutdown = (): void => {
    void sim.stop().then(() => process.stdout.write('stopped\n'));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    const message = err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err);
    process.stderr.write(`imanage-simulator: ${message}\n${err instanceof ConfigError ? `${USAGE}\n` : ''}`);
    process.exitCode = 1;
  });
}
