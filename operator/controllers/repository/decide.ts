// The pure core of the repository controller: spec + its connection → desired status.

import type { IManageConnection, WorkspaceRepository, WorkspaceRepositoryStatus } from '../../api/generated/types.ts';
import { describeResolver, parseResolver, formatResolver } from '../../api/resolver/index.ts';
import { invalidSpec } from '../shared.ts';
import { type ConditionUpdate, findCondition, Ready, Reconciling } from '../../runtime/conditions.ts';
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

export interface ObservedRepository {
  /** The referenced connection from the cache; undefined when it does not exist. */
  readonly connection?: IManageConnection;
}

export interface RepositoryDecision {
  readonly status: Omit<WorkspaceRepositoryStatus, 'conditions'>;
  readonly conditions: ConditionUpdate;
  readonly failure?: CheckFailure;
}

interface Input {
  readonly repository: WorkspaceRepository;
  readonly observed: ObservedRepository;
}

const specIsValid: Check<Input> = ({ repository }) => invalidSpec(repository);

const connectionExists: Check<Input> = ({ repository, observed }) =>
  observed.connection
    ? undefined
    : stalled('ConnectionNotFound', 'spec.connectionRef.name',
        `IManageConnection '${repository.spec.connectionRef.name}' does not exist in this namespace; create it or correct the name`);

/**
 * The repository follows its connection's kstatus, carrying its reason through. A connection being
 * reconciled for a new generation keeps its last Ready until it has a new one: the repository
 * changes when the connection's readiness does, not twice per connection edit (issue 9).
 */
const connectionIsReady: Check<Input> = ({ repository, observed }) => {
  const connection = observed.connection!;
  const name = repository.spec.connectionRef.name;
  const ready = findCondition(connection.status?.conditions, Ready);
  if (connection.spec.suspend) return stalled('ConnectionSuspended', 'spec.connectionRef.name', `IManageConnection '${name}' is suspended; resume it (spec.suspend: false)`);
  if (!ready || ready.status === 'Unknown') {
    return reconciling('WaitingForConnection', `waiting for IManageConnection '${name}' to be reconciled`);
  }
  if (ready.status === 'False') {
    // A failure the connection retries by itself is retried here too: an outage stalls neither.
    const retried = findCondition(connection.status?.conditions, Reconciling)?.status === 'True';
    const fail = retried ? retrying : stalled;
    return fail(`Connection${ready.reason}`, 'spec.connectionRef.name', `IManageConnection '${name}' is not Ready (${ready.reason}): ${ready.message}`);
  }
  return undefined;
};

const CHECKS: readonly Check<Input>[] = [specIsValid, connectionExists, connectionIsReady];

/**
 * The parsed resolvers for status, of a spec that passed validation: every resolver parses, so a
 * parse error here is a bug and is thrown, never swallowed.
 */
function parsedResolvers(repository: WorkspaceRepository): NonNullable<WorkspaceRepositoryStatus['resolvers']> {
  return (repository.spec.resolvers ?? []).map((entry) => {
    const parsed = parseResolver(entry.resolver);
    return {
      workType: entry.workType,
      mode: parsed.mode,
      query: formatResolver(parsed),
      ...(entry.fallbacks?.length ? { fallbacks: entry.fallbacks.map((f) => describeResolver(parseResolver(f))) } : {}),
      ...(entry.folder ? { folder: entry.folder } : {}),
    };
  });
}

export function decideRepository(repository: WorkspaceRepository, observed: ObservedRepository): RepositoryDecision {
  const generation = repository.metadata?.generation ?? 0;
  if (repository.spec.suspend === true) {
    const { conditions: _kept, ...rest } = repository.status ?? {};
    return { status: { ...rest, observedGeneration: generation }, conditions: suspendedConditions(generation) };
  }
  const failure = firstFailure(CHECKS, { repository, observed });
  const resolvers = failure?.reason === 'InvalidSpec' ? [] : parsedResolvers(repository);
  const conditions = readinessConditions(generation, failure, {
    reason: 'Configured',
    message: `${resolvers.length} resolver${resolvers.length === 1 ? '' : 's'} parsed; connection '${repository.spec.connectionRef.name}' is Ready.`,
  });
  return { status: { observedGeneration: generation, ...(resolvers.length ? { resolvers } : {}) }, conditions, ...(failure ? { failure } : {}) };
}
