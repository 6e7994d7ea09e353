// The pure core of the repository controller: spec + its connection + what iManage answered →
// desired status. Readiness is a chain of small checks, the first failure names the reason (as the
// connection's decide.ts does); ConnectionReady, ResolverValid, Resolved and AccessVerified each
// summarise their part of the chain, and Ready is over all of them.

import { profileOf } from '../../api/connection.ts';
import type {
  IManageConnection,
  Resolution as ResolutionStatus,
  WorkspaceRepository,
  WorkspaceRepositoryStatus,
} from '../../api/generated/types.ts';
import type { RepositoryReason } from '../../api/reasons.ts';
import { describeResolver, parseResolver, formatResolver } from '../../api/resolver/index.ts';
import { invalidSpec } from '../shared.ts';
import { formatProblem } from '../../api/validation/index.ts';
import { repositoryProfileProblems } from '../../api/validation/profiles.ts';
import {
  type ConditionInput,
  type ConditionUpdate,
  findCondition,
  Ready,
  Reconciling,
  withConditions,
} from '../../runtime/conditions.ts';
import {
  type Check,
  type CheckFailure,
  firstFailure,
  readinessConditions,
  reconciling,
  retrying,
  stalled,
  suspendedConditions,
} from '../../runtime/readiness.ts';
import type { EntryResult, ObservedRepository, Resolution } from './observed.ts';
import { resolutionStatus, resolvedSummary } from './wording.ts';
import { isStatic } from '../../imanage/resolve-plan.ts';

export type { ObservedRepository } from './observed.ts';

export interface RepositoryDecision {
  readonly status: Omit<WorkspaceRepositoryStatus, 'conditions'>;
  readonly conditions: ConditionUpdate;
  readonly failure?: CheckFailure;
  /** What the controller does next. */
  readonly next: NextStep;
}

/**
 * After iManage was asked: `recheck` a failure it may get over, with the queue's backoff; else
 * look again at the connection's `interval`. Before asking: `awaitConnection` while the connection
 * has not been reconciled (its change requeues), else `wait` for a change.
 */
export type NextStep = 'recheck' | 'interval' | 'awaitConnection' | 'wait';

function nextStep(failure: CheckFailure | undefined, observed: ObservedRepository): NextStep {
  if (observed.resolution && observed.connection) return failure?.kind === 'retrying' ? 'recheck' : 'interval';
  return failure?.reason === WAITING_FOR_CONNECTION ? 'awaitConnection' : 'wait';
}

const WAITING_FOR_CONNECTION: RepositoryReason = 'WaitingForConnection';

export interface DecideOptions {
  /** The operator resolves against iManage (probes on); off, Ready means the spec and connection are fine. */
  readonly resolving?: boolean;
}

type Resolved = Extract<Resolution, { kind: 'Resolved' }>;

interface Input {
  readonly repository: WorkspaceRepository;
  readonly observed: ObservedRepository;
  readonly resolving: boolean;
  /** status.resolvers[i].resolution, derived once from the observation. */
  readonly statuses?: readonly ResolutionStatus[];
}

const connectionName = ({ repository }: Input) => repository.spec.connectionRef.name;
const resolved = ({ observed }: Input): Resolved | undefined =>
  observed.resolution?.kind === 'Resolved' ? observed.resolution : undefined;

const specIsValid: Check<Input> = ({ repository }) => invalidSpec(repository);

/**
 * The profile rules that need the repository and its connection together (issue 14): the same
 * function `validate` runs offline when both are in its input. A broken rule is InvalidSpec, naming
 * the profile, the seed's rule and the fix; it waits for a new generation, as any invalid spec does.
 */
const profileRulesHold: Check<Input> = ({ repository, observed }) => {
  const spec = observed.connection?.spec;
  if (!spec) return undefined;
  const facts = { profile: profileOf(observed.connection!), ...(spec.library ? { library: spec.library } : {}) };
  const [first, ...rest] = repositoryProfileProblems(facts, repository.spec);
  if (!first) return undefined;
  const more = rest.length > 0 ? ` (and ${rest.length} more: ${rest.map((p) => p.path).join(', ')})` : '';
  return stalled('InvalidSpec', undefined, `${formatProblem(first)}${more}`);
};

const connectionExists: Check<Input> = (input) =>
  input.observed.connection
    ? undefined
    : stalled(
        'ConnectionNotFound',
        'spec.connectionRef.name',
        `IManageConnection '${connectionName(input)}' does not exist in this namespace; create it or correct the name`,
      );

