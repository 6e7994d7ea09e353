// Looks at objects that have nothing to do, spread over a window instead of all at once: after a
// start, the objects an earlier process left settled (Ready, for the generation they have now),
// and at every periodic resync, all of them. Their statuses are current, so looking at all of
// them at once only makes a burst: every object's probes and searches again at iManage within
// seconds, and as many reconciles in flight as there are workers, which is the memory peak of
// the process (docs/scale.md measured 6,000 reconciles in 6.5 s after a restart, where the first
// pass had taken them at the pace of their creates, and a resync at concurrency 64 that thrashed
// under 128 MiB). So they are looked at over a window, at `ratePerSecond`, each kind spread over
// the whole window in the cache's order (a connection's repositories stay together, so they share
// one search). After a start everything else goes first and at once: a changed spec, a deletion,
// an object that was failing or never reconciled. A controller may bring an object's look forward
// (a token due for refresh); the window never outlasts half a resync period.

import type { KubeObject } from './kube/resources.ts';
import type { Clock } from './clock.ts';
import { type Priority, queueKey } from './queue.ts';

export interface SpreadLook {
  /** The queue key (kind/namespace/name). */
  readonly key: string;
  readonly afterMs: number;
  readonly priority: Priority;
}

export interface KindToLook<T> {
  readonly kind: string;
  readonly objects: readonly T[];
  /** How soon this object must be looked at, at the latest; undefined when it may wait. */
  readonly dueInMs?: (object: T) => number | undefined;
  /** The queue key of an object this one refers to (its connection): it is looked at AFTER_REFERENCE_MS after that one. */
  readonly refersTo?: (object: T) => string | undefined;
}

interface Settleable {
  readonly metadata: { readonly generation?: number; readonly deletionTimestamp?: string };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly conditions?: readonly { readonly type?: string; readonly status?: string }[];
  };
}

