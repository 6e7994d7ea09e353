// The WorkspaceRepository controller: observe (its connection from the cache, then iManage through
// the connection's token) → decide → apply. Re-checked at its connection's probe interval with
// jitter, and at once when the spec, the connection's readiness or the connection's token changes.

import { connectionKey, connectionKeyOf } from '../../api/connection.ts';
import type { IManageConnection, WorkspaceRepository } from '../../api/generated/types.ts';
import { imanageConnections, workspaceRepositories } from '../../api/kinds.ts';
import { findCondition, Ready, Reconciling } from '../../runtime/conditions.ts';
import type { Controller, EngineContext, ObjectRef } from '../../runtime/engine.ts';
import type { InformerSet } from '../../runtime/informer-set.ts';
import type { HandlerResult } from '../../runtime/queue.ts';
import { commitStatus } from '../../runtime/status.ts';
import { refOf } from '../../runtime/watch.ts';
import type { AccessTokens } from '../../tokens/index.ts';
import { checkSpec } from '../shared.ts';
import { blockedBeforeResolution, decideRepository, type RepositoryDecision } from './decide.ts';
import { connectionIntervalMs, observeResolution, type ResolutionDeps } from './observe.ts';
import type { ObservedRepository } from './observed.ts';

export const KIND = 'WorkspaceRepository';

export interface RepositoryControllerOptions {
  /** Resolution against iManage; without it (probes off) Ready means the spec and connection are fine. */
  readonly resolution?: ResolutionDeps;
  /** A number in [0, 1) for the re-check jitter. @default Math.random */
  readonly random?: () => number;
}

/**
 * What a repository's decision reads of its connection: its suspension and its Ready condition.
 * Probes rewrite a connection's status every interval (checkedAt, latency), and an edit of the
 * connection bumps its generation; neither alone changes a repository, so neither requeues the
 * thousand repositories a connection may have.
 */
function readinessInputChanged(old: IManageConnection, current: IManageConnection): boolean {
  const view = (c: IManageConnection) => {
    const ready = findCondition(c.status?.conditions, Ready);
    const retrying = findCondition(c.status?.conditions, Reconciling)?.status === 'True';
    return JSON.stringify([c.spec?.suspend, ready?.status, ready?.reason, ready?.message, retrying]);
  };
  return view(old) !== view(current);
}

/**
 * A connection the operator has not reconciled yet (no Ready at all): its first status requeues
 * this repository, so writing `WaitingForConnection` now would only be overwritten a moment
 * later (two writes and two Events for one repository created with its connection).
 */
function awaitingFirstStatus(connection: IManageConnection | undefined): boolean {
  return connection !== undefined && !connection.spec?.suspend && !findCondition(connection.status?.conditions, Ready);
}

/**
 * How long after this process starts reconciling a repository may wait, without a status write,
 * for its connection's first reconcile here to load the token (see `awaitingTokenLoad`), and how
 * often it looks again meanwhile. A restart of 1,000 connections reconciled them all within 25 s.
 * Counted from the first reconcile, not from the start of the process: a standby replica starts
 * reconciling when it becomes leader, maybe hours later, holding no token yet.
 */
export const TOKEN_LOAD_GRACE_MS = 120_000;
const TOKEN_LOAD_RECHECK_MS = 15_000;

/**
 * After a restart a connection's status still says Ready, with a token in its Secret, while this
 * process has not yet reconciled it and so holds no token for it. A repository reconciled first
 * would flip to WaitingForAccessToken and back a moment later: two status writes and a Ready flap
 * that an SRE or Argo CD sees for every restart (196 writes at 1,000 connections). It keeps the
 * status the last process wrote instead; the connection's reconcile requeues it through
 * AccessTokens.onChange (or its changed status). The grace bounds the wait when that never
 * comes, e.g. a connection that another shard's selector takes.
 */
export function awaitingTokenLoad(
  observed: ObservedRepository,
  tokens: Pick<AccessTokens, 'trustOf'>,
  connection: IManageConnection,
  sinceStartMs: number,
): boolean {
  const resolution = observed.resolution;
  if (resolution?.kind !== 'NoAccessToken' || resolution.reason !== 'NotYetObtained') return false;
  const connectionReconciledHere = tokens.trustOf(connectionKeyOf(connection)) !== undefined;
  return !connectionReconciledHere && sinceStartMs < TOKEN_LOAD_GRACE_MS;
}