/**
 * The repository follows its connection's kstatus, carrying its reason through. A connection being
 * reconciled for a new generation keeps its last Ready until it has a new one: the repository
 * changes when the connection's readiness does, not twice per connection edit (issue 9).
 */
const connectionIsReady: Check<Input> = (input) => {
  const connection = input.observed.connection!;
  const name = connectionName(input);
  const ready = findCondition(connection.status?.conditions, Ready);
  if (connection.spec.suspend) {
    return stalled(
      'ConnectionSuspended',
      'spec.connectionRef.name',
      `IManageConnection '${name}' is suspended; resume it (spec.suspend: false)`,
    );
  }
  if (!ready || ready.status === 'Unknown') {
    return reconciling(WAITING_FOR_CONNECTION, `waiting for IManageConnection '${name}' to be reconciled`);
  }
  if (ready.status === 'False') {
    // A failure the connection retries by itself is retried here too: an outage stalls neither.
    const retried = findCondition(connection.status?.conditions, Reconciling)?.status === 'True';
    const fail = retried ? retrying : stalled;
    return fail(
      `Connection${ready.reason}`,
      'spec.connectionRef.name',
      `IManageConnection '${name}' is not Ready (${ready.reason}): ${ready.message}`,
    );
  }
  return undefined;
};

/**
 * No token, no iManage call. A connection whose account is not linked is not Ready, so
 * connectionIsReady already showed ConnectionNotLinked; here the token only has to arrive.
 */
const accessTokenHeld: Check<Input> = (input) => {
  const resolution = input.observed.resolution;
  if (resolution?.kind !== 'NoAccessToken') return undefined;
  return reconciling(
    'WaitingForAccessToken',
    `${resolution.message}; resolving once IManageConnection '${connectionName(input)}' has one`,
  );
};

const targetIsKnown: Check<Input> = (input) => {
  const resolution = input.observed.resolution;
  if (resolution?.kind !== 'NoTarget') return undefined;
  const name = connectionName(input);
  if (resolution.missing === 'customerId') {
    return reconciling(WAITING_FOR_CONNECTION, `IManageConnection '${name}' has not reported its customer id yet`);
  }
  return stalled(
    'LibraryUnknown',
    'spec.library',
    `neither this repository nor IManageConnection '${name}' names a library, and the server reported none; ` +
      'set spec.library (for example ACTIVE_US)',
  );
};

const resolversAreValid: Check<Input> = (input) => {
  const entries = resolved(input)?.entries ?? [];
  const index = entries.findIndex((e) => e.kind === 'InvalidResolver');
  if (index < 0) return undefined;
  const entry = entries[index] as Extract<EntryResult, { kind: 'InvalidResolver' }>;
  return stalled('InvalidResolver', `spec.resolvers[${index}].resolver`, entry.message);
};

/** Why iManage gave no answer, as a reason: a refused token waits for the connection's refresh. */
function unavailableFailure(entry: Extract<EntryResult, { kind: 'Unavailable' }>, field: string): CheckFailure {
  const { error } = entry;
  const message = `${error.message}; the operator retries`;
  if (error.failure === 'Unauthorized') return retrying('AccessTokenRejected', field, message);
  if (error.failure === 'RateLimited') return retrying('RateLimited', field, message);
  return error.retryable
    ? retrying('IManageUnavailable', field, message)
    : stalled(error.failure, field, error.message);
}

const iManageAnswered: Check<Input> = (input) => {
  const entries = resolved(input)?.entries ?? [];
  const index = entries.findIndex((e) => e.kind === 'Unavailable');
  if (index < 0) return undefined;
  return unavailableFailure(
    entries[index] as Extract<EntryResult, { kind: 'Unavailable' }>,
    `spec.resolvers[${index}]`,
  );
};

/** Every static entry found its workspace and folder; the first that did not names the reason. */
const staticEntriesResolved: Check<Input> = (input) => {
  const entries = resolved(input)?.entries ?? [];
  const index = entries.findIndex((e) => e.kind === 'Searched' && e.outcome.kind !== 'Resolved');
  if (index < 0) return undefined;
  const status = input.statuses![index]!;
  const workType = input.repository.spec.resolvers[index]!.workType;
  const field = `spec.resolvers[${index}].${status.outcome === 'FolderMissing' ? 'folder' : 'resolver'}`;
  return stalled(status.outcome, field, `work type '${workType}': ${status.message}`);
};

