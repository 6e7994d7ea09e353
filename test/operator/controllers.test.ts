// The operator as a process against the real API server: one operator per file, watching only
// this file's namespace, re-checking every object each second (--resync-period 1s) so that the
// tests see resyncs happen. Every wait polls for an outcome; the only fixed waits are minimum
// windows ("at least three resync periods passed and nothing was written").
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadAll } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConnection, baseRepository, mergePatch } from '../../operator/api/validation/fixtures.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import {
  getObject, listObjects, metricValue, startOperator, waitFor,
  type KubeJson, type OperatorProcess,
} from '../harness/operator.ts';

const RESYNC_MS = 1_000;
/** At least three resync periods: the minimum a "nothing happened" window must last. */
const QUIET_WINDOW_MS = 4 * RESYNC_MS;
const READY_TIMEOUT_MS = 60_000;

const ns = useTestNamespace('operator');
let op: OperatorProcess;

beforeAll(async () => {
  // trace: the most the operator ever logs, for the "no secret in the logs" check.
  op = await startOperator({ namespace: ns.name, resyncPeriod: '1s', logLevel: 'trace' });
});

// ---------------------------------------------------------------------------------------------
// Material

const examplesRoot = join(import.meta.dirname, '..', '..', 'examples');
const exampleFolders = readdirSync(examplesRoot, { withFileTypes: true })
  .filter((e) => e.isDirectory() && e.name !== 'invalid')
  .map((e) => e.name)
  .sort();

interface Manifest {
  apiVersion?: string;
  kind?: string;
  type?: string;
  metadata?: { name?: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

function manifestsIn(folder: string): Manifest[] {
  return readdirSync(folder)
    .filter((f) => /\.ya?ml$/.test(f))
    .flatMap((f) => loadAll(readFileSync(join(folder, f), 'utf8')) as (Manifest | null)[])
    .filter((m): m is Manifest => m !== null && typeof m === 'object');
}

const exampleManifests = exampleFolders.flatMap((folder) => manifestsIn(join(examplesRoot, folder)));
const OWN_KINDS = { IManageConnection: 'imc', WorkspaceRepository: 'wsr' } as const;
const exampleObjects = exampleManifests
  .filter((m) => m.kind === 'IManageConnection' || m.kind === 'WorkspaceRepository')
  .map((m) => ({ kind: OWN_KINDS[m.kind as keyof typeof OWN_KINDS], name: m.metadata!.name! }));

/** A valid, unexpired kubernetes.io/tls certificate and key, borrowed from an example. */
const exampleTls = (() => {
  const tls = exampleManifests.find((m) => m.kind === 'Secret' && m.type === 'kubernetes.io/tls');
  if (!tls?.data?.['tls.crt'] || !tls.data['tls.key']) throw new Error('no kubernetes.io/tls Secret among the examples');
  return { 'tls.crt': tls.data['tls.crt'], 'tls.key': tls.data['tls.key'] };
})();

/**
 * Secret values that must never reach a log line, an Event or a status: every value we put in a
 * Secret, and every value of the examples' Secrets.
 */
const canaries: string[] = exampleManifests
  .filter((m) => m.kind === 'Secret')
  .flatMap((m) => [
    ...Object.values(m.data ?? {}).map((v) => Buffer.from(v, 'base64').toString('utf8')),
    ...Object.values(m.stringData ?? {}),
  ]);

function canary(label: string, minLength = 0): string {
  const value = `CANARY-${label}-${randomBytes(8).toString('hex')}`;
  // Random padding: a passphrase that repeats one character is refused as predictable (PassphraseTooWeak).
  const padding = randomBytes(minLength).toString('base64url').slice(0, Math.max(0, minLength - value.length - 1));
  const padded = value.length >= minLength ? value : `${value}-${padding}`;
  canaries.push(padded);
  return padded;
}

/** Each canary in every form a leak could take: as is, its random part, and base64. */
function leakForms(value: string): string[] {
  const random = /^CANARY-[a-z-]+-([0-9a-f]{16})/.exec(value)?.[1];
  return [value, Buffer.from(value).toString('base64'), ...(random ? [random] : [])];
}

const json = (doc: unknown): string => JSON.stringify(doc);
const list = (...items: unknown[]): string => json({ apiVersion: 'v1', kind: 'List', items });

function secret(name: string, stringData: Record<string, string>, type = 'Opaque'): object {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name }, type, stringData };
}

