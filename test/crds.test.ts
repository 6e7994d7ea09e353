// The CRDs on a real API server: accepted, explained, printed, and every CEL rule enforced with
// the same message as its offline twin.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allCelRules } from '../operator/api/schemas/index.ts';
import { baseConnection, baseRepository, mergePatch } from '../operator/api/validation/fixtures.ts';
import { useTestNamespace } from './harness/namespace.ts';

const ns = useTestNamespace('crds');
const json = (doc: unknown) => JSON.stringify(doc);

describe('CEL rules on the API server', () => {
  const cases = allCelRules().filter((r) => !r.transition).flatMap((r) => r.rejects.map((e) => [e.title, r, e] as const));

  it.each(cases)('rejects: %s', async (_title, rule, example) => {
    const base = example.kind === 'WorkspaceRepository' ? baseRepository() : baseConnection();
    const result = await ns.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: json(mergePatch(base, example.patch)) });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(rule.message);
  });

  it.each([
    ['the base connection', baseConnection('base')],
    ['the base repository', baseRepository('base')],
  ])('accepts %s', async (_title, doc) => {
    const result = await ns.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: json(doc) });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it.each([
    ['a number', 4021],
    ['a string', '4021'],
  ])('accepts spec.customerId as %s, which the Cloud rule reads as present', async (_title, customerId) => {
    const doc = mergePatch(baseConnection(`customer-${typeof customerId}`), { spec: { customerId } });
    const created = await ns.kubectl(['apply', '-f', '-'], { input: json(doc) });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const stored = await ns.kubectl(['get', 'imc', doc.metadata.name!, '-o', 'json']);
    expect(JSON.parse(stored.stdout).spec.customerId).toBe(customerId);
  });

  it('accepts a bare number in YAML (customerId: 4021)', async () => {
    const yaml = `apiVersion: ${baseConnection().apiVersion}\nkind: IManageConnection\nmetadata:\n  name: bare\nspec:\n  connectionType: Cloud\n  url: https://acme.cloudimanage.com\n  customerId: 4021\n`;
    const result = await ns.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: yaml });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it.each([
    [4021.5, /spec.customerId/],
    [true, /spec.customerId/],
    ['', /spec.customerId/],
    [-1, /spec.customerId/],
  ])('refuses spec.customerId %j', async (customerId, message) => {
    const doc = mergePatch(baseConnection('bad-customer'), { spec: { customerId } });
    const result = await ns.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: json(doc) });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });

  it('refuses an unknown field (strict field validation)', async () => {
    const result = await ns.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: json(mergePatch(baseConnection(), { spec: { customerID: '1' } })) });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/unknown field "spec.customerID"/);
  });

  it('refuses duplicate environment names', async () => {
    const doc = mergePatch(baseConnection(), { spec: { environments: [{ name: 'uat', baseUrl: 'https://a.example' }, { name: 'uat', baseUrl: 'https://b.example' }] } });
    const result = await ns.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: json(doc) });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/spec.environments\[1\]: Duplicate value/);
  });
});

describe('updates', () => {
  it('accepts a valid update and refuses a url change', async () => {
    const created = await ns.kubectl(['apply', '-f', '-'], { input: json(baseConnection('update-me')) });
    expect(created.code, created.stderr).toBe(0);

    const updated = await ns.kubectl(['apply', '-f', '-'], { input: json(mergePatch(baseConnection('update-me'), { spec: { library: 'ACTIVE_UK' } })) });
    expect(updated.code, updated.stderr).toBe(0);
    const library = await ns.kubectl(['get', 'imc', 'update-me', '-o', 'jsonpath={.spec.library}']);
    expect(library.stdout).toBe('ACTIVE_UK');

    const moved = await ns.kubectl(['apply', '-f', '-'], { input: json(mergePatch(baseConnection('update-me'), { spec: { url: 'https://other.cloudimanage.com' } })) });
    expect(moved.code).not.toBe(0);
    const immutable = allCelRules().find((r) => r.transition)!;
    expect(moved.stderr).toContain(`spec.url: Invalid value: "https://other.cloudimanage.com": ${immutable.message}`);
  });
});

describe('apiUrl, where the access token goes', () => {
  const onPremise = (name: string, apiUrl?: string) =>
    mergePatch(baseConnection(name), {
      spec: {
        connectionType: 'OnPremise',
        url: 'https://dms.acme.example',
        customerId: null,
        clientSecretRef: { name: 'application' },
        apiUrl: apiUrl ?? null,
      },
    });
  const immutable = allCelRules().find((r) => r.transition && r.fieldPath === '.apiUrl')!;

  it('on Cloud, only at a cloudimanage.com host: the Clio Operate Cloud example with an attacker apiUrl is refused', async () => {
    const file = join(import.meta.dirname, '..', 'examples', 'invalid', 'cloud-api-url-elsewhere.yaml');
    const result = await ns.kubectl(['apply', '--dry-run=server', '-f', file]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/spec\.apiUrl: Invalid value: .*connectionType Cloud and Hosted need apiUrl, when set, on/);
  });

  it.each([
    ['changed', 'https://api.acme.example', 'https://api.attacker.example'],
    ['added', undefined, 'https://api.attacker.example'],
    ['removed', 'https://api.acme.example', undefined],
  ])('cannot be %s after creation', async (_title, first, then) => {
    const name = `api-${_title}`;
    const created = await ns.kubectl(['apply', '-f', '-'], { input: json(onPremise(name, first)) });
    expect(created.code, created.stderr).toBe(0);
    const moved = await ns.kubectl(['apply', '-f', '-'], { input: json(onPremise(name, then)) });
    expect(moved.code).not.toBe(0);
    expect(moved.stderr).toContain(immutable.message);
  });
});

describe('what users see', () => {
  it('kubectl explain shows the field descriptions', async () => {
    const result = await ns.kubectl(['explain', 'imanageconnection.spec.environments']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/The product environments \(production, UAT, training, test, …\)/);
    expect(result.stdout).toMatch(/redirectUri\s+<string>/);
    expect(result.stdout).toMatch(/baseUrl\s+<string> -required-/);
  });

  it('kubectl get prints Ready, Reason, URL or Area, and Age', async () => {
    await ns.apply(json(baseConnection('columns')) + '\n---\n' + json(baseRepository('columns')));
    const connections = await ns.kubectl(['get', 'imanageconnections']);
    expect(connections.stdout.split('\n')[0]).toMatch(/^NAME\s+READY\s+REASON\s+URL\s+AGE$/);
    const repositories = await ns.kubectl(['get', 'workspacerepositories']);
    expect(repositories.stdout.split('\n')[0]).toMatch(/^NAME\s+READY\s+REASON\s+AREA\s+AGE$/);
  });

  it('a new object reports observedGeneration -1 until the operator has seen it', async () => {
    await ns.apply(json(baseConnection('fresh')));
    const result = await ns.kubectl(['get', 'imc', 'fresh', '-o', 'jsonpath={.status.observedGeneration} {.metadata.generation}']);
    expect(result.stdout).toBe('-1 1');
  });

  it('the schema defaults are applied by the API server', async () => {
    await ns.apply(json(baseConnection('defaults')));
    const result = await ns.kubectl(['get', 'imc', 'defaults', '-o', 'json']);
    const spec = JSON.parse(result.stdout).spec;
    expect(spec).toMatchObject({ redirectPath: '/externalServices/replyFrom', probes: { interval: '5m', timeout: '10s' }, auth: { grant: 'AuthorizationCode', scope: 'user' } });
  });
});
