// V8's sampling heap profiler in the operator, over the inspector protocol (the operator started
// with --inspect on loopback; bench/operator-scale.ts with BENCH_ALLOC_PROF=<dir>). It counts every
// sampled allocation, collected or not (includeObjectsCollectedByMinorGC/MajorGC), so it says where
// the garbage comes from, which is what the young-generation collections cost. The file is a
// .heapprofile: Chrome DevTools' Memory panel loads it, and bench/alloc-summary.ts sums it up.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A sample about every 16 KiB allocated: about 65,000 samples per GiB. */
const SAMPLING_INTERVAL_BYTES = 16 * 1024;
const CALL_TIMEOUT_MS = 60_000;

/** The line Node writes to stderr when --inspect listens: where the bench connects. */
const LISTENING = /^Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]{36})$/;

export function inspectorUrl(stderrLine: string): string | undefined {
  return stderrLine.length <= 200 ? LISTENING.exec(stderrLine)?.[1] : undefined;
}

export class AllocationSampling {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, { done: (result: unknown) => void; fail: (error: Error) => void }>();
  #next = 0;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
      const call = message.id === undefined ? undefined : this.#pending.get(message.id);
      if (!call) return;
      this.#pending.delete(message.id!);
      if (message.error) call.fail(new Error(`inspector: ${message.error.message}`));
      else call.done(message.result);
    });
  }

  /** Connects and starts sampling. */
  static async start(url: string): Promise<AllocationSampling> {
    const socket = new WebSocket(url);
    await new Promise<void>((open, fail) => {
      socket.addEventListener('open', () => open(), { once: true });
      socket.addEventListener('error', () => fail(new Error(`cannot reach the operator's inspector at ${url}`)), { once: true });
    });
    const sampling = new AllocationSampling(socket);
    await sampling.#call('HeapProfiler.enable');
    await sampling.#call('HeapProfiler.startSampling', {
      samplingInterval: SAMPLING_INTERVAL_BYTES,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    return sampling;
  }

  /** Stops sampling and writes the profile to `dir`; returns its path. */
  async stop(dir: string): Promise<string> {
    const { profile } = (await this.#call('HeapProfiler.stopSampling')) as { profile: unknown };
    this.#socket.close();
    const path = join(dir, `operator-${new Date().toISOString().replace(/[:.]/g, '-')}.heapprofile`);
    await writeFile(path, JSON.stringify(profile));
    return path;
  }

  #call(method: string, params: object = {}): Promise<unknown> {
    const id = ++this.#next;
    return new Promise((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`inspector: ${method} had no answer in ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
      this.#pending.set(id, {
        done: (result) => (clearTimeout(timer), done(result)),
        fail: (error) => (clearTimeout(timer), fail(error)),
      });
      this.#socket.send(JSON.stringify({ id, method, params }));
    });
  }
}