const accessVerified: Check<Input> = (input) => {
  const access = resolved(input)?.access;
  if (!access || access.ok) return undefined;
  const message = `the access check in ${access.where} failed: ${access.error.message}`;
  return access.error.retryable
    ? retrying('AccessCheckFailed', 'spec.accessCheck', `${message}; the operator retries`)
    : stalled(
        'AccessCheckFailed',
        'spec.accessCheck',
        `${message}; grant the connection's account the right to create and delete there, or set accessCheck: false`,
      );
};

const CONNECTION_CHECKS: readonly Check<Input>[] = [
  connectionExists,
  connectionIsReady,
  accessTokenHeld,
  targetIsKnown,
];
const RESOLVER_CHECKS: readonly Check<Input>[] = [specIsValid, profileRulesHold, resolversAreValid];
const RESOLUTION_CHECKS: readonly Check<Input>[] = [iManageAnswered, staticEntriesResolved];
const CHECKS: readonly Check<Input>[] = [
  specIsValid,
  profileRulesHold,
  ...CONNECTION_CHECKS,
  resolversAreValid,
  ...RESOLUTION_CHECKS,
  accessVerified,
];

/** The checks that must pass before iManage is asked anything: the controller runs them before observing. */
export function blockedBeforeResolution(repository: WorkspaceRepository, connection?: IManageConnection) {
  const input: Input = { repository, observed: connection ? { connection } : {}, resolving: true };
  return firstFailure([specIsValid, profileRulesHold, connectionExists, connectionIsReady], input);
}

type ResolverStatus = NonNullable<WorkspaceRepositoryStatus['resolvers']>[number];

/**
 * The parsed resolvers for status, of a spec that passed validation: every resolver parses, so a
 * parse error here is a bug and is thrown, never swallowed.
 */
function parsedResolvers(repository: WorkspaceRepository, statuses?: readonly ResolutionStatus[]): ResolverStatus[] {
  return (repository.spec.resolvers ?? []).map((entry, i) => {
    const parsed = parseResolver(entry.resolver);
    return {
      workType: entry.workType,
      mode: parsed.mode,
      query: formatResolver(parsed),
      ...(entry.fallbacks?.length ? { fallbacks: entry.fallbacks.map((f) => describeResolver(parseResolver(f))) } : {}),
      ...(entry.folder ? { folder: entry.folder } : {}),
      ...(statuses?.[i] ? { resolution: statuses[i] } : {}),
    };
  });
}

function previewStatuses(resolution: Resolved): NonNullable<WorkspaceRepositoryStatus['previews']> {
  return resolution.previews.map((p, i) => ({
    workType: p.workType,
    ...(p.entry !== undefined ? { entry: p.entry } : {}),
    resolution: resolutionStatus(p.result, p.entry === undefined ? `spec.preview[${i}]` : `the '${p.entry}' entry`),
  }));
}

export function decideRepository(
  repository: WorkspaceRepository,
  observed: ObservedRepository,
  options: DecideOptions = {},
): RepositoryDecision {
  const generation = repository.metadata?.generation ?? 0;
  if (repository.spec.suspend === true) {
    const { conditions: _kept, ...rest } = repository.status ?? {};
    const status = { ...rest, observedGeneration: generation };
    return { status, conditions: suspendedConditions(generation), next: 'wait' };
  }
  const resolution = observed.resolution?.kind === 'Resolved' ? observed.resolution : undefined;
  const statuses = resolution?.entries.map((e, i) => resolutionStatus(e, `spec.resolvers[${i}]`));
  const input: Input = {
    repository,
    observed,
    resolving: options.resolving === true,
    ...(statuses ? { statuses } : {}),
  };
  const failure = firstFailure(CHECKS, input);
  const resolvers = failure?.reason === 'InvalidSpec' ? [] : parsedResolvers(repository, statuses);
  const ready = readyOf(input, resolvers);
  const parts = partConditions(input, failure, ready);
  const conditions = readinessConditions(generation, failure, ready);
  const previews = resolution && resolution.previews.length > 0 ? { previews: previewStatuses(resolution) } : {};
  return {
    status: { observedGeneration: generation, ...(resolvers.length ? { resolvers } : {}), ...previews },
    conditions: { ...withConditions(conditions, ...parts.set), remove: [...conditions.remove, ...parts.remove] },
    next: nextStep(failure, observed),
    ...(failure ? { failure } : {}),
  };
}

