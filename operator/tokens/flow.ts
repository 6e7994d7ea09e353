// Obtains, refreshes and stores one connection's tokens, and reports what happened (decide says what
// it means). The order of the steps is what keeps a refresh token alive through a crash:
//   1. read the Secret (never a cache: the newest tokens are the only ones worth presenting);
//   2. check that this replica still leads, then send the grant: nothing is sent by a replica that
//      lost its lease, so two replicas never hold two refresh tokens of one lineage;
//   3. once iManage answered, always store (no abort signal reaches the write), before the
//      presented refresh token is forgotten; a conflict re-reads and keeps the newer lineage.
// A crash between 2 and 3 loses the answer. With grace-period rotation the presented token still
// works and the next leader refreshes with it; with strict rotation it is dead and the connection
// shows RefreshTokenRevoked with what to do. No order of steps can avoid that with strict rotation.

import { specCustomerId } from '../api/customer-id.ts';
import { connectionKeyOf, grantOf, pkceOf, refreshBeforeMsOf, scopeOf, tokenSecretNameOf } from '../api/connection.ts';
import type { IManageConnection } from '../api/generated/types.ts';
import { goDurationMs } from '../api/duration.ts';
import { type IssuedTokens, IManageOAuthClient, type OAuthNetwork, type RefreshedTokens } from '../imanage/oauth.ts';
import { type HostPhases, tenantOf } from '../imanage/probe-cache.ts';
import { GrantNotSupported, IManageOAuthError, InvalidGrant, RateLimited } from '../imanage/oauth-errors.ts';
import { ConflictError } from '../runtime/kube/errors.ts';
import type { Logger } from '../runtime/log.ts';
import type { OperatorMetrics } from '../runtime/metrics.ts';
import type { AccessTokens } from './access.ts';
import { EncryptionKeyChanged, hasPassphraseVerifier, TokensUnreadable } from './envelope.ts';
import { EncryptionKeyError } from './keys.ts';
import { lastLink, RELINK_ANNOTATION } from './link-annotations.ts';
import type { LinkService, SignIn } from './ports.ts';
import { type StoredPayload, UnknownTokenSecret } from './stored.ts';
import type { GrantKind, TokenObservation } from './observation.ts';
import {
  type Grant,
  planAfterConflict,
  planAfterRefusal,
  planTokens,
  planWithoutRefresh,
  type RewriteReason,
  type TokenPlan,
  type TokenSituation,
} from './plan.ts';
import {
  EncryptionRemoved,
  type KeyMaterial,
  type LoadedTokens,
  TokenSecretNotOwned,
  type TokenStore,
} from './store.ts';
import {
  accessTokenValid,
  payloadOf,
  type PayloadExtras,
  refreshAt,
  uselessLifeSeconds,
} from './schedule.ts';
import { sha256 } from './digest.ts';

export interface TokenDeps {
  readonly store: TokenStore;
  readonly accessTokens: AccessTokens;
  readonly link?: LinkService;
  /** --require-token-encryption: without spec.tokens.encryption nothing is read, obtained or stored. */
  readonly requireEncryption?: boolean;
  readonly network: Omit<OAuthNetwork, 'timeoutMs'>;
  readonly isLeading: () => boolean;
  /** The per-host state the probes keep: no token request goes to a host they are backing off from. */
  readonly hosts?: HostPhases;
  readonly now: () => Date;
  readonly metrics?: Pick<OperatorMetrics, 'tokenRequests'>;
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /**
   * Seeded refresh tokens iManage refused, per connection uid (generation and hash): not sent again
   * until the Secret's value or the spec changes. In memory: a restarted operator asks once more.
   */
  readonly refusedSeeds?: Map<string, string>;
  /**
   * The account a new access token acts as (iManage's GET /api), asked before the tokens are
   * stored without one, so that one Secret write carries both (issue 22: the account used to be
   * a second write). Undefined when it cannot be told now: the next pass records it then.
   */
  readonly accountOf?: (accessToken: string) => Promise<string | undefined>;
}

