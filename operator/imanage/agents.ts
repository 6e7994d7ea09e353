// Kept-alive connections to iManage hosts, shared by every request the operator makes there (the
// OAuth client, discovery and the Work API all go through oauth.ts's pinnedFetch).
//
// Why: a CPU profile of 1,000 connections with tokens on spent 8–9 s making a new TLS connection,
// and a new TLS context (the CA bundle parsed again), for every request. Here each route (host,
// port, CA bundle, SSRF guard, host overrides) has one https.Agent whose sockets stay open between
// requests, TLS contexts are made once per CA bundle, and each agent resumes its last TLS session
// when it must open a new socket.
//
// The SSRF guard still judges every new socket: the agent's createConnection resolves the host
// and asks the guard before it connects, exactly as a one-off request did. A reused socket was
// judged when it was made, and it stays pinned to that address, so DNS rebinding cannot move it.
//
// Memory stays flat with thousands of hosts: at most MAX_AGENTS agents (least recently used
// evicted), idle sockets close after IDLE_SOCKET_MS, and agents unused for IDLE_AGENT_MS are
// dropped on the next call. We wrote this instead of using undici's Agent (which pools the same
// way) because undici is not a dependency and its connector would need the same guard hook.

import { createHash } from 'node:crypto';
import { Agent, type AgentOptions } from 'node:https';
import type { RequestOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { type HostOverrides, type ProbeGuard, resolveTarget, tlsIdentity } from './network.ts';
import { CONNECT_DEADLINE_MS, openSocket } from './proxy.ts';
import { recall, remember } from '../runtime/lru.ts';

export const MAX_AGENTS = 256;
/** Below the 5 s keep-alive a Node server (and many proxies) closes idle sockets at, to avoid reusing a closing one. */
export const IDLE_SOCKET_MS = 4_000;
const IDLE_AGENT_MS = 60_000;
/** CA bundles whose digest is remembered, the least recently used dropped first, and the largest remembered. */
const MAX_REMEMBERED_CAS = 64;
const MAX_REMEMBERED_CA_CHARS = 64 * 1024;
/** Requests to one host at once; the rest wait for a free socket. */
const MAX_SOCKETS_PER_HOST = 8;

export interface Route {
  readonly host: string;
  readonly port: number;
  /** PEM bundle to trust instead of the system's roots. */
  readonly ca?: string | undefined;
  readonly overrides: HostOverrides;
  readonly guard: ProbeGuard;
}

/** Opens the TLS socket of a route once the guard approved it. */
type Connector = (route: Route, context: SecureContext, session: Buffer | undefined) => Promise<TLSSocket>;

/** Connects to the address the guard approved, or through the egress proxy (proxy.ts) when one is set. */
const directConnector: Connector = async (route, context, session) => {
  const to = await resolveTarget(route.host, route.port, route.overrides, route.guard);
  const deadline = AbortSignal.timeout(CONNECT_DEADLINE_MS);
  const socket = await openSocket(route.host, route.port, to, route.overrides.proxy, deadline);
  return tlsConnect({
    socket,
    ...tlsIdentity(route.host),
    secureContext: context,
    ...(session ? { session } : {}),
    ALPNProtocols: ['http/1.1'],
  });
};

class RouteAgent extends Agent {
  readonly #route: Route;
  readonly #context: SecureContext;
  readonly #connect: Connector;
  #session: Buffer | undefined;
  lastUsed = Date.now();

  constructor(route: Route, context: SecureContext, connect: Connector, options: AgentOptions) {
    super(options);
    this.#route = route;
    this.#context = context;
    this.#connect = connect;
  }

  // Node's Agent accepts a callback here and waits for it: the guard's DNS lookup is async.
  override createConnection(
    _options: RequestOptions,
    callback?: (error: Error | null, socket: Duplex) => void,
  ): undefined {
    this.#connect(this.#route, this.#context, this.#session).then(
      (socket) => {
        socket.on('session', (session: Buffer) => (this.#session = session));
        callback?.(null, socket);
      },
      (error: unknown) => callback?.(error as Error, undefined as unknown as Duplex),
    );
    return undefined;
  }

  get busy(): boolean {
    return Object.values(this.sockets).some((list) => (list?.length ?? 0) > 0);
  }

  /** Leaves requests in flight to finish, then closes their sockets instead of keeping them. */
  retire(): void {
    this.maxFreeSockets = 0;
    for (const list of Object.values(this.freeSockets)) for (const socket of list ?? []) socket.destroy();
  }
}

/** A small number that stands for one object, so that a route key can name a guard or an override table. */
function identities(): (value: object) => number {
  const ids = new WeakMap<object, number>();
  let next = 0;
  return (value) => {
    let id = ids.get(value);
    if (id === undefined) ids.set(value, (id = ++next));
    return id;
  };
}

export interface AgentPoolOptions {
  readonly maxAgents?: number;
  readonly idleSocketMs?: number;
  readonly idleAgentMs?: number;
  readonly now?: () => number;
}

export class AgentPool {
  readonly #agents = new Map<string, RouteAgent>();
  readonly #contexts = new Map<string, SecureContext>();
  /** CA bundle → its digest, the most recently used few: hashing it per request was 1 % of a run's CPU. */
  readonly #digests = new Map<string, string>();
  readonly #id = identities();
  readonly #maxAgents: number;
  readonly #idleSocketMs: number;
  readonly #idleAgentMs: number;
  readonly #now: () => number;

  constructor(options: AgentPoolOptions = {}) {
    this.#maxAgents = Math.max(1, options.maxAgents ?? MAX_AGENTS);
    this.#idleSocketMs = options.idleSocketMs ?? IDLE_SOCKET_MS;
    this.#idleAgentMs = options.idleAgentMs ?? IDLE_AGENT_MS;
    this.#now = options.now ?? Date.now;
  }

  /** The agent for a route: the same one for as long as it is used, so its sockets are reused. */
  agentFor(route: Route): Agent {
    const ca = this.#digestOf(route.ca);
    const key = `${route.host.toLowerCase()}:${route.port}|${ca}|${this.#id(route.guard)}|${this.#id(route.overrides)}`;
    let agent = this.#agents.get(key);
    if (agent) this.#agents.delete(key);
    else agent = new RouteAgent(route, this.#contextFor(route.ca, ca), directConnector, this.#agentOptions());
    agent.lastUsed = this.#now();
    this.#agents.set(key, agent);
    this.#evict();
    return agent;
  }

  get size(): number {
    return this.#agents.size;
  }

  /** Closes every socket (shutdown, tests). */
  destroy(): void {
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
    this.#contexts.clear();
    this.#digests.clear();
  }

  #agentOptions(): AgentOptions {
    return {
      keepAlive: true,
      maxSockets: MAX_SOCKETS_PER_HOST,
      maxFreeSockets: MAX_SOCKETS_PER_HOST,
      // On a kept-alive socket that is free, Node's Agent reads `timeout` as its idle limit.
      timeout: this.#idleSocketMs,
      scheduling: 'lifo',
    };
  }

  #digestOf(ca: string | undefined): string {
    if (!ca) return '';
    const known = recall(this.#digests, ca);
    if (known !== undefined) return known;
    const digest = createHash('sha256').update(ca).digest('base64url');
    // Bounded in number and size: a tenant's bundle may be as large as a Secret.
    if (ca.length <= MAX_REMEMBERED_CA_CHARS) remember(this.#digests, ca, digest, MAX_REMEMBERED_CAS);
    return digest;
  }

  /** One TLS context per CA bundle: parsing a bundle is the costly part of a handshake's setup. */
  #contextFor(ca: string | undefined, hash: string): SecureContext {
    let context = this.#contexts.get(hash);
    if (context) {
      this.#contexts.delete(hash);
    } else {
      context = createSecureContext(ca ? { ca } : {});
      if (this.#contexts.size >= this.#maxAgents) this.#contexts.delete(this.#contexts.keys().next().value!);
    }
    this.#contexts.set(hash, context);
    return context;
  }

  /** Oldest first (a Map keeps insertion order, and a use re-inserts): over the cap, or idle too long. */
  #evict(): void {
    const cutoff = this.#now() - this.#idleAgentMs;
    for (const [key, agent] of this.#agents) {
      const over = this.#agents.size > this.#maxAgents;
      if (!over && (agent.lastUsed > cutoff || agent.busy)) break;
      this.#agents.delete(key);
      agent.retire();
    }
  }
}

/** The operator's one pool: every iManage request shares it. */
export const sharedAgents = new AgentPool();
