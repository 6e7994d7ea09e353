import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { World } from '../state/world.ts';
import { ManualClock } from '../clock.ts';
import { configFromObject, configFromYaml, loadConfigFile, scenarioFromYaml } from './load.ts';

const EXAMPLE = fileURLToPath(new URL('../scenarios/example.yaml', import.meta.url));

function failure(build: () => unknown): ConfigError {
  try {
    build();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const base = {
  hosts: [{ name: 'a.example', customers: ['1'] }],
  customers: [{ id: '1', libraries: [{ id: 'LIB' }], users: [{ username: 'u', password: 'p' }] }],
};

describe('scenario files', () => {
  it('loads the example scenario with its defaults filled in', async () => {
    const config = await loadConfigFile(EXAMPLE);
    expect(config.hosts.map((h) => h.name)).toEqual([
      'cloudimanage.com',
      'acme.cloudimanage.com',
      'dms.smithlaw.example',
    ]);
    const acme = config.customers.find((c) => c.id === '100');
    const actionstep = acme?.applications.find((a) => a.clientId === 'actionstep-integrations');
    expect(actionstep).toMatchObject({
      allowRefreshToken: true,
      refreshTokenDays: 365,
      accessTokenMinutes: 90,
      grants: ['authorization_code', 'password'],
    });
    const legatics = acme?.applications.find((a) => a.clientId === 'legatics-2');
    expect(legatics).toMatchObject({ allowRefreshToken: false, accessTokenMinutes: 30, scopes: ['user'] });
    expect(() => new World(config, new ManualClock())).not.toThrow();
  });

  it('reads a numeric customer id as a string', () => {
    const config = configFromYaml('hosts: [{name: h.example, customers: [100]}]\ncustomers: [{id: 100}]');
    expect(config.customers[0]?.id).toBe('100');
    expect(config.hosts[0]?.customers).toEqual(['100']);
  });

  it.each([
    [
      'an unknown field',
      { ...base, customers: [{ ...base.customers[0], Libraries: [] }] },
      'config.customers[0].Libraries',
    ],
    [
      'a host naming no known customer',
      { ...base, hosts: [{ name: 'a.example', customers: ['2'] }] },
      'config.hosts[0].customers[0]',
    ],
    [
      'the same user name twice on one host',
      {
        hosts: [{ name: 'c.example', customers: ['1', '2'] }],
        customers: [
          { id: '1', users: [{ username: 'u', password: 'p' }] },
          { id: '2', users: [{ username: 'u', password: 'q' }] },
        ],
      },
      'config.hosts[0] (users of its customers)',
    ],
    [
      'client_credentials without a service user',
      {
        customers: [{ id: '1', applications: [{ clientId: 'c', clientSecret: 's', grants: ['client_credentials'] }] }],
      },
      'config.customers[0].applications[0].serviceUser',
    ],
    [
      'refresh_token listed as a grant',
      { customers: [{ id: '1', applications: [{ clientId: 'c', clientSecret: 's', grants: ['refresh_token'] }] }] },
      'config.customers[0].applications[0].grants[0]',
    ],
    [
      'a certificate fault limited to a path',
      { ...base, faults: [{ kind: 'expired-cert', path: '/api' }] },
      'config.faults[0].path',
    ],
    [
      'a fault on an unknown host',
      { ...base, faults: [{ kind: 'reset', host: 'b.example' }] },
      'config.faults[0].host',
    ],
    [
      'a number field given text',
      { customers: [{ id: '1', libraries: [{ id: 'L', workspaces: [{ name: 'w', custom17: 'x' }] }] }] },
      'config.customers[0].libraries[0].workspaces[0].custom17',
    ],
  ])('refuses %s, naming the field', (_label, raw, path) => {
    expect(failure(() => configFromObject(raw)).path).toBe(path);
  });

  it('refuses a workspace id from another library when building the world', () => {
    const config = configFromObject({
      customers: [{ id: '1', libraries: [{ id: 'L', workspaces: [{ id: 'M!1', name: 'w' }] }] }],
    });
    expect(failure(() => new World(config, new ManualClock())).path).toBe(
      'config.customers[0].libraries[0].workspaces[0].id',
    );
  });

  it('refuses text that is not YAML', () => {
    expect(failure(() => configFromYaml('hosts: [unclosed')).path).toBe('config');
  });

  const UNCLOSED = 'hosts:\n  - name: a.example\n    customers: [1\n';
  const NESTED = 'hosts: []\ncustomers: x\n  id: 1\n';
  it.each([
    ['an unclosed flow sequence', UNCLOSED, /^config: not valid YAML at line 4, column 1: /],
    ['a nested mapping on a key line', NESTED, /^config: not valid YAML at line 3, column 5: /],
    ['two documents', 'hosts: []\n---\ncustomers: []\n', /^config: holds 2 YAML documents; put the scenario in one$/],
  ])('names the line of %s, on one line', (_title, text, message) => {
    const error = failure(() => scenarioFromYaml(text));
    expect(error.path).toBe('config');
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
  });

  it('reads a file of comments only, or with a trailing marker, as one scenario', () => {
    expect(scenarioFromYaml('# nothing yet\n')).toBeNull();
    expect(scenarioFromYaml('hosts: []\n---\n')).toEqual({ hosts: [] });
  });
});
