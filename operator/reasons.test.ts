// Every reason a controller sets is in the catalogue (operator/api/reasons.ts), and what the
// catalogue says agrees with docs/operations.md's health table, the Argo CD health check and the
// CLI. Literal reasons are found by scanning the controllers' sources; reasons that are computed
// (a token failure, a Work API error, a connection's reason carried by a repository) are found by
// driving decide with every value of the type they come from.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import {
  CONNECTION_REASONS,
  connectionReason,
  type KStatus,
  LINK_REASONS,
  linkWaitsOn,
  REPOSITORY_REASONS,
  repositoryReason,
} from './api/reasons.ts';
import { baseConnection, baseRepository, mergePatch } from './api/validation/fixtures.ts';
import { decideConnection } from './controllers/connection/decide.ts';
import type { TokenObservation } from './controllers/connection/observed.ts';
import { CALLBACK_NOT_REGISTERED, REASON_BY_STATE } from './controllers/connection/registration.ts';
import { decideRepository } from './controllers/repository/decide.ts';
import { ProgressingWithRetry } from './runtime/conditions.ts';
import { Suspended } from './runtime/readiness.ts';
import * as workErrors from './imanage/work-errors.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const read = (path: string) => readFileSync(join(here, path), 'utf8');

function sources(folder: string): string[] {
  return readdirSync(join(here, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('-testing.ts'))
    .map((f) => join(folder, f));
}

/** The string literals of `type <Name> = 'A' | 'B' …;` in a file. */
function unionOf(text: string, name: string): string[] {
  const body = new RegExp(`type ${name} =([^;]*);`).exec(text)?.[1] ?? '';
  return [...body.matchAll(/'([A-Za-z]+)'/g)].map((m) => m[1]!);
}

/** PascalCase literals a controller passes as a condition reason, or declares as a type of reasons. */
function literalReasons(file: string): string[] {
  const text = read(file);
  const calls = /(?:reason: |(?:stalled|retrying|reconciling|stall|fail|mark[A-Z]\w*)\(\s*)'([A-Z][A-Za-z0-9]*)'/g;
  const unions = [...text.matchAll(/type (\w*Reason) =/g)].flatMap((m) => unionOf(text, m[1]!));
  return [...[...text.matchAll(calls)].map((m) => m[1]!), ...unions];
}

/**
 * Literals in a reason's position that are not condition reasons: an Event's reason (Events are
 * listed in docs/monitoring.md), the reason of a Kubernetes API error the token code raises, and
 * why the access-token port holds no token (the repository shows WaitingForAccessToken for it).
 */
const NOT_CONDITION_REASONS = new Set(['TokensNotEncrypted', 'Conflict', 'NotYetObtained']);

/** Files whose `reason:` literals are the token planner's reasons for an action. */
const PLANNER_FILES = new Set([join('tokens', 'plan.ts'), join('tokens', 'store.ts')]);

const readyReason = (conditions: { set: readonly { type: string; reason: string }[] }) =>
  conditions.set.find((c) => c.type === 'Ready')?.reason;

describe('every reason a controller sets is in the catalogue', () => {
  it.each([
    ['controllers/connection', connectionReason],
    // The token code (its outcomes move here from controllers/connection/), and the sign-in's failures.
    ['tokens', (r: string) => connectionReason(r) ?? (Object.hasOwn(LINK_REASONS, r) || undefined)],
    ['controllers/repository', repositoryReason],
    ['controllers/shared.ts', (r: string) => connectionReason(r) && repositoryReason(r)],
    ['runtime/readiness.ts', (r: string) => connectionReason(r) && repositoryReason(r)],
  ] as const)('the literal reasons in operator/%s', (path, lookup) => {
    // The token planner's reasons say why it chose an action (SeedNew, Due, …), not a condition's.
    const files = (path.endsWith('.ts') ? [path] : sources(path)).filter((f) => !PLANNER_FILES.has(f));
    const found = [...new Set(files.flatMap(literalReasons))].filter((r) => !NOT_CONDITION_REASONS.has(r));
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter((r) => !lookup(r))).toEqual([]);
  });

  it("the runtime's own reasons, which every kind shares", () => {
    for (const reason of [ProgressingWithRetry, Suspended]) {
      expect(connectionReason(reason)).toBeDefined();
      expect(repositoryReason(reason)).toBeDefined();
    }
  });

  it("registration's reasons", () => {
    const reasons = [...Object.values(REASON_BY_STATE), CALLBACK_NOT_REGISTERED];
    expect(reasons.filter((r) => !connectionReason(r))).toEqual([]);
  });

  const keyProblems = unionOf(read('tokens/keys.ts'), 'KeyProblem');
  // Where the token observation's types are declared (they move with the token code into tokens/).
  const declaring = ['controllers/connection/observed.ts', 'tokens/observation.ts'].filter((f) =>
    existsSync(join(here, f)),
  );
  const failureKinds = declaring.flatMap((f) => unionOf(read(f), 'TokenFailureKind'));
  it('finds the token failure kinds and key problems to drive decide with', () => {
    expect(failureKinds.length).toBeGreaterThan(5);
    expect(keyProblems.length).toBeGreaterThan(2);
  });
  it.each(failureKinds.flatMap((kind) => (kind === 'KeyUnusable' ? keyProblems : [undefined]).map((p) => [kind, p])))(
    'a token failure %s (%s), through decide',
    (kind, problem) => {
      const failure = { kind, detail: 'd', ...(problem ? { problem } : {}) } as TokenObservation['failure'];
      const tokens: TokenObservation = { secretName: 't', encrypted: true, grant: 'AuthorizationCode', failure };
      const reason = readyReason(decideConnection(baseConnection(), { tokens }, new Date()).conditions);
      expect(reason && connectionReason(reason)).toBeTruthy();
    },
  );

  it('each key problem has its own reason, and none reads as a changed key', () => {
    const reasonOf = (problem: string) => {
      const failure = { kind: 'KeyUnusable', detail: 'd', problem } as TokenObservation['failure'];
      const tokens: TokenObservation = { secretName: 't', encrypted: true, grant: 'AuthorizationCode', failure };
      return readyReason(decideConnection(baseConnection(), { tokens }, new Date()).conditions);
    };
    const reasons = keyProblems.map(reasonOf);
    expect(reasons).not.toContain('EncryptionKeyChanged');
    expect(reasonOf('KeyUnsupported')).toBe('EncryptionKeyUnsupported');
  });

  const errorClasses = Object.entries(workErrors).filter(
    ([, value]) => typeof value === 'function' && value.prototype instanceof workErrors.WorkApiError,
  ) as [string, new (message: string, ...rest: unknown[]) => Error][];
  it.each(errorClasses)('a Work API error %s while resolving, through decide', (_, ErrorClass) => {
    const connection = mergePatch(baseConnection(), {
      status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True', reason: 'Connected' }] },
      metadata: { generation: 1 },
    });
    const error = new ErrorClass('HTTP 4xx', undefined);
    const resolution = {
      kind: 'Resolved' as const,
      library: 'ACTIVE_US',
      entries: [{ kind: 'Unavailable' as const, error: error as never }],
      previews: [],
    };
    const d = decideRepository(baseRepository(), { connection, resolution }, { resolving: true });
    expect(d.failure && repositoryReason(d.failure.reason)).toBeTruthy();
  });

  it("a connection's failure, carried through by its repositories", () => {
    const failures = Object.entries(CONNECTION_REASONS).filter(([, e]) => !e.kstatus.includes('Current'));
    const missing = failures.filter(([reason]) => {
      const connection = mergePatch(baseConnection(), {
        status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'False', reason, message: 'm' }] },
        metadata: { generation: 1 },
      });
      const d = decideRepository(baseRepository(), { connection });
      return !repositoryReason(d.failure?.reason ?? '');
    });
    expect(missing).toEqual([]);
  });

  it("a resolution's outcome that becomes a reason", () => {
    const schema = read('api/schemas/workspacerepository.ts');
    const outcomes = [.../OUTCOMES = \[([^\]]*)\]/.exec(schema)![1]!.matchAll(/'([A-Za-z]+)'/g)].map((m) => m[1]!);
    // Outcomes that stay in status.resolvers[].resolution: Ready says Resolved, InvalidResolver or IManageUnavailable.
    const statusOnly = new Set(['NeedsWorkItem', 'IncompleteWorkItem', 'NoResolver', 'Unavailable']);
    expect(outcomes.length).toBeGreaterThan(5);
    expect(outcomes.filter((o) => !statusOnly.has(o) && !repositoryReason(o))).toEqual([]);
  });
});