/** Ready's reason and message when every check passes. */
function readyOf(input: Input, resolvers: readonly ResolverStatus[]): Summary {
  const name = connectionName(input);
  if (!input.resolving) {
    const count = `${resolvers.length} resolver${resolvers.length === 1 ? '' : 's'}`;
    return { reason: 'Configured', message: `${count} parsed; connection '${name}' is Ready.` };
  }
  const found = resolvers.filter((r) => r.resolution?.outcome === 'Resolved');
  if (found.length === 0) {
    return {
      reason: 'Resolved',
      message: 'every resolver is dynamic: each resolves per work item (see status.previews)',
    };
  }
  const shown = found.slice(0, 3).map((r) => resolvedSummary(r.workType, r.resolution!));
  const more = found.length > shown.length ? `, and ${found.length - shown.length} more` : '';
  return { reason: 'Resolved', message: `resolved through IManageConnection '${name}': ${shown.join('; ')}${more}` };
}

interface Summary {
  readonly reason: string;
  readonly message: string;
}

type PartCondition = Omit<ConditionInput, 'observedGeneration'>;

/** A part's condition: True when its checks pass; a retried or stalled failure is False, a wait Unknown. */
function part(type: string, failure: CheckFailure | undefined, ok: Summary): PartCondition {
  if (!failure) return { type, status: 'True', ...ok };
  const status = failure.kind === 'reconciling' ? 'Unknown' : 'False';
  const message = failure.fieldPath ? `${failure.fieldPath}: ${failure.message}` : failure.message;
  return { type, status, reason: failure.reason, message };
}

/** ConnectionReady, ResolverValid, and with resolution on, Resolved and AccessVerified (when asked for). */
function partConditions(input: Input, failure: CheckFailure | undefined, ready: Summary) {
  const name = connectionName(input);
  const token = input.resolving ? ' and holds an access token' : '';
  const set = [
    part('ConnectionReady', firstFailure(CONNECTION_CHECKS, input), {
      reason: 'ConnectionReady',
      message: `IManageConnection '${name}' is Ready${token}`,
    }),
    part('ResolverValid', firstFailure(RESOLVER_CHECKS, input), resolverCounts(input.repository)),
  ];
  if (!input.resolving) return { set, remove: [RESOLVED, ACCESS_VERIFIED] };
  const resolution = resolved(input);
  // Not resolved this time: the condition says why (the first failure before resolution).
  const notYet = failure ?? reconciling('NotChecked', 'not resolved yet');
  set.push(part(RESOLVED, resolution ? firstFailure(RESOLUTION_CHECKS, input) : notYet, ready));
  if (!input.repository.spec.accessCheck) return { set, remove: [ACCESS_VERIFIED] };
  set.push(part(ACCESS_VERIFIED, accessFailure(input, resolution, notYet), accessSummary(resolution)));
  return { set, remove: [] };
}

const RESOLVED = 'Resolved';
const ACCESS_VERIFIED = 'AccessVerified';

function resolverCounts(repository: WorkspaceRepository): Summary {
  const entries = repository.spec.resolvers ?? [];
  const dynamic = entries.filter((e) => !isStatic(e)).length;
  const s = entries.length === 1 ? '' : 's';
  return {
    reason: 'Parsed',
    message: `${entries.length} resolver${s} parsed: ${entries.length - dynamic} static, ${dynamic} dynamic`,
  };
}

/** The access check's failure, or why it has not run: it needs every static entry resolved first. */
function accessFailure(input: Input, resolution: Resolved | undefined, notYet: CheckFailure): CheckFailure | undefined {
  if (!resolution) return notYet;
  if (resolution.access) return accessVerified(input);
  return (
    firstFailure(RESOLUTION_CHECKS, input) ??
    reconciling('NotChecked', 'no static resolver names a place to check; dynamic ones are not checked')
  );
}

function accessSummary(resolution: Resolved | undefined): Summary {
  const places = resolution?.access?.ok ? resolution.access.checked.length : 0;
  return {
    reason: 'AccessVerified',
    message:
      `browsed ${places} place${places === 1 ? '' : 's'}, created a probe folder and document in each, ` +
      'and removed both',
  };
}