/** Ready, for the generation the object has now, and not being deleted. */
export function settled(object: KubeObject): boolean {
  const { metadata, status } = object as Settleable;
  if (metadata.deletionTimestamp !== undefined || metadata.generation === undefined) return false;
  if (status?.observedGeneration !== metadata.generation) return false;
  return status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** How long the looks at `count` objects take at `ratePerSecond` (0: all at once). */
export function lookWindowMs(count: number, ratePerSecond: number, maxWindowMs: number): number {
  if (!(ratePerSecond > 0) || count < 2) return 0;
  return Math.min(maxWindowMs, Math.round((count * 1000) / ratePerSecond));
}

/**
 * Every object of every kind once, with when to look at it: those `spreads` picks over the
 * window, the rest at once. After a start that is `settled`; at a resync, every object.
 */
export function planLooks<T extends KubeObject>(
  kinds: readonly KindToLook<T>[],
  ratePerSecond: number,
  maxWindowMs: number,
  spreads: (object: T) => boolean = settled,
): { readonly looks: SpreadLook[]; readonly spread: number; readonly windowMs: number } {
  const spreadByKind = kinds.map((k) => k.objects.filter(spreads));
  const count = spreadByKind.reduce((sum, objects) => sum + objects.length, 0);
  const windowMs = lookWindowMs(count, ratePerSecond, maxWindowMs);
  const now = (kind: string, object: T): SpreadLook => ({ key: keyOf(kind, object), afterMs: 0, priority: 'change' });
  // Without a window every look is now, in the lane first-time work has always had.
  if (windowMs === 0)
    return { looks: kinds.flatMap((k) => k.objects.map((o) => now(k.kind, o))), spread: count, windowMs };
  const looks: SpreadLook[] = [];
  const spreadAt = new Map<string, number>();
  kinds.forEach((kind, k) => {
    const spread = spreadByKind[k]!;
    const later = new Set(spread);
    for (const object of kind.objects) if (!later.has(object)) looks.push(now(kind.kind, object));
    spread.forEach((object, i) => {
      const slotMs = Math.floor((i * windowMs) / spread.length);
      const referred = kind.refersTo?.(object);
      const referredAt = referred === undefined ? undefined : spreadAt.get(referred);
      // Never past the window's cap: the next resync replaces the plan, and a look pushed out of
      // every plan would never come.
      const afterReference = referredAt === undefined ? 0 : Math.min(referredAt + AFTER_REFERENCE_MS, maxWindowMs);
      const look = spreadLook(keyOf(kind.kind, object), Math.max(slotMs, afterReference), dueInMsOf(kind, object));
      spreadAt.set(look.key, look.afterMs);
      looks.push(look);
    });
  });
  return { looks, spread: count, windowMs };
}

/**
 * How long after the object it refers to an object is looked at: long enough for that one's
 * reconcile to have ended (about a second at concurrency 64 after a restart), so that a
 * repository finds its connection's token loaded. The load requeues the repositories at once, and
 * their own slot then finds them looked at already.
 */
export const AFTER_REFERENCE_MS = 5_000;

function keyOf(kind: string, object: KubeObject): string {
  return queueKey(kind, object.metadata.namespace ?? 'default', object.metadata.name ?? '');
}

function spreadLook(key: string, slotMs: number, dueInMs: number | undefined): SpreadLook {
  // A look brought forward by its controller is work due, not a resync: it does not queue behind them.
  if (dueInMs !== undefined && dueInMs < slotMs) return { key, afterMs: Math.max(0, dueInMs), priority: 'change' };
  return { key, afterMs: slotMs, priority: 'resync' };
}

/** How often the schedule hands due looks to the queue: a floor on its loop, and small batches. */
export const LOOK_TICK_MS = 50;

/**
 * The spread looks, in time order. A key reconciled meanwhile for any reason (its connection's
 * token loaded and requeued it, a Secret it names changed) has had its look: reconciles are
 * level-based, and looking again at its slot would be work for nothing.
 */
export class LookSchedule {
  readonly #looks: SpreadLook[];
  readonly #pending: Set<string>;
  #next = 0;

  constructor(looks: readonly SpreadLook[]) {
    this.#looks = [...looks].sort((a, b) => a.afterMs - b.afterMs);
    this.#pending = new Set(this.#looks.map((l) => l.key));
  }

  /** Looks neither handed over nor made needless by a reconcile. */
  pending(): number {
    return this.#pending.size;
  }

  /** The key was reconciled: its look has happened. */
  taken(key: string): void {
    this.#pending.delete(key);
  }

  /** Looks due `elapsedMs` after the start that are still pending, in order, each once. */
  takeDue(elapsedMs: number): SpreadLook[] {
    const due: SpreadLook[] = [];
    for (; this.#next < this.#looks.length && this.#looks[this.#next]!.afterMs <= elapsedMs; this.#next++) {
      const look = this.#looks[this.#next]!;
      if (this.#pending.delete(look.key)) due.push(look);
    }
    return due;
  }

  /** When the next pending look is due, in ms after the start; undefined once none is left. */
  nextDueMs(): number | undefined {
    while (this.#next < this.#looks.length && !this.#pending.has(this.#looks[this.#next]!.key)) this.#next++;
    return this.#looks[this.#next]?.afterMs;
  }
}

/** Hands each look to `add` when due, until none is left or `signal` aborts. */
export async function runLooks(
  schedule: LookSchedule,
  clock: Clock,
  signal: AbortSignal,
  add: (look: SpreadLook) => void,
): Promise<void> {
  const startMs = clock.now().getTime();
  for (let next = schedule.nextDueMs(); next !== undefined; next = schedule.nextDueMs()) {
    const elapsedMs = clock.now().getTime() - startMs;
    await clock.sleep(Math.max(LOOK_TICK_MS, next - elapsedMs), signal);
    if (signal.aborted) return;
    for (const look of schedule.takeDue(clock.now().getTime() - startMs)) add(look);
  }
}

/** A controller's answer, or "now" when it cannot tell (a malformed status must not hold an object back). */
function dueInMsOf<T>(kind: KindToLook<T>, object: T): number | undefined {
  if (!kind.dueInMs) return undefined;
  try {
    const due = kind.dueInMs(object);
    return due !== undefined && Number.isNaN(due) ? 0 : due;
  } catch {
    return 0;
  }
}
