// The token parts of the connection's life that are not a token pass: the finalizer that revokes
// tokens at iManage when the connection is deleted (best effort, bounded, never blocking for
// long), the metrics of held tokens, and a reconcile when a sign-in finished on any replica.

import { connectionKeyOf } from '../api/connection.ts';
import type { IManageConnection } from '../api/generated/types.ts';
import { imanageConnections } from '../api/kinds.ts';
import { IManageOAuthClient } from '../imanage/oauth.ts';
import type { EngineContext } from '../runtime/engine.ts';
import { targetOf } from '../runtime/events.ts';
import type { TokenExpiry } from '../runtime/metrics.ts';
import { ConflictError, NotFoundError } from '../runtime/kube/errors.ts';
import { refOf } from '../runtime/watch.ts';
import type { AccessTokens } from './access.ts';
import { RELINK_ANNOTATION } from './link-annotations.ts';
import type { LinkService } from './ports.ts';
import type { TokenObservation } from './observation.ts';
import type { HostOverrides, ProbeGuard } from '../imanage/network.ts';
import type { HostPhases } from '../imanage/probe-cache.ts';
import type { TokenContext } from './observe.ts';
import { plainTokensEvent } from './outcomes.ts';
import { LINKED_AT_ANNOTATION, readKeyMaterial, type TokenStore } from './store.ts';
import { readApplication, readCaBundle } from './connection-secrets.ts';

export const REVOKE_FINALIZER = `${imanageConnections.group}/revoke-tokens`;
/** The longest deletion waits for iManage to revoke: then the finalizer goes whatever happened. */
export const REVOKE_BOUND_MS = 3_000;

export interface TokenOptions {
  readonly store: TokenStore;
  readonly accessTokens: AccessTokens;
  /** The interactive link's sign-in URLs; absent when the operator serves no callback. */
  readonly link?: LinkService;
  /** --require-token-encryption: a connection without spec.tokens.encryption gets no tokens. */
  readonly requireEncryption?: boolean;
}

/** What tokens share with the probes: the network settings, and where the operator's default application is. */
export interface TokenNetwork {
  readonly settings: {
    readonly overrides: HostOverrides;
    readonly blocked: ProbeGuard;
    readonly hosts?: HostPhases;
  };
  /** The operator-wide application of Cloud connections without clientSecretRef. */
  readonly defaultClientSecret?: { readonly namespace: string; readonly name: string };
}

export interface TokenLifecycle {
  readonly context: TokenContext;
  readonly options: TokenOptions;
  /** Where the operator's default application is (Cloud connections without clientSecretRef). */
  readonly defaultClientSecret?: TokenNetwork['defaultClientSecret'];
  track(connection: IManageConnection, observed: TokenObservation | undefined): void;
  forget(connection: IManageConnection): void;
  onUpdate(old: IManageConnection, current: IManageConnection): void;
  /**
   * Connections (uid) whose tokens this process already revoked on deletion: a reconcile that reads
   * a cache still showing the finalizer it removed must not revoke a second time.
   */
  readonly revoked: BoundedSet;
}