export interface TokenInputs {
  readonly connection: IManageConnection;
  /** clientSecret is absent for a password-grant application registered without one. */
  readonly application?: { readonly clientId: string; readonly clientSecret: string | undefined };
  readonly credentials: { readonly username?: string; readonly password?: string; readonly refreshToken?: string };
  /** Absent when tokens are stored plain; an error when the key material cannot be used. */
  readonly material: KeyMaterial | EncryptionKeyError | undefined;
  readonly ca?: string;
  readonly timeoutMs: number;
}

/** What one pass holds once done: the payload and where it is stored. */
interface Held {
  readonly payload: StoredPayload;
  readonly resourceVersion: string;
  /** The key fingerprint the Secret records, when encrypted (status shows it: never a passphrase verifier). */
  readonly fingerprint?: string | undefined;
}

/** What the pass reports of what it holds; a fingerprint of the earlier format (a passphrase verifier) never. */
const heldIn = (held: Held) => ({
  payload: held.payload,
  resourceVersion: held.resourceVersion,
  ...(held.fingerprint && !hasPassphraseVerifier({ fingerprint: held.fingerprint })
    ? { fingerprint: held.fingerprint }
    : {}),
});


/** What a token pass starts from: observe read it (tokens/observe.ts readTokens), nothing written yet. */
export interface TokenStart extends TokenInputs {
  /** What the token Secret held; absent when there is none, or when it was not read (a failure before). */
  readonly loaded?: LoadedTokens | undefined;
  /** Why the token Secret could not be opened (failureOf says what decide reads of it). */
  readonly loadError?: unknown;
}

/** How a pass begins: a failure known from what was read, else what is held. */
function startOf(deps: TokenDeps, start: TokenStart): { failure: Failure } | { loaded: LoadedTokens | undefined } {
  if (start.material instanceof EncryptionKeyError) {
    const { message: detail, fieldPath: field, problem } = start.material;
    return { failure: { kind: 'KeyUnusable', detail, field, problem } };
  }
  if (deps.requireEncryption && start.connection.spec.tokens?.encryption === undefined) {
    return { failure: { kind: 'EncryptionRequired', detail: 'the operator stores no token unencrypted' } };
  }
  if (start.loadError === undefined) return { loaded: start.loaded };
  const failure = failureOf(start.loadError, 'refresh_token', false);
  if (!failure) throw start.loadError;
  return { failure };
}

/** The first plan of a pass, from what observe read; undefined when a failure leaves nothing to plan. */
export function planTokenPass(deps: TokenDeps, start: TokenStart): TokenPlan | undefined {
  const begun = startOf(deps, start);
  return 'failure' in begun ? undefined : planTokens(situationOf(deps, start, begun.loaded));
}

/** Carries `plan` out (see the header for the order), and what follows from it, for one connection. */
export async function executeTokenPlan(
  deps: TokenDeps,
  start: TokenStart,
  plan: TokenPlan | undefined,
): Promise<TokenObservation> {
  const { connection } = start;
  const base = {
    secretName: tokenSecretNameOf(connection),
    encrypted: connection.spec.tokens?.encryption !== undefined,
    grant: grantOf(connection),
  } as const;
  const begun = startOf(deps, start);
  if ('failure' in begun) {
    const { failure } = begun;
    if (start.loadError !== undefined && failure.kind !== 'Transient') deps.accessTokens.forget(connectionKeyOf(connection));
    return { ...base, failure };
  }
  const pass = new TokenPass(deps, start, begun.loaded);
  try {
    const done = await pass.run(plan ?? planTokens(situationOf(deps, start, begun.loaded)));
    const relink = relinkAsked(connection) && done.payload && !done.notLinked && !done.failure;
    const signIn = relink ? (await pass.signIn())?.signIn : undefined;
    return { ...base, ...done, ...(signIn ? { relinkSignIn: signIn } : {}) };
  } catch (error) {
    const failure = failureOf(error, pass.grantInFlight, pass.seedInFlight);
    if (!failure) throw error;
    if (failure.kind !== 'Transient') deps.accessTokens.forget(connectionKeyOf(connection));
    return { ...base, ...pass.heldSoFar(), failure };
  }
}

/**
 * Plans per pass: a rewrite, then the action on the rewritten tokens. The follow-ups inside a grant
 * (a refused refresh, a lost write) are bounded where they happen; this bounds the pass itself.
 */