describe('the catalogue', () => {
  const all = [...Object.entries(CONNECTION_REASONS), ...Object.entries(REPOSITORY_REASONS)];
  it("rechecks what the controller's SECRET_REASONS did, and the reasons split from EncryptionKeyChanged", () => {
    const before = [
      ...['SecretNotFound', 'SecretMissingKey', 'PassphraseTooShort', 'PassphraseTooWeak', 'CertificateInvalid'],
      ...['CertificateExpired', 'InvalidCredentials', 'EncryptionKeyChanged', 'TokenSecretNotOwned'],
      ...['RefreshTokenRevoked', 'RefreshFailed', 'AccessTokenExpiresAtOnce', 'ApiUnavailable'],
    ];
    const split = [
      ...['EncryptionKeyUnsupported', 'EncryptionKeyUnusable'],
      ...['TokenSecretUnreadable', 'TokenEncryptionRemoved'],
    ];
    const rechecked = Object.entries(CONNECTION_REASONS).filter(([, e]) => 'recheck' in e && e.recheck);
    expect(rechecked.map(([r]) => r).sort()).toEqual([...before, ...split].sort());
  });
  it.each(Object.entries(LINK_REASONS))('link reason %s says what it means, what to check, what fixes it', (r, e) => {
    expect(r).toMatch(/^[A-Z][A-Za-z0-9]*$/);
    for (const text of [e.means, e.check, e.fix]) expect(text).toMatch(/^\S.*\.$/);
  });
  it.each(all)('%s says what it means, what to check and what fixes it, in PascalCase', (reason, entry) => {
    expect(reason).toMatch(/^[A-Z][A-Za-z0-9]*$/);
    expect(entry.kstatus.length).toBeGreaterThan(0);
    expect(entry.conditions.length).toBeGreaterThan(0);
    for (const text of [entry.means, entry.check, entry.fix]) expect(text).toMatch(/^\S.*\.$/);
    expect(`${entry.means} ${entry.check} ${entry.fix}`).not.toMatch(/seed \d{3}/i);
  });
});