/** A set that forgets its oldest entry past `cap`: memory stays flat however many deletions. */
export class BoundedSet {
  readonly #items = new Set<string>();
  readonly #cap: number;
  constructor(cap: number) {
    this.#cap = cap;
  }
  has(item: string): boolean {
    return this.#items.has(item);
  }
  add(item: string): void {
    this.#items.add(item);
    if (this.#items.size > this.#cap) this.#items.delete(this.#items.values().next().value!);
  }
}

export function tokenLifecycle(engine: EngineContext, probes: TokenNetwork, options: TokenOptions): TokenLifecycle {
  const expiries = new Map<string, TokenExpiry[]>();
  /** Connections (uid) already warned that their tokens are stored unencrypted: one Event each per process. */
  const warnedPlain = new Set<string>();
  engine.metrics.trackTokenExpiry(() => [...expiries.values()].flat());
  const context: TokenContext = {
    store: options.store,
    accessTokens: options.accessTokens,
    ...(options.link ? { link: options.link } : {}),
    ...(options.requireEncryption ? { requireEncryption: true } : {}),
    network: { overrides: probes.settings.overrides, guard: probes.settings.blocked },
    ...(probes.settings.hosts ? { hosts: probes.settings.hosts } : {}),
    isLeading: () => engine.isLeading(),
    now: () => engine.clock.now(),
    metrics: engine.metrics,
    logger: engine.logger,
    discoveries: new Map(),
    refusedSeeds: new Map(),
  };
  return {
    context,
    options,
    revoked: new BoundedSet(10_000),
    ...(probes.defaultClientSecret ? { defaultClientSecret: probes.defaultClientSecret } : {}),
    track(connection, observed) {
      const payload = observed?.payload;
      if (!observed) return;
      const uid = connection.metadata.uid ?? '';
      if (payload && !observed.encrypted && !warnedPlain.has(uid)) {
        warnedPlain.add(uid);
        void engine.events.record(targetOf(connection), plainTokensEvent(observed.secretName));
      }
      const { namespace, name } = refOf(connection);
      const of = (token: TokenExpiry['token'], at: string | undefined): TokenExpiry[] =>
        at ? [{ namespace, name, token, expiresAt: new Date(at) }] : [];
      expiries.set(connectionKeyOf(connection), [
        ...of('access', payload?.access_token_expires_at),
        ...of('refresh', payload?.refresh_token ? payload.refresh_token_expires_at : undefined),
      ]);
    },
    forget(connection) {
      expiries.delete(connectionKeyOf(connection));
      context.discoveries.delete(connection.metadata.uid ?? '');
      context.refusedSeeds?.delete(connection.metadata.uid ?? '');
      warnedPlain.delete(connection.metadata.uid ?? '');
      options.accessTokens.forget(connectionKeyOf(connection));
    },
    onUpdate(old, current) {
      const watched = (o: IManageConnection) =>
        [LINKED_AT_ANNOTATION, RELINK_ANNOTATION].map((a) => o.metadata.annotations?.[a]).join('|');
      if (watched(old) !== watched(current)) engine.enqueue('IManageConnection', refOf(current));
    },
  };
}

/**
 * Adds the revoke finalizer before any token exists, so that deletion always revokes. The chart's
 * admission policy (operator/generate/finalizer-policy.ts) adds it at create, so this writes only
 * on clusters without the policy: one PATCH per connection there, none here.
 */
export async function ensureFinalizer(ctx: EngineContext, connection: IManageConnection): Promise<IManageConnection> {
  const finalizers = connection.metadata.finalizers ?? [];
  if (finalizers.includes(REVOKE_FINALIZER)) return connection;
  const metadata = {
    finalizers: [...finalizers, REVOKE_FINALIZER],
    resourceVersion: connection.metadata.resourceVersion,
  };
  return ctx.client.patch(imanageConnections, refOf(connection), { metadata }) as Promise<IManageConnection>;
}

/** Deletion: revoke at iManage within REVOKE_BOUND_MS, forget what this process holds, drop the finalizer. */
export async function releaseTokens(
  ctx: EngineContext,
  tokens: TokenLifecycle,
  connection: IManageConnection,
): Promise<void> {
  const finalizers = connection.metadata.finalizers ?? [];
  tokens.forget(connection);
  if (!finalizers.includes(REVOKE_FINALIZER)) return;
  const uid = connection.metadata.uid ?? '';
  if (tokens.revoked.has(uid)) return dropFinalizer(ctx, connection);
  tokens.revoked.add(uid);
  const revoked = await Promise.race([
    revokeAll(ctx, tokens, connection).then(
      () => 'revoked' as const,
      (error: unknown) => error,
    ),
    new Promise<'timeout'>((resolve) => setTimeout(resolve, REVOKE_BOUND_MS, 'timeout').unref()),
  ]);
  if (revoked !== 'revoked')
    ctx.logger.info({ connection: connectionKeyOf(connection), err: revoked }, 'tokens not revoked at iManage');
  await dropFinalizer(ctx, connection);
}

/**
 * Removes the revoke finalizer, guarded by the resourceVersion so that a finalizer someone else
 * added meanwhile is kept. A conflict re-reads the object and tries again, rather than failing
 * the reconcile, which would revoke the tokens at iManage a second time. Also called without
 * revoking when tokens are off: the admission policy adds the finalizer whatever the flags.
 */
export async function dropFinalizer(ctx: EngineContext, connection: IManageConnection): Promise<void> {
  let current = connection;
  for (let attempt = 1; ; attempt++) {
    const finalizers = current.metadata.finalizers ?? [];
    if (!finalizers.includes(REVOKE_FINALIZER)) return;
    const metadata = {
      finalizers: finalizers.filter((f) => f !== REVOKE_FINALIZER),
      resourceVersion: current.metadata.resourceVersion,
    };
    try {
      await ctx.client.patch(imanageConnections, refOf(current), { metadata });
      return;
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= 5) throw error;
      try {
        current = await ctx.client.get(imanageConnections, refOf(current));
      } catch (gone) {
        if (gone instanceof NotFoundError) return;
        throw gone;
      }
    }
  }
}

async function revokeAll(ctx: EngineContext, tokens: TokenLifecycle, connection: IManageConnection): Promise<void> {
  const material = await readKeyMaterial(ctx.client, connection);
  const loaded = await tokens.options.store.load(connection, material);
  const [app, ca] = await Promise.all([
    readApplication(ctx.client, connection, tokens.defaultClientSecret),
    readCaBundle(ctx.client, connection),
  ]);
  if (!loaded || app?.clientId === undefined) return;
  const { clientId, clientSecret } = app;
  const server = { baseUrl: new URL(connection.spec.url), clientId, ...(clientSecret ? { clientSecret } : {}), ...(ca ? { ca } : {}) };
  const network = { ...tokens.context.network, timeoutMs: REVOKE_BOUND_MS };
  const oauth = new IManageOAuthClient(server, network);
  const { refresh_token: refresh, access_token: access } = loaded.payload;
  await Promise.all([
    refresh ? oauth.revoke(refresh, 'refresh_token') : undefined,
    oauth.revoke(access, 'access_token'),
  ]);
}