const MAX_PLANS_PER_PASS = 3;

/** What the planner needs to know: what is stored, the seed, and the schedule's settings. */
function situationOf(deps: TokenDeps, input: TokenInputs, loaded: LoadedTokens | undefined): TokenSituation {
  const { connection } = input;
  const seed = input.credentials.refreshToken?.trim() || undefined;
  const refused = seed !== undefined && deps.refusedSeeds?.get(uidOf(connection)) === seedAttemptOf(connection, seed);
  return {
    grant: grantOf(connection) as Grant,
    ...(loaded ? { stored: { payload: loaded.payload, rewrite: loaded.rewrite } } : {}),
    ...(seed !== undefined ? { seed, seedRefusedBefore: refused } : {}),
    now: deps.now(),
    refreshBeforeMs: refreshBeforeMsOf(connection),
    jitterKey: uidOf(connection),
  };
}

const uidOf = (connection: IManageConnection) => connection.metadata.uid ?? connectionKeyOf(connection);

const seedAttemptOf = (connection: IManageConnection, seed: string) =>
  `${connection.metadata.generation ?? 0}|${sha256(seed)}`;

class TokenPass {
  readonly #deps: TokenDeps;
  readonly #input: TokenInputs;
  readonly #material: KeyMaterial | undefined;
  readonly #key: string;
  #held: Held | undefined;
  grantInFlight: GrantKind = 'refresh_token';
  /** The grant in flight presents the seeded refresh token. */
  seedInFlight = false;

  constructor(deps: TokenDeps, input: TokenInputs, loaded: LoadedTokens | undefined) {
    this.#deps = deps;
    this.#input = input;
    this.#material = input.material as KeyMaterial | undefined;
    this.#key = connectionKeyOf(input.connection);
    this.#held = loaded;
  }

  heldSoFar(): Partial<TokenObservation> {
    return this.#held ? heldIn(this.#held) : {};
  }

  async run(first: TokenPlan): Promise<Partial<TokenObservation>> {
    let loaded = this.#held as LoadedTokens | undefined;
    let plan = first;
    // A rewrite stores the same tokens; what to do with them is planned again (never a second rewrite).
    for (let plans = 1; plan.action === 'store' && loaded; plans++) {
      if (plans >= MAX_PLANS_PER_PASS) throw new Error(`a token pass planned ${plans} rewrites`);
      loaded = await this.#rewrite(loaded, plan.reason);
      this.#held = loaded;
      plan = planTokens(situationOf(this.#deps, this.#input, loaded));
    }
    this.#deps.logger?.debug({ connection: this.#key, action: plan.action, reason: plan.reason }, 'token plan');
    return this.#carryOut(plan, loaded);
  }

  async #carryOut(plan: TokenPlan, loaded: LoadedTokens | undefined): Promise<Partial<TokenObservation>> {
    switch (plan.action) {
      case 'adopt':
        return this.#finish(await this.#takeOver(plan.seed), { seedSpent: true });
      case 'obtain':
        return this.#finish(await this.#obtain({}));
      case 'refresh':
        return this.#finish(await this.#refresh(loaded!, plan.refreshToken));
      case 'nothing':
        return this.#idle(plan.reason, loaded);
      case 'store':
        throw new Error('a token rewrite planned twice in one pass');
    }
  }

  /** No grant this pass: tokens are fresh, or a human must act first (decide says what). */
  async #idle(
    reason: Extract<TokenPlan, { action: 'nothing' }>['reason'],
    loaded: LoadedTokens | undefined,
  ): Promise<Partial<TokenObservation>> {
    if (reason === 'SeedRefusedBefore') {
      this.seedInFlight = true;
      throw new SeedRefusedBefore();
    }
    if (reason === 'NotLinked' || !loaded) return { notLinked: await this.signIn() };
    if (reason === 'RefreshTokenRefused') {
      this.#deps.accessTokens.forget(this.#key);
      const failure = { kind: 'RefreshTokenRevoked', detail: 'refused earlier' } as const;
      return { ...heldIn(loaded), failure };
    }
    return this.#finish(loaded);
  }