/** The health table of docs/operations.md: each row's reasons and its kstatus and Argo CD columns. */
function healthTable(): { reasons: string[]; kstatus: string; argo: string }[] {
  const text = readFileSync(join(root, 'docs/operations.md'), 'utf8');
  const start = text.indexOf('| what happened | conditions | kstatus');
  expect(start).toBeGreaterThan(0);
  const rows = text.slice(start).split('\n').slice(2);
  return rows
    .slice(0, rows.findIndex((r) => !r.startsWith('|')))
    .map((row) => row.split('|').map((c) => c.trim()))
    .map(([, what, , kstatus, argo]) => ({
      reasons: [...what!.matchAll(/`([A-Z][A-Za-z0-9]*)`/g)].map((m) => m[1]!),
      kstatus: kstatus!,
      argo: argo!,
    }));
}

/** The conditions table of docs/operations.md: a part condition's row, its kind, and the reasons it names. */
function conditionRows(): { type: string; kind: string; reasons: string[] }[] {
  const text = readFileSync(join(root, 'docs/operations.md'), 'utf8');
  const rows = [...text.matchAll(/^\| `(\w+)` \| (connection|repository)[:,]([^\n]*)\|$/gm)];
  return rows.map(([, type, kind, rest]) => ({
    type: type!,
    kind: kind!,
    reasons: [...rest!.matchAll(/`([A-Z][A-Za-z0-9]*)`/g)].map((m) => m[1]!),
  }));
}

const ARGO: Record<KStatus, string> = { Current: 'Healthy', InProgress: 'Progressing', Failed: 'Degraded' };

describe("docs/operations.md's health table", () => {
  const rows = healthTable();
  const lookup = (r: string) => connectionReason(r) ?? repositoryReason(r);

  it('names only reasons of the catalogue, in a row of a kstatus the catalogue gives them', () => {
    const wrong = rows.flatMap((row) =>
      row.reasons
        .filter((r) => !lookup(r)?.kstatus.includes(row.kstatus as KStatus))
        .map((r) => `${r} in the ${row.kstatus} row`),
    );
    expect(wrong).toEqual([]);
  });

  it('maps each kstatus to the Argo CD health the health check gives', () => {
    for (const row of rows.filter((r) => r.reasons.length > 0)) expect(row.argo).toBe(ARGO[row.kstatus as KStatus]);
  });

  it('names every reason Ready can carry while not Ready, in a row of each kstatus it can have', () => {
    const failures = [...Object.entries(CONNECTION_REASONS), ...Object.entries(REPOSITORY_REASONS)].filter(
      ([, e]) => e.conditions.includes('Ready'),
    );
    const missing = failures.flatMap(([reason, entry]) =>
      entry.kstatus
        .filter((k) => k !== 'Current' && !rows.some((row) => row.kstatus === k && row.reasons.includes(reason)))
        .map((k) => `${reason} (${k})`),
    );
    expect(missing).toEqual([]);
  });
});

describe("docs/operations.md's conditions table", () => {
  const rows = conditionRows();
  it('has a row for each condition a part of the check chain carries', () => {
    expect(rows.map((r) => r.type).sort()).toEqual(
      ['AccessVerified', 'ConnectionReady', 'Reachable', 'Registered', 'Resolved', 'ResolverValid', 'TokensReady'],
    );
  });

  const byType = rows.map((r) => [r.type, r] as const);
  it.each(byType)('%s names exactly the reasons the catalogue puts on it', (type, row) => {
    const catalogue = row.kind === 'connection' ? CONNECTION_REASONS : REPOSITORY_REASONS;
    const carried = Object.entries(catalogue).filter(([, e]) => (e.conditions as readonly string[]).includes(type));
    const named = row.reasons.filter((r) => r !== type || carried.some(([c]) => c === r));
    expect([...new Set(named)].sort()).toEqual(carried.map(([r]) => r).sort());
  });
});

