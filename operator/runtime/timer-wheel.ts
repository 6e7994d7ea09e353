// One timer for every delayed key of a work queue, not one sleep per key. Each sleep used to add
// an abort listener to the queue's one stop signal, and Node's EventTarget walks its listener list
// on every add and remove, so N parked keys cost N²: issue 22 profiled 4.8 s of a 6,000-object run
// there. The wheel keeps its items in a min-heap and arms a single sleep for the earliest; it
// listens once on the stop signal, and each armed sleep has a signal of its own with one listener.
import { type Clock, SLEEP_CANCELLED } from './clock.ts';

interface Slot<T> {
  readonly dueMs: number;
  readonly seq: number;
  readonly item: T;
}

const before = <T>(a: Slot<T>, b: Slot<T>): boolean => a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.seq < b.seq);

export class TimerWheel<T> {
  readonly #clock: Clock;
  readonly #onDue: (item: T) => void;
  readonly #heap: Slot<T>[] = [];
  #seq = 0;
  /** The armed sleep: the due time it waits for and the controller that cancels it. */
  #armed: { readonly dueMs: number; readonly cancel: AbortController } | undefined;
  #stopped = false;

  /** `onDue` gets each item once its time has come, earliest first (ties in the order scheduled). */
  constructor(clock: Clock, stop: AbortSignal, onDue: (item: T) => void) {
    this.#clock = clock;
    this.#onDue = onDue;
    if (stop.aborted) this.#stop();
    else stop.addEventListener('abort', () => this.#stop(), { once: true });
  }

  /** Items scheduled and not yet handed to `onDue`. */
  get size(): number {
    return this.#heap.length;
  }

  schedule(dueMs: number, item: T): void {
    if (this.#stopped) return;
    this.#push({ dueMs, seq: this.#seq++, item });
    this.#arm();
  }

  #stop(): void {
    this.#stopped = true;
    this.#heap.length = 0;
    this.#armed?.cancel.abort(SLEEP_CANCELLED);
    this.#armed = undefined;
  }

  /** Makes sure one sleep waits for the earliest item (and no other sleep is pending). */
  #arm(): void {
    const first = this.#heap[0];
    if (!first || this.#stopped) return;
    if (this.#armed && this.#armed.dueMs <= first.dueMs) return;
    this.#armed?.cancel.abort(SLEEP_CANCELLED);
    const armed = { dueMs: first.dueMs, cancel: new AbortController() };
    this.#armed = armed;
    const delayMs = Math.max(0, first.dueMs - this.#clock.now().getTime());
    void this.#clock.sleep(delayMs, armed.cancel.signal).then(() => {
      if (this.#armed !== armed) return; // replaced by an earlier item, or stopped
      this.#armed = undefined;
      this.#fireDue();
      this.#arm();
    });
  }

  #fireDue(): void {
    const nowMs = this.#clock.now().getTime();
    while (this.#heap.length > 0 && this.#heap[0]!.dueMs <= nowMs && !this.#stopped) this.#onDue(this.#pop().item);
  }

  #push(slot: Slot<T>): void {
    const heap = this.#heap;
    heap.push(slot);
    for (let i = heap.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #pop(): Slot<T> {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length === 0) return top;
    heap[0] = last;
    for (let i = 0; ;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && before(heap[left]!, heap[least]!)) least = left;
      if (right < heap.length && before(heap[right]!, heap[least]!)) least = right;
      if (least === i) break;
      [heap[i], heap[least]] = [heap[least]!, heap[i]!];
      i = least;
    }
    return top;
  }
}
