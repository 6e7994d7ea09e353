// Every flag of `run` is checked before anything starts: a bad value is a usage error that names
// the flag and the fix (exit 2), never a stack trace.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRunConfig, RUN_FLAGS, RunUsageError } from './run-flags.ts';

const main = join(import.meta.dirname, 'main.ts');

describe('readRunConfig', () => {
  it('gives the defaults with no flags', () => {
    const config = readRunConfig([], {});
    expect(config).toMatchObject({
      namespaces: [],
      health: { host: '0.0.0.0', port: 8080 },
      concurrency: 16,
      reconcilesPerSecond: 1000,
      resyncPeriodMs: 600_000,
      resyncLooksPerSecond: 100,
      leaderElect: true,
      leaderElectionId: 'imanage-operator',
      shutdownGraceMs: 30_000,
      logLevel: 'info',
      probes: { serviceCidrs: [], allowedCidrs: [], expiryWarningDays: 14, allowLoopback: false },
    });
  });

  it('reads repeated and comma-separated CIDR flags, flags before environment variables', () => {
    const config = readRunConfig(
      [
        '--allow-probe-cidr',
        '10.20.0.0/16',
        '--allow-probe-cidr',
        '192.168.0.0/16,fd12::/16',
        '--service-cidr',
        '10.96.0.0/12',
      ],
      { IMANAGE_SERVICE_CIDRS: '172.20.0.0/16', IMANAGE_ALLOW_PROBE_CIDRS: '10.0.0.0/8' },
    );
    expect(config.probes).toMatchObject({
      serviceCidrs: ['10.96.0.0/12'],
      allowedCidrs: ['10.20.0.0/16', '192.168.0.0/16', 'fd12::/16'],
    });
    expect(readRunConfig([], { IMANAGE_ALLOW_PROBE_CIDRS: '10.0.0.0/8' }).probes?.allowedCidrs).toEqual(['10.0.0.0/8']);
  });

  it('accepts an IPv6 health address and a set-based label selector', () => {
    const config = readRunConfig(
      ['--health-address', '[::]:9090', '--label-selector', 'shard in (a,b),tier!=web,!legacy'],
      {},
    );
    expect(config).toMatchObject({
      health: { host: '::', port: 9090 },
      labelSelector: 'shard in (a,b),tier!=web,!legacy',
    });
  });

  it.each([
    ['service-cidr', '10.96.0.0', /^--service-cidr takes CIDR ranges such as 10\.96\.0\.0\/12 .*, not '10\.96\.0\.0'$/],
    ['service-cidr', '10.96.0.0/12,10.96.0.0/40', /^--service-cidr takes CIDR ranges .*, not '10\.96\.0\.0\/40'$/],
    ['allow-probe-cidr', 'office', /^--allow-probe-cidr takes CIDR ranges .*, not 'office'$/],
    ['health-address', ':99999', /^--health-address must be host:port or :port, with a port from 0 to 65535/],
    ['health-address', 'localhost', /^--health-address must be host:port/],
    ['concurrency', '0', /^--concurrency must be a whole number from 1 to 1000, not '0'$/],
    ['concurrency', '2.5', /^--concurrency must be a whole number/],
    ['max-reconciles-per-second', 'fast', /^--max-reconciles-per-second must be a number above 0/],
    ['max-reconciles-per-second', '-1', /^--max-reconciles-per-second must be a number above 0/],
    ['resync-period', '10', /^--resync-period must be a duration such as 30s, 10m or 1h30m, from 1s to 24h, not '10'$/],
    ['resync-period', '9999h', /^--resync-period must be a duration .* from 1s to 24h/],
    ['resync-looks-per-second', '-1', /^--resync-looks-per-second must be a whole number from 0 to 100000, not '-1'$/],
    ['resync-looks-per-second', 'fast', /^--resync-looks-per-second must be a whole number/],
    ['shutdown-grace', '0s', /^--shutdown-grace must be a duration .* above 0 and at most 1h/],
    ['leader-elect', 'yes', /^--leader-elect must be true or false, not 'yes'$/],
    ['leader-election-namespace', 'Kube_System', /^--leader-election-namespace takes a namespace name/],
    ['leader-election-id', 'My Lease', /^--leader-election-id takes a Lease name/],
    [
      'log-level',
      'verbose',
      /^--log-level must be one of trace, debug, info, warn, error, fatal, silent, not 'verbose'$/,
    ],
    ['namespaces', 'team-a,Team_B', /^--namespaces takes namespace names .*, not 'Team_B'$/],
    ['label-selector', 'a=b=c', /^--label-selector must be a label selector/],
    ['probes', 'on', /^--probes must be true or false, not 'on'$/],
    ['default-client-secret', 'just-a-name', /^--default-client-secret takes namespace\/name of a Secret/],
    [
      'certificate-expiry-warning-days',
      '-3',
      /^--certificate-expiry-warning-days must be a whole number from 0 to 3650/,
    ],
    ['resolve', 'dms.example:443:not-an-ip', /^--resolve takes host:port:address\[:port\] entries/],
    ['allow-loopback-probes', '1', /^--allow-loopback-probes must be true or false, not '1'$/],
    ['callback-url', 'http://op.example/oauth/callback', /^--callback-url must be an https URL without query/],
    ['callback-url', 'https://op.example/cb?x=1', /^--callback-url must be an https URL without query/],
    ['callback-url', 'https://OP.example/cb', /^--callback-url must be .* written as iManage registers it/],
    ['callback-address', ':70000', /^--callback-address must be host:port or :port, .* such as :8081/],
    ['callback-tls-cert-file', 'tls.crt', /^--callback-tls-cert-file and --callback-tls-key-file go together/],
  ])('--%s %j is a usage error naming the flag and the fix', (flag, value, message) => {
    expect(() => readRunConfig([`--${flag}=${value}`], {})).toThrow(RunUsageError);
    expect(() => readRunConfig([`--${flag}=${value}`], {})).toThrow(message);
  });

  it('serves the callback only with --callback-url, on :8081 unless told', () => {
    expect(readRunConfig([], {}).link).toBeUndefined();
    const url = 'https://imanage-operator.example.com/oauth/callback';
    expect(readRunConfig([], { IMANAGE_CALLBACK_URL: url }).link).toEqual({
      callbackUrl: url,
      address: { host: '0.0.0.0', port: 8081 },
    });
  });

  it('refuses unencrypted token storage only when asked, by flag or environment variable', () => {
    expect(readRunConfig([], {}).requireTokenEncryption).toBe(false);
    expect(readRunConfig(['--require-token-encryption', 'true'], {}).requireTokenEncryption).toBe(true);
    expect(readRunConfig([], { IMANAGE_REQUIRE_TOKEN_ENCRYPTION: 'true' }).requireTokenEncryption).toBe(true);
    expect(() => readRunConfig([], { IMANAGE_REQUIRE_TOKEN_ENCRYPTION: 'yes' })).toThrow(
      /--require-token-encryption \(from IMANAGE_REQUIRE_TOKEN_ENCRYPTION\)/,
    );
  });

  it('names the environment variable when the bad value came from there', () => {
    expect(() => readRunConfig([], { IMANAGE_SERVICE_CIDRS: '10.96.0.0' })).toThrow(
      /^--service-cidr \(from IMANAGE_SERVICE_CIDRS\) takes CIDR ranges .*, not '10\.96\.0\.0'$/,
    );
  });

  it('turns an unknown flag or a missing value into a usage error', () => {
    expect(() => readRunConfig(['--concurency', '4'], {})).toThrow(RunUsageError);
    expect(() => readRunConfig(['--concurrency'], {})).toThrow(RunUsageError);
  });

  it('checks the probe flags even when probes are off', () => {
    expect(() => readRunConfig(['--probes', 'false', '--service-cidr', '10.96.0.0'], {})).toThrow(/^--service-cidr/);
  });

  it('reads the egress proxy from HTTPS_PROXY and NO_PROXY, the flags winning', () => {
    const env = { HTTPS_PROXY: 'http://proxy.corp:3128', NO_PROXY: '.internal.example' };
    expect(readRunConfig([], env).probes?.overrides.proxy).toMatchObject({ host: 'proxy.corp', port: 3128 });
    const flagged = readRunConfig(['--https-proxy', 'http://other.corp:8080', '--no-proxy', '*'], env);
    expect(flagged.probes?.overrides.proxy).toMatchObject({ host: 'other.corp', bypass: [{ kind: 'all' }] });
    expect(readRunConfig([], {}).probes?.overrides.proxy).toBeUndefined();
  });

  it('refuses a proxy URL that is not http://, without repeating its password', () => {
    const attempt = () => readRunConfig([], { HTTPS_PROXY: 'https://svc:pw-secret-9@proxy.corp:3128' });
    expect(attempt).toThrow(
      /^--https-proxy \(from HTTPS_PROXY\) must be an http:\/\/ URL .*, not 'https:\/\/proxy\.corp:3128'$/,
    );
    expect(attempt).not.toThrow(/pw-secret-9/);
    expect(() => readRunConfig(['--no-proxy', 'a b!'], {})).toThrow(/^--no-proxy takes names, addresses and CIDRs/);
  });

  it('has an environment variable for every flag, each its own', () => {
    const envs = Object.values(RUN_FLAGS).map((f) => f.env);
    expect(new Set(envs).size).toBe(envs.length);
  });
});

describe('imanage-operator run with a bad flag', () => {
  it.each([
    [['--service-cidr', '10.96.0.0'], /--service-cidr takes CIDR ranges/],
    [['--health-address', ':70000'], /--health-address must be host:port/],
    [['--log-level', 'loud'], /--log-level must be one of/],
    [['--no-such-flag'], /Unknown option '--no-such-flag'/],
  ])('%j exits 2 with a usage error, before reading any kubeconfig, and no stack trace', (args, message) => {
    const run = spawnSync(process.execPath, [main, 'run', ...args], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { PATH: process.env['PATH'], KUBECONFIG: '/nonexistent/kubeconfig' },
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/^imanage-operator: /);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