function tlsSecret(name: string): object {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name }, type: 'kubernetes.io/tls', data: exampleTls };
}

function clientSecret(name: string): object {
  return secret(name, { clientId: canary('client-id'), clientSecret: canary('client-secret') });
}

function hostedConnection(name: string, clientSecretName: string): object {
  return mergePatch(baseConnection(name), { spec: { connectionType: 'Hosted', customerId: null, clientSecretRef: { name: clientSecretName } } });
}

function repository(name: string, connection: string, patch: unknown = {}): object {
  return mergePatch(baseRepository(name), mergePatch({ spec: { connectionRef: { name: connection } } }, patch));
}

// ---------------------------------------------------------------------------------------------
// Reading status and Events

type Kind = 'imc' | 'wsr';

function condition(object: KubeJson | undefined, type: string) {
  return object?.status?.conditions?.find((c) => c.type === type);
}

/** Waits for Ready=True, reported for the object's current generation. */
function waitReady(kind: Kind, name: string): Promise<KubeJson> {
  return waitFor(async () => {
    const object = await getObject(ns.name, kind, name);
    const ready = condition(object, 'Ready');
    const generation = object?.metadata.generation;
    return ready?.status === 'True' && ready.observedGeneration === generation && object?.status?.observedGeneration === generation && object;
  }, READY_TIMEOUT_MS, 200, `${kind}/${name} Ready=True at its generation`);
}

/** Waits for Ready=False and Stalled=True with `reason`, for the current generation. */
function waitStalled(kind: Kind, name: string, reason: string): Promise<KubeJson> {
  return waitFor(async () => {
    const object = await getObject(ns.name, kind, name);
    const ready = condition(object, 'Ready');
    const stalled = condition(object, 'Stalled');
    const generation = object?.metadata.generation;
    return ready?.status === 'False' && ready.reason === reason && ready.observedGeneration === generation
      && stalled?.status === 'True' && stalled.reason === reason
      && object?.status?.observedGeneration === generation && object;
  }, READY_TIMEOUT_MS, 200, `${kind}/${name} Ready=False Stalled=True ${reason}`);
}

/** Asserts the stalled object's Ready and Stalled messages lead with the field path. */
function expectFieldPath(object: KubeJson, path: string): void {
  expect(condition(object, 'Ready')!.message.startsWith(`${path}: `), condition(object, 'Ready')!.message).toBe(true);
  expect(condition(object, 'Stalled')!.message).toBe(condition(object, 'Ready')!.message);
}

interface EventJson {
  metadata: { name: string; resourceVersion: string };
  type: string;
  reason: string;
  note?: string;
  series?: { count: number };
  regarding?: { kind?: string; name?: string; uid?: string };
}

const KIND_NAMES: Record<Kind, string> = { imc: 'IManageConnection', wsr: 'WorkspaceRepository' };

function events(): Promise<EventJson[]> {
  return listObjects<EventJson>(ns.name, 'events.events.k8s.io');
}

/** Waits for an events.k8s.io Event about the object with this type and reason. */
function waitEvent(kind: Kind, object: KubeJson, type: 'Normal' | 'Warning', reason: string): Promise<EventJson> {
  return waitFor(async () => (await events()).find((e) =>
    e.regarding?.kind === KIND_NAMES[kind] && e.regarding.name === object.metadata.name && e.regarding.uid === object.metadata.uid
    && e.type === type && e.reason === reason), READY_TIMEOUT_MS, 200, `a ${type} Event ${reason} about ${kind}/${object.metadata.name}`);
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  return metricValue(await op.metrics(), name, labels);
}

const fingerprint = (items: { metadata: { name: string; resourceVersion?: string } }[]): string[] =>
  items.map((i) => `${i.metadata.name}@${i.metadata.resourceVersion}`).sort();

/**
 * Waits until the operator has caught up: every object reported for its generation and no status
 * write or Event between two looks one resync period apart.
 */