  async #load(): Promise<LoadedTokens | undefined> {
    return this.#deps.store.load(this.#input.connection, this.#material);
  }

  /** Rotation to the current passphrase, plain → encrypted, or adoption: the same tokens, re-written. */
  async #rewrite(loaded: LoadedTokens, reason: RewriteReason): Promise<LoadedTokens> {
    const saved = await this.#deps.store.save(
      this.#input.connection,
      loaded.payload,
      this.#material,
      loaded.resourceVersion,
    );
    this.#deps.logger?.info(
      { connection: this.#key, reason },
      'token Secret rewritten under the current key material and owner',
    );
    return { ...saved, payload: loaded.payload };
  }

  #uid(): string {
    return uidOf(this.#input.connection);
  }

  #seedAttempt(seed: string): string {
    return seedAttemptOf(this.#input.connection, seed);
  }

  /** The seeded refresh token, sent once per value and spec: iManage's refusal holds until either changes. */
  async #takeOver(seed: string): Promise<Held> {
    this.seedInFlight = true;
    try {
      const held = await this.#obtain({ seed });
      this.#deps.refusedSeeds?.delete(this.#uid());
      return held;
    } catch (error) {
      if (error instanceof InvalidGrant) this.#deps.refusedSeeds?.set(this.#uid(), this.#seedAttempt(seed));
      throw error;
    }
  }

  /** A fresh grant: the password or client credentials, or the take-over of a seeded refresh token. */
  async #obtain(options: { seed?: string }): Promise<Held> {
    const oauth = this.#client();
    const { username = '', password = '' } = this.#input.credentials;
    const scope = scopeOf(this.#input.connection);
    if (options.seed !== undefined) {
      const tokens = await this.#send('refresh_token', () => oauth.refresh(options.seed!));
      // A new lineage: nothing of the stored payload carries over, but its Secret is replaced, not re-created.
      return this.#store(tokens, { seedSha256: sha256(options.seed) }, this.#held, { fresh: true });
    }
    const tokens =
      this.#grant() === 'Password'
        ? await this.#send('password', () => oauth.password(username, password, scope))
        : await this.#send('client_credentials', () => oauth.clientCredentials(scope));
    return this.#store(tokens, {}, this.#held);
  }

  async #refresh(loaded: Held, presented: string): Promise<Held> {
    try {
      const tokens = await this.#send('refresh_token', () => this.#client().refresh(presented));
      return await this.#store(tokens, {}, loaded);
    } catch (error) {
      if (error instanceof GrantNotSupported) {
        return planWithoutRefresh(this.#grant() as Grant).action === 'obtain' ? this.#obtain({}) : loaded;
      }
      if (!(error instanceof InvalidGrant)) throw error;
      return this.#afterInvalidGrant(presented, error);
    }
  }

  /** iManage refused the refresh token. Another writer may have rotated it: only the stored one counts. */
  async #afterInvalidGrant(presented: string, error: InvalidGrant): Promise<Held> {
    const now = await this.#load();
    const plan = planAfterRefusal(this.#grant() as Grant, presented, now?.payload);
    if (plan.action === 'nothing') return now!;
    if (plan.action === 'obtain') return this.#obtain({});
    if (plan.action === 'store' && now) {
      const refused = { ...now.payload, refresh_token_refused_at: this.#deps.now().toISOString() };
      const saved = await this.#deps.store.save(this.#input.connection, refused, this.#material, now.resourceVersion);
      this.#held = { ...saved, payload: refused };
    }
    throw error;
  }

  /** Sends one grant, unless this replica lost its lease: then nothing is sent (see the header). */
  async #send<T extends IssuedTokens>(grant: GrantKind, call: () => Promise<T>): Promise<T> {
    if (!this.#deps.isLeading()) throw new NotLeading();
    const now = this.#deps.now().getTime();
    const until = this.#deps.hosts?.backingOffUntil(tokenHost(this.#input.connection), tenantOf(this.#key), now);
    if (until) throw new HostBackingOff(until, until.getTime() - now);
    this.grantInFlight = grant;
    try {
      const tokens = await call();
      this.#deps.metrics?.tokenRequests.inc({ grant, result: 'success' });
      return tokens;
    } catch (error) {
      const refused = error instanceof IManageOAuthError && !error.retryable;
      this.#deps.metrics?.tokenRequests.inc({ grant, result: refused ? 'refused' : 'failed' });
      throw error;
    }
  }

  /** Step 3: store what iManage answered. A conflict keeps the newer lineage and revokes the loser. */
  async #store(
    tokens: IssuedTokens | RefreshedTokens,
    extras: PayloadExtras,
    before: Held | undefined,
    options: { fresh?: boolean } = {},
  ): Promise<Held> {
    const account = extras.account ?? (options.fresh ? undefined : before?.payload.account) ?? (await this.#accountOf(tokens));
    const payload = payloadOf(tokens, options.fresh ? undefined : before?.payload, account === undefined ? extras : { ...extras, account });
    for (let attempt = 0; ; attempt++) {
      try {
        const saved = await this.#deps.store.save(
          this.#input.connection,
          payload,
          this.#material,
          before?.resourceVersion,
        );
        this.#held = { ...saved, payload };
        return this.#held;
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= 3) throw error;
        const current = await this.#load();
        if (planAfterConflict(before?.payload, current?.payload).action !== 'store') return this.#yieldTo(current, payload);
        before = current;
      }
    }
  }

  async #accountOf(tokens: IssuedTokens | RefreshedTokens): Promise<string | undefined> {
    try {
      return await this.#deps.accountOf?.(tokens.accessToken);
    } catch {
      return undefined; // the tokens are stored all the same; discovery reports its own failure
    }
  }

  /** Someone stored other tokens meanwhile (a sign-in): theirs are newer; ours are revoked, best effort. */
  async #yieldTo(current: LoadedTokens | undefined, ours: StoredPayload): Promise<Held> {
    if (!current)
      throw new ConflictError('the token Secret was deleted while tokens were being stored', {
        status: 409,
        reason: 'Conflict',
      });
    const oauth = this.#client();
    if (ours.refresh_token) void oauth.revoke(ours.refresh_token, 'refresh_token').catch(() => undefined);
    this.#held = current;
    return current;
  }

  #finish(held: Held, extra: Partial<TokenObservation> = {}): Partial<TokenObservation> {
    this.#held = held;
    const { payload } = held;
    const now = this.#deps.now();
    const customerId = specCustomerId(this.#input.connection.spec);
    if (accessTokenValid(payload, now) && payload.access_token_expires_at) {
      this.#deps.accessTokens.set(this.#key, {
        accessToken: payload.access_token,
        expiresAt: new Date(payload.access_token_expires_at),
        ...(customerId ? { customerId } : {}),
      });
    } else if (!accessTokenValid(payload, now)) {
      this.#deps.accessTokens.forget(this.#key);
    }
    // A linked account without a refresh token cannot be renewed: nothing to schedule (decide says why).
    const renewable = payload.refresh_token !== undefined || this.#grant() !== 'AuthorizationCode';
    const next = renewable ? refreshAt(payload, this.#refreshBeforeMs(), this.#jitterKey()) : undefined;
    const life = uselessLifeSeconds(payload);
    const failure = life === undefined ? {} : { failure: { kind: 'ExpiresAtOnce' as const, detail: `${life} s` } };
    return { ...heldIn(held), ...(next ? { nextRefreshAt: next } : {}), ...extra, ...failure };
  }

  /** A sign-in URL: the one in status while it has over a minute to go, else a new one. */
  async signIn(): Promise<TokenObservation['notLinked']> {
    const link = this.#deps.link;
    if (!link) return { problem: 'NoLinkService' };
    const now = this.#deps.now();
    const c = this.#input.connection;
    const identity = {
      namespace: c.metadata.namespace ?? 'default',
      name: c.metadata.name ?? '',
      uid: c.metadata.uid ?? '',
    };
    const generation = lastLink(c).generation;
    // Reused while it has over a minute to go and no link happened since it was made.
    const previous = c.status?.tokens?.signInSecret ? await link.current(identity) : undefined;
    if (previous && previous.generation === generation && previous.expiresAt.getTime() - now.getTime() > 60_000) {
      return { signIn: previous };
    }
    const server = {
      baseUrl: new URL(c.spec.url),
      clientId: this.#input.application?.clientId ?? '',
      scope: scopeOf(c),
      pkce: pkceOf(c),
    };
    const signIn: SignIn = await link.signInUrl(identity, server, now, generation);
    return { signIn };
  }

  #client(): IManageOAuthClient {
    const app = this.#input.application;
    if (!app) throw new NoApplication();
    const server = {
      baseUrl: new URL(this.#input.connection.spec.url),
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      ...(this.#input.ca ? { ca: this.#input.ca } : {}),
    };
    return new IManageOAuthClient(server, { ...this.#deps.network, timeoutMs: this.#input.timeoutMs }, this.#deps.now);
  }

  #grant(): string {
    return grantOf(this.#input.connection);
  }

  #refreshBeforeMs(): number {
    return refreshBeforeMsOf(this.#input.connection);
  }

  #jitterKey(): string {
    return uidOf(this.#input.connection);
  }
}

/** `imanage-operator link --relink` asked for a new sign-in (link-annotations.ts); a link clears it. */
function relinkAsked(connection: IManageConnection): boolean {
  return grantOf(connection) === 'AuthorizationCode' && connection.metadata.annotations?.[RELINK_ANNOTATION] !== undefined;
}

/** The token endpoint's host, as the probes key it (host:port of spec.url). */
function tokenHost(connection: IManageConnection): string {
  const url = URL.parse(connection.spec.url);
  return url ? `${url.hostname}:${Number(url.port || 443)}` : '';
}

/** The probes back off from this host (it failed, or asked to wait): a token request would only add load. */
export class HostBackingOff extends Error {
  override readonly name = 'HostBackingOff';
  readonly waitMs: number;
  constructor(until: Date, waitMs: number) {
    super(`iManage at this host is being backed off until ${until.toISOString()}; the token request waits`);
    this.waitMs = waitMs;
  }
}

/** This replica no longer leads: it sends nothing; the new leader takes over. */
export class NotLeading extends Error {
  override readonly name = 'NotLeading';
}

/** iManage refused this seeded refresh token before, and neither it nor the spec changed since. */
export class SeedRefusedBefore extends Error {
  override readonly name = 'SeedRefusedBefore';
  constructor() {
    super('iManage refused it before; it is not sent again until the Secret or the spec changes');
  }
}

/** No client id and secret to ask iManage with. */
export class NoApplication extends Error {
  override readonly name = 'NoApplication';
}

type Failure = NonNullable<TokenObservation['failure']>;

/** What went wrong, as decide reads it; undefined for errors the engine retries (API server, bugs). */
function failureOf(error: unknown, grant: GrantKind, seed: boolean): Failure | undefined {
  if (error instanceof EncryptionKeyChanged)
    return { kind: 'EncryptionKeyChanged', detail: error.message, changed: error.changed };
  if (error instanceof EncryptionRemoved) return { kind: 'EncryptionRemoved', detail: error.message };
  if (error instanceof TokenSecretNotOwned) return { kind: 'NotOwned', detail: error.message };
  if (error instanceof SeedRefusedBefore) return { kind: 'RefreshTokenRevoked', grant, detail: error.message, seed };
  if (error instanceof TokensUnreadable || error instanceof UnknownTokenSecret)
    return { kind: 'Unreadable', detail: error.message };
  if (error instanceof NoApplication) return { kind: 'NoApplication', detail: 'no client id and secret' };
  if (error instanceof NotLeading) return { kind: 'Transient', detail: 'this replica no longer leads' };
  if (error instanceof HostBackingOff) {
    return { kind: 'Transient', grant, detail: error.message, retryAfterMs: error.waitMs };
  }
  if (!(error instanceof IManageOAuthError)) return undefined;
  const detail = error.message;
  if (error.retryable) {
    const wait =
      error instanceof RateLimited && error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {};
    return { kind: 'Transient', grant, detail, ...wait };
  }
  if (error.failure === 'InvalidGrant') {
    return { kind: grant === 'refresh_token' ? 'RefreshTokenRevoked' : 'InvalidCredentials', grant, detail, seed };
  }
  if (error.failure === 'InvalidClient') return { kind: 'InvalidClient', grant, detail };
  if (error.failure === 'GrantNotSupported') return { kind: 'GrantNotSupported', grant, detail };
  return { kind: 'Refused', grant, detail };
}