describe('the Argo CD health check', () => {
  const folder = join(root, 'resource_customizations/imanage.operator.dev');
  const kinds = ['IManageConnection', 'WorkspaceRepository'] as const;

  it.each(kinds)('%s/health.lua reads kstatus conditions, never a reason', (kind) => {
    const lua = readFileSync(join(folder, kind, 'health.lua'), 'utf8');
    // Suspended is also a condition type and an Argo CD health status, which the script names as such.
    const reasons = Object.keys({ ...CONNECTION_REASONS, ...REPOSITORY_REASONS }).filter((r) => r !== Suspended);
    const named = reasons.filter((r) => lua.includes(`"${r}"`));
    expect(named).toEqual([]);
    expect(lua).toMatch(/findCondition\("Stalled"\)/);
    expect(lua).toMatch(/findCondition\("Reconciling"\)/);
  });

  interface Condition {
    readonly type: string;
    readonly status: string;
    readonly reason: string;
  }
  interface Case {
    readonly healthStatus: { readonly status: string };
    readonly inputPath: string;
  }
  interface Stored {
    readonly metadata: { readonly generation: number };
    readonly spec: { readonly suspend?: boolean };
    readonly status?: { readonly observedGeneration?: number; readonly conditions?: readonly Condition[] };
  }

  /** What kstatus reads from an object's conditions, when it reads one at all. */
  function kstatusOf(object: Stored): { kstatus: KStatus; reason: string } | undefined {
    const status = object.status;
    if (object.spec.suspend || status?.observedGeneration !== object.metadata.generation) return undefined;
    const find = (type: string) => status.conditions?.find((c) => c.type === type);
    const ready = find('Ready');
    if (!ready) return undefined;
    if (find('Stalled')?.status === 'True') return { kstatus: 'Failed', reason: ready.reason };
    if (find('Reconciling')?.status === 'True') return { kstatus: 'InProgress', reason: ready.reason };
    return ready.status === 'True' ? { kstatus: 'Current', reason: ready.reason } : undefined;
  }

  it.each(kinds)("%s's health tests agree with the catalogue's kstatus for each object's reason", (kind) => {
    const { tests } = load(readFileSync(join(folder, kind, 'health_test.yaml'), 'utf8')) as { tests: Case[] };
    const lookup = kind === 'IManageConnection' ? connectionReason : repositoryReason;
    const read = tests.flatMap((test) => {
      const found = kstatusOf(load(readFileSync(join(folder, kind, test.inputPath), 'utf8')) as Stored);
      return found ? [{ ...found, health: test.healthStatus.status, path: test.inputPath }] : [];
    });
    expect(read.map((r) => r.kstatus)).toEqual(expect.arrayContaining(['Current', 'InProgress', 'Failed']));
    for (const { kstatus, reason, health, path } of read) {
      expect(lookup(reason)?.kstatus, `${path}: ${reason}`).toContain(kstatus);
      expect(health, path).toBe(ARGO[kstatus]);
    }
  });
});

describe('the CLI', () => {
  it('link waits only on the TokensReady reasons the catalogue marks, and fails on any other', () => {
    const waits = Object.keys(CONNECTION_REASONS).filter(linkWaitsOn);
    expect(waits.sort()).toEqual(['NotLinked', 'RefreshFailed']);
    expect(waits.every((r) => connectionReason(r)!.conditions.includes('TokensReady'))).toBe(true);
    expect(linkWaitsOn('EncryptionKeyUnsupported')).toBe(false);
  });

  it('every reason link ends with is a condition reason or in LINK_REASONS: the callback\'s and its own', () => {
    const callback = unionOf(read('tokens/ports.ts'), 'LinkFailureReason');
    const own = [...read('cli/link.ts').matchAll(/failure\(watch, '([A-Z]\w+)'/g)].map((m) => m[1]!);
    expect(callback.length).toBeGreaterThan(3);
    expect(own.length).toBeGreaterThan(2);
    expect([...callback, ...own].filter((r) => !Object.hasOwn(LINK_REASONS, r))).toEqual([]);
    expect(read('cli/link.ts')).toMatch(/failure\(watch, ready\.reason/);
  });

  it('compares no condition reason of the catalogue by its literal', () => {
    const known = (r: string) => connectionReason(r) ?? repositoryReason(r);
    const compared = /(?:reason\s*[!=]==\s*|\.has\(|new Set\(\[)'([A-Z]\w+)'/g;
    const offending = sources('cli').flatMap((f) =>
      [...read(f).matchAll(compared)].filter((m) => known(m[1]!)).map((m) => `${f}: ${m[0]}`),
    );
    expect(offending).toEqual([]);
  });
});