async function waitSettled(): Promise<void> {
  await waitFor(async () => {
    const before = { writes: await metric('imanage_operator_status_writes_total'), events: fingerprint(await events()) };
    const objects = await listObjects(ns.name, 'imc,wsr');
    if (!objects.every((o) => o.status?.observedGeneration === o.metadata.generation)) return false;
    await sleep(RESYNC_MS + 500);
    const after = { writes: await metric('imanage_operator_status_writes_total'), events: fingerprint(await events()) };
    return before.writes === after.writes && json(before.events) === json(after.events);
  }, 30_000, 100, 'the operator to settle (no status write or Event for a resync period)');
}

// ---------------------------------------------------------------------------------------------

describe('the examples', () => {
  it('every example folder, applied into one namespace, reaches Ready=True for its generation', async () => {
    expect(exampleObjects.filter((o) => o.kind === 'imc').length).toBeGreaterThanOrEqual(5);
    expect(exampleObjects.filter((o) => o.kind === 'wsr').length).toBeGreaterThanOrEqual(1);
    for (const folder of exampleFolders) {
      const result = await ns.kubectl(['apply', '-f', join(examplesRoot, folder)]);
      expect(result.code, result.stderr).toBe(0);
    }
    for (const { kind, name } of exampleObjects) {
      const object = await waitReady(kind, name);
      expect(condition(object, 'Stalled')).toBeUndefined();
      expect(condition(object, 'Reconciling')).toBeUndefined();
    }
  });

  it('kubectl wait --for=condition=Ready on both kinds succeeds', async () => {
    // Runs while the examples are the only objects in the namespace (tests in a file run in order).
    const result = await ns.kubectl(['wait', '--for=condition=Ready', 'imc,wsr', '--all', '--timeout=60s']);
    expect(result.code, result.stderr).toBe(0);
    const waited = result.stdout.trim().split('\n');
    expect(waited).toHaveLength(exampleObjects.length);
    expect(waited.every((line) => / condition met$/.test(line))).toBe(true);
  });

  it('status carries the effective redirect URIs and the parsed resolvers', async () => {
    const connection = await getObject(ns.name, 'imc', 'clio-operate-cloud');
    expect(connection?.status?.['environments']).toContainEqual({ name: 'uat', redirectUri: 'https://acme-uat.clioweb.com/externalServices/replyFrom' });
    const repo = await getObject(ns.name, 'wsr', 'actionstep-matters');
    expect(repo?.status?.['resolvers']).toEqual([
      expect.objectContaining({ workType: '*', mode: 'AdvancedSearch', fallbacks: [expect.any(String)], folder: 'Actionstep Documents/Invoices' }),
    ]);
  });
});