/** Repositories by the connection they name (`namespace/name`), for AccessTokens' change notices. */
const BY_CONNECTION = 'repository-connection';

export function repositoryController(options: RepositoryControllerOptions = {}): Controller {
  let ctx: EngineContext;
  /** When this process reconciled its first repository (as the leader, with leader election). */
  let reconcilingSinceMs: number | undefined;
  let repositories: InformerSet<WorkspaceRepository>;
  let connections: InformerSet<IManageConnection>;
  const deps = options.resolution;
  const random = options.random ?? Math.random;
  /** The generation each repository last resolved at: a new one lets go of the searches it no longer sends. */
  const resolvedGeneration = new Map<string, number>();
  const forget = (repository: WorkspaceRepository) => {
    const owner = ownerOf(refOf(repository));
    deps?.load.release(owner);
    deps?.releaseRequests?.(owner);
    deps?.accessChecks?.delete(repository.metadata.uid ?? owner);
    resolvedGeneration.delete(owner);
  };

  async function observe(repository: WorkspaceRepository, connection: IManageConnection | undefined) {
    const observed: ObservedRepository = connection ? { connection } : {};
    if (!deps || !connection || repository.spec.suspend || blockedBeforeResolution(repository, connection)) {
      return observed;
    }
    const owner = ownerOf(refOf(repository));
    if (resolvedGeneration.get(owner) !== repository.metadata.generation) deps.load.release(owner);
    resolvedGeneration.set(owner, repository.metadata.generation ?? 0);
    const resolution = await observeResolution(repository, connection, deps, ctx);
    return { ...observed, resolution };
  }

  /**
   * Decide says when to look again: a retried failure with the queue's backoff (the shared searches
   * hold their answer meanwhile, so a retry sends nothing before the host's backoff ends); anything
   * else after iManage was asked at the connection's interval, jittered ±10% so that a thousand
   * repositories do not fall due together. Before asking, the connection's changes requeue.
   */
  function next(decision: RepositoryDecision, observed: ObservedRepository): HandlerResult | void {
    if (decision.next === 'recheck') return { recheck: true };
    if (decision.next !== 'interval' || !observed.connection) return;
    return { requeueAfter: Math.round(connectionIntervalMs(observed.connection) * (0.9 + 0.2 * random())) };
  }

  return {
    kind: KIND,
    setup(engine) {
      ctx = engine;
      const watched = engine.watch(KIND, workspaceRepositories);
      repositories = watched.own;
      connections = watched.references({
        resource: imanageConnections,
        nameOf: (r) => r.spec?.connectionRef?.name,
        changed: readinessInputChanged,
      });
      if (!deps) return;
      repositories.addIndex(BY_CONNECTION, (r) => {
        const name = r.spec?.connectionRef?.name;
        return name ? connectionKey(r.metadata.namespace, name) : undefined;
      });
      repositories.on({ delete: forget });
      deps.tokens.onChange((key) => {
        for (const r of repositories.byIndex(BY_CONNECTION, key)) engine.enqueue(KIND, refOf(r));
      });
    },
    async reconcile(ref: ObjectRef): Promise<HandlerResult | void> {
      reconcilingSinceMs ??= ctx.clock.now().getTime();
      const cached = repositories.get(ref.namespace, ref.name);
      if (!cached || cached.metadata.deletionTimestamp) return;
      // Observed and decided with the schema's defaults applied (to a copy: the cache is never changed).
      const repository = checkSpec(cached).value;
      const connectionName = repository.spec?.connectionRef?.name;
      const connection = connectionName ? defaulted(connections.get(ref.namespace, connectionName)) : undefined;
      const observed = await observe(repository, connection);
      const decision = decideRepository(repository, observed, { resolving: deps !== undefined });
      if (decision.next === 'awaitConnection' && awaitingFirstStatus(connection)) return;
      const sinceStartMs = ctx.clock.now().getTime() - reconcilingSinceMs;
      if (deps && connection && awaitingTokenLoad(observed, deps.tokens, connection, sinceStartMs)) {
        return { requeueAfter: TOKEN_LOAD_RECHECK_MS };
      }
      await commitStatus(ctx, workspaceRepositories, cached, decision);
      return next(decision, observed);
    },
  };
}

const ownerOf = (ref: ObjectRef) => `${ref.namespace}/${ref.name}`;

const defaulted = (connection: IManageConnection | undefined) => connection && checkSpec(connection).value;