describe('a bad but schema-valid spec is reported, with its field path, and recovers by itself once fixed', () => {
  it('(a) a Hosted connection whose client Secret is missing: SecretNotFound, until the Secret is created', async () => {
    await ns.apply(json(hostedConnection('a-hosted', 'a-hosted-app')));
    const stalled = await waitStalled('imc', 'a-hosted', 'SecretNotFound');
    expectFieldPath(stalled, 'spec.clientSecretRef.name');
    expect(condition(stalled, 'Ready')!.message).toMatch(/Secret 'a-hosted-app' .* does not exist/);
    const warning = await waitEvent('imc', stalled, 'Warning', 'SecretNotFound');
    expect(warning.note).toBe(condition(stalled, 'Ready')!.message);

    await ns.apply(json(clientSecret('a-hosted-app')));
    const ready = await waitReady('imc', 'a-hosted');
    expect(ready.metadata.generation).toBe(stalled.metadata.generation);
    expect(condition(ready, 'Stalled')).toBeUndefined();
    expect((await waitEvent('imc', ready, 'Normal', 'Configured')).note).toMatch(/^Ready: /);
  });

  it('(b) an encryption passphrase under 100 characters: PassphraseTooShort, until the Secret holds a long one', async () => {
    await ns.apply(list(
      tlsSecret('b-cert'),
      secret('b-passphrase', { passphrase: canary('short-passphrase') }),
      mergePatch(baseConnection('b-encrypted'), {
        spec: { tokens: { encryption: { passphraseSecretRef: { name: 'b-passphrase', key: 'passphrase' }, certificateSecretRef: { name: 'b-cert' } } } },
      }),
    ));
    const stalled = await waitStalled('imc', 'b-encrypted', 'PassphraseTooShort');
    expectFieldPath(stalled, 'spec.tokens.encryption.passphraseSecretRef');
    expect(condition(stalled, 'Ready')!.message).toMatch(/is too short: at least 100 characters are required/);
    await waitEvent('imc', stalled, 'Warning', 'PassphraseTooShort');

    await ns.apply(json(secret('b-passphrase', { passphrase: canary('long-passphrase', 120) })));
    const ready = await waitReady('imc', 'b-encrypted');
    expect(ready.metadata.generation).toBe(stalled.metadata.generation);
  });

  it('(c) a repository whose connection does not exist: ConnectionNotFound, until the connection is created', async () => {
    await ns.apply(json(repository('c-repo', 'c-conn')));
    const stalled = await waitStalled('wsr', 'c-repo', 'ConnectionNotFound');
    expectFieldPath(stalled, 'spec.connectionRef.name');
    await waitEvent('wsr', stalled, 'Warning', 'ConnectionNotFound');

    await ns.apply(json(baseConnection('c-conn')));
    await waitReady('imc', 'c-conn');
    const ready = await waitReady('wsr', 'c-repo');
    expect(ready.metadata.generation).toBe(stalled.metadata.generation);
    await waitEvent('wsr', ready, 'Normal', 'Configured');
  });

  it('(d) a repository whose connection is not Ready: the connection\'s reason, until the connection is fixed', async () => {
    await ns.apply(list(hostedConnection('d-conn', 'd-app'), repository('d-repo', 'd-conn')));
    await waitStalled('imc', 'd-conn', 'SecretNotFound');
    const stalled = await waitStalled('wsr', 'd-repo', 'ConnectionSecretNotFound');
    expectFieldPath(stalled, 'spec.connectionRef.name');
    expect(condition(stalled, 'Ready')!.message).toMatch(/IManageConnection 'd-conn' is not Ready \(SecretNotFound\)/);
    await waitEvent('wsr', stalled, 'Warning', 'ConnectionSecretNotFound');

    await ns.apply(json(clientSecret('d-app')));
    await waitReady('imc', 'd-conn');
    const ready = await waitReady('wsr', 'd-repo');
    expect(ready.metadata.generation).toBe(stalled.metadata.generation);
  });

  it('(e) a resolver the API server accepts but the parser does not: InvalidSpec, until a fixed spec is applied', async () => {
    await ns.apply(list(baseConnection('e-conn'), repository('e-repo', 'e-conn', { spec: { resolvers: [{ workType: '*', resolver: '[workitem.title' }] } })));
    const stalled = await waitStalled('wsr', 'e-repo', 'InvalidSpec');
    expectFieldPath(stalled, 'spec.resolvers[0].resolver');
    expect(condition(stalled, 'Ready')!.message).toContain("'[' is never closed");
    expect(stalled.status?.['resolvers']).toBeUndefined();

    await ns.apply(json(repository('e-repo', 'e-conn', { spec: { resolvers: [{ workType: '*', resolver: '[workitem.title]', folder: 'Documents' }] } })));
    const ready = await waitReady('wsr', 'e-repo');
    expect(ready.metadata.generation).toBe(stalled.metadata.generation! + 1);
    expect(ready.status?.['resolvers']).toEqual([{ workType: '*', mode: 'DefaultSearch', query: '[workitem.title]', folder: 'Documents' }]);
  });

  // examples/invalid/*.yaml say in their header what is wrong and who rejects it.
  const semanticOnly = readdirSync(join(examplesRoot, 'invalid'))
    .map((file) => ({ file, text: readFileSync(join(examplesRoot, 'invalid', file), 'utf8') }))
    .filter(({ text }) => /^# rejected by: .*the API server accepts it/m.test(text))
    .map(({ file, text }) => {
      const [, path, what] = /^# expect: (\S+) — (.+)$/m.exec(text)!;
      const doc = loadAll(text)[0] as Manifest;
      return [file, { kind: OWN_KINDS[doc.kind as keyof typeof OWN_KINDS], name: doc.metadata!.name!, path: path!, what: what! }] as const;
    });

  it('covers every example the API server accepts but the operator must reject', () => {
    expect(semanticOnly.map(([file]) => file)).toEqual(expect.arrayContaining(['resolver-unclosed-bracket.yaml', 'duplicate-redirect-uris.yaml']));
  });

  it.each(semanticOnly)('examples/invalid/%s: InvalidSpec at its field path', async (file, expected) => {
    const result = await ns.kubectl(['apply', '-f', join(examplesRoot, 'invalid', file)]);
    expect(result.code, result.stderr).toBe(0);
    const stalled = await waitStalled(expected.kind, expected.name, 'InvalidSpec');
    expectFieldPath(stalled, expected.path);
    expect(condition(stalled, 'Ready')!.message).toContain(expected.what);
  });
});

describe('deleting a connection and creating it again', () => {
  it('brings its repositories back to Ready without touching them, through ConnectionNotFound', async () => {
    await ns.apply(list(baseConnection('g-conn'), repository('g-repo-1', 'g-conn'), repository('g-repo-2', 'g-conn', { spec: { area: 'Matters' } })));
    const before = await Promise.all(['g-repo-1', 'g-repo-2'].map((name) => waitReady('wsr', name)));
    await waitReady('imc', 'g-conn');

    const deleted = await ns.kubectl(['delete', 'imc', 'g-conn']);
    expect(deleted.code, deleted.stderr).toBe(0);
    for (const repo of before) {
      const stalled = await waitStalled('wsr', repo.metadata.name, 'ConnectionNotFound');
      expectFieldPath(stalled, 'spec.connectionRef.name');
      expect(stalled.metadata.generation).toBe(repo.metadata.generation);
      await waitEvent('wsr', stalled, 'Warning', 'ConnectionNotFound');
    }

    await ns.apply(json(baseConnection('g-conn')));
    await waitReady('imc', 'g-conn');
    for (const repo of before) {
      const ready = await waitReady('wsr', repo.metadata.name);
      expect(ready.metadata.generation).toBe(repo.metadata.generation);
      expect(ready.metadata.uid).toBe(repo.metadata.uid);
    }
  });
});

describe('suspend', () => {
  it('keeps Ready, adds Suspended, does no work while suspended, and reports the problem once resumed', async () => {
    await ns.apply(list(clientSecret('s-app'), hostedConnection('s-conn', 's-app')));
    const ready = await waitReady('imc', 's-conn');

    await ns.apply(json(mergePatch(hostedConnection('s-conn', 's-app'), { spec: { suspend: true } })));
    const suspended = await waitFor(async () => {
      const object = await getObject(ns.name, 'imc', 's-conn');
      return object?.status?.observedGeneration === object?.metadata.generation && condition(object, 'Suspended') && object;
    }, READY_TIMEOUT_MS, 200, 's-conn Suspended at its new generation');
    expect(suspended.metadata.generation).toBe(ready.metadata.generation! + 1);
    expect(condition(suspended, 'Suspended')).toMatchObject({ status: 'True', reason: 'Suspended', observedGeneration: suspended.metadata.generation });
    expect(condition(suspended, 'Ready')).toEqual(condition(ready, 'Ready'));
    expect(suspended.status?.['environments']).toEqual(ready.status?.['environments']);

    // Break it while suspended: the operator must not look.
    const removed = await ns.kubectl(['delete', 'secret', 's-app']);
    expect(removed.code, removed.stderr).toBe(0);
    const reconcilesBefore = await metric('imanage_operator_reconcile_total', { kind: 'IManageConnection' });
    const writesBefore = await metric('imanage_operator_status_writes_total', { kind: 'IManageConnection' });
    await sleep(QUIET_WINDOW_MS);
    const still = await getObject(ns.name, 'imc', 's-conn');
    // Resyncs came by (so the operator did look) and wrote nothing.
    expect(await metric('imanage_operator_reconcile_total', { kind: 'IManageConnection' })).toBeGreaterThan(reconcilesBefore);
    expect(await metric('imanage_operator_status_writes_total', { kind: 'IManageConnection' })).toBe(writesBefore);
    expect(still?.metadata.resourceVersion).toBe(suspended.metadata.resourceVersion);
    expect(condition(still, 'Ready')).toEqual(condition(ready, 'Ready'));

    await ns.apply(json(hostedConnection('s-conn', 's-app')));
    const resumed = await waitStalled('imc', 's-conn', 'SecretNotFound');
    expect(resumed.metadata.generation).toBe(suspended.metadata.generation! + 1);
    expect(condition(resumed, 'Suspended')).toBeUndefined();
    expectFieldPath(resumed, 'spec.clientSecretRef.name');

    await ns.apply(json(clientSecret('s-app')));
    await waitReady('imc', 's-conn');
  });
});

describe('when nothing changes', () => {
  it('resyncs write no status and record no Event', async () => {
    await waitSettled();
    const objects = await listObjects(ns.name, 'imc,wsr');
    const picked = await waitReady('imc', 'a-hosted');
    const reconciles = await metric('imanage_operator_reconcile_total');
    const writes = await metric('imanage_operator_status_writes_total');
    const eventsBefore = fingerprint(await events());

    await sleep(QUIET_WINDOW_MS);

    expect((await getObject(ns.name, 'imc', 'a-hosted'))?.metadata.resourceVersion).toBe(picked.metadata.resourceVersion);
    expect(fingerprint(await listObjects(ns.name, 'imc,wsr'))).toEqual(fingerprint(objects));
    // At least one full pass over every object happened in the window, and none of it wrote.
    expect(await metric('imanage_operator_reconcile_total')).toBeGreaterThanOrEqual(reconciles + objects.length);
    expect(await metric('imanage_operator_status_writes_total')).toBe(writes);
    expect(fingerprint(await events())).toEqual(eventsBefore);
  });
});

describe('secrets', () => {
  it('a connection using every kind of Secret is Ready', async () => {
    await ns.apply(list(
      clientSecret('k-app'),
      secret('k-account', { refreshToken: canary('refresh-token') }),
      secret('k-passphrase', { passphrase: canary('passphrase', 128) }),
      tlsSecret('k-cert'),
      mergePatch(hostedConnection('k-conn', 'k-app'), {
        spec: {
          auth: { grant: 'AuthorizationCode', credentialsSecretRef: { name: 'k-account' } },
          tokens: { encryption: { passphraseSecretRef: { name: 'k-passphrase' }, certificateSecretRef: { name: 'k-cert' } } },
        },
      }),
      secret('k-service-account', { username: canary('username'), password: canary('password') }),
      mergePatch(baseConnection('k-password'), { spec: { auth: { grant: 'Password', credentialsSecretRef: { name: 'k-service-account' } } } }),
    ));
    await waitReady('imc', 'k-conn');
    await waitReady('imc', 'k-password');
  });

  it('no Secret value appears in the logs, in an Event note or in a status', async () => {
    expect(canaries.length).toBeGreaterThan(10);
    const logs = op.logs().join('\n');
    expect(logs).toContain('operator starting');
    const notes = (await events()).map((e) => e.note ?? '').join('\n');
    expect(notes).toContain('Ready: ');
    const statuses = json((await listObjects(ns.name, 'imc,wsr')).map((o) => o.status));
    for (const value of canaries) {
      for (const form of leakForms(value)) {
        expect(logs.includes(form), `a Secret value (${value.slice(0, 12)}…) is in the operator's logs`).toBe(false);
        expect(notes.includes(form), `a Secret value (${value.slice(0, 12)}…) is in an Event note`).toBe(false);
        expect(statuses.includes(form), `a Secret value (${value.slice(0, 12)}…) is in a status`).toBe(false);
      }
    }
  });

  it('the operator logged nothing at warn or above', () => {
    const problems = op.entries().filter((e) => ['warn', 'error', 'fatal'].includes(String(e['level'])));
    expect(problems).toEqual([]);
  });
});
