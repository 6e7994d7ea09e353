// The operator under a memory limit, as a container's resources.limits.memory sets one: a memory
// cgroup of its own (cgroup v1's `memory` controller, or v2), made below the bench's own, with the
// limit written to it before the operator starts in it.
//
// What the kernel charges to a cgroup is the anonymous memory its processes allocate and the page
// cache they are the first to read. The bench runs the same node binary as the operator, so most of
// that binary's pages are already in the page cache, charged elsewhere, and would be free for the
// operator here though not in a container of its own. So the operator runs a copy of the binary
// written with O_DIRECT (dd oflag=direct), none of it in the page cache: every page of it that the
// operator touches is read from disk and charged to its cgroup, as on a node where it runs alone.
//
// At the limit the kernel does to it what it does to a container: it reclaims the page cache (the
// binary's clean pages, read again from disk when next touched: refaults), and kills the process
// only when what it cannot reclaim (anonymous memory: V8's heap, malloc) exceeds the limit.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MiB = 2 ** 20;

export class MemoryLimitUnavailable extends Error {
  override readonly name = 'MemoryLimitUnavailable';
}

/** What the cgroup's counters say, in MiB where a size. */
export interface LimitFigures {
  /** The most ever charged at once: anonymous memory and page cache (v1 max_usage_in_bytes, v2 memory.peak). */
  readonly peakMiB: number;
  /** Charged now, minus the page cache not touched lately: kubelet's working set, what `kubectl top` shows and eviction reads. */
  readonly workingSetMiB: number;
  /** The highest working set sampled. */
  readonly peakWorkingSetMiB: number;
  readonly anonMiB: number;
  readonly fileMiB: number;
  /** Times the cgroup reached its limit and the kernel had to reclaim (v1 failcnt, v2 memory.events max). */
  readonly limitHits: number;
  /** File pages read again from disk soon after the kernel reclaimed them: the cost of the limit. */
  readonly refaults: number;
  readonly oomKills: number;
}

interface Layout {
  readonly version: 1 | 2;
  /** The bench's own memory cgroup directory, under which a child is made. */
  readonly parent: string;
}

/** The bench's memory cgroup: v1 where the memory controller is mounted on its own, else v2. */
function ownCgroup(): Layout {
  const lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
  const v1 = lines.map((l) => l.split(':')).find((f) => f.length >= 3 && f[1]!.split(',').includes('memory'));
  if (v1 && existsSync('/sys/fs/cgroup/memory'))
    return { version: 1, parent: join('/sys/fs/cgroup/memory', v1.slice(2).join(':')) };
  const v2 = lines.find((l) => l.startsWith('0::'));
  if (v2 && existsSync('/sys/fs/cgroup/cgroup.controllers'))
    return { version: 2, parent: join('/sys/fs/cgroup', v2.slice(3)) };
  throw new MemoryLimitUnavailable('no memory cgroup controller is mounted at /sys/fs/cgroup (v1 memory/ or v2)');
}

function readNumber(file: string): number {
  return Number(readFileSync(file, 'utf8').trim());
}

/** `key value` lines (memory.stat, memory.events, v1 memory.oom_control). */
function readKeyed(file: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined) values.set(key, Number(value));
  }
  return values;
}

export class MemoryLimit {
  readonly limitMiB: number;
  /** The node binary to run: a copy none of whose pages are in the page cache. */
  readonly node: string;
  readonly #layout: Layout;
  readonly #dir: string;
  readonly #copyDir: string;
  #peakWorkingSetMiB = 0;

  /** Makes the cgroup and the binary's copy; throws MemoryLimitUnavailable where this machine cannot. */
  constructor(limitMiB: number, nodeBinary: string) {
    this.limitMiB = limitMiB;
    this.#layout = ownCgroup();
    this.#dir = join(this.#layout.parent, `bench-operator-${process.pid}-${Date.now()}`);
    try {
      mkdirSync(this.#dir);
      const bytes = String(limitMiB * MiB);
      if (this.#layout.version === 1) writeFileSync(join(this.#dir, 'memory.limit_in_bytes'), bytes);
      else writeFileSync(join(this.#dir, 'memory.max'), bytes);
      // No swap, as kubelet runs a container by default: without this, where the machine has swap,
      // the heap could be swapped out and the limit look met.
      const swap = join(this.#dir, this.#layout.version === 1 ? 'memory.memsw.limit_in_bytes' : 'memory.swap.max');
      if (existsSync(swap)) writeFileSync(swap, this.#layout.version === 1 ? bytes : '0');
    } catch (error) {
      this.#removeCgroup();
      throw new MemoryLimitUnavailable(
        `cannot make a memory cgroup with a limit under ${this.#layout.parent}: ${(error as Error).message}`,
      );
    }
    this.#copyDir = mkdtempSync(join(tmpdir(), 'bench-operator-node-'));
    this.node = join(this.#copyDir, 'node');
    execFileSync('dd', [`if=${nodeBinary}`, `of=${this.node}`, 'bs=1M', 'oflag=direct', 'status=none']);
    execFileSync('chmod', ['+x', this.node]);
  }

  /** A command that joins the cgroup, then becomes `command` (same pid, so /proc sampling still works). */
  wrap(command: string, args: readonly string[]): [string, string[]] {
    return ['/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', join(this.#dir, 'cgroup.procs'), command, ...args]];
  }

  figures(): LimitFigures {
    const v1 = this.#layout.version === 1;
    const stat = readKeyed(join(this.#dir, 'memory.stat'));
    const usage = readNumber(join(this.#dir, v1 ? 'memory.usage_in_bytes' : 'memory.current'));
    const workingSetMiB = Math.max(0, usage - (stat.get(v1 ? 'total_inactive_file' : 'inactive_file') ?? 0)) / MiB;
    this.#peakWorkingSetMiB = Math.max(this.#peakWorkingSetMiB, workingSetMiB);
    const events = v1 ? undefined : readKeyed(join(this.#dir, 'memory.events'));
    return {
      peakMiB: readNumber(join(this.#dir, v1 ? 'memory.max_usage_in_bytes' : 'memory.peak')) / MiB,
      workingSetMiB,
      peakWorkingSetMiB: this.#peakWorkingSetMiB,
      anonMiB: (stat.get(v1 ? 'total_rss' : 'anon') ?? 0) / MiB,
      fileMiB: (stat.get(v1 ? 'total_cache' : 'file') ?? 0) / MiB,
      limitHits: v1 ? this.#v1LimitHits() : (events!.get('max') ?? 0),
      refaults: stat.get(v1 ? 'total_workingset_refault_file' : 'workingset_refault_file') ?? 0,
      oomKills: (v1 ? readKeyed(join(this.#dir, 'memory.oom_control')) : events!).get('oom_kill') ?? 0,
    };
  }

  /** With memory+swap limited too, a charge over the limit counts against that counter instead. */
  #v1LimitHits(): number {
    const memsw = join(this.#dir, 'memory.memsw.failcnt');
    return readNumber(join(this.#dir, 'memory.failcnt')) + (existsSync(memsw) ? readNumber(memsw) : 0);
  }

  /** Once the operator has exited: the cgroup (its charges go to the parent) and the copy. */
  remove(): void {
    this.#removeCgroup();
    rmSync(this.#copyDir, { recursive: true, force: true });
  }

  #removeCgroup(): void {
    try {
      rmdirSync(this.#dir);
    } catch {
      // Not made, or already gone.
    }
  }
}

export function describeLimit(limitMiB: number, f: LimitFigures): string {
  const n = (value: number): string => value.toFixed(0);
  return (
    `limit ${limitMiB} MiB: peak ${n(f.peakMiB)} MiB charged (anonymous + page cache), working set settled ${n(f.workingSetMiB)} MiB, ` +
    `peak sampled ${n(f.peakWorkingSetMiB)} MiB (usage − inactive file, as kubelet); now anonymous ${n(f.anonMiB)} MiB, page cache ${n(f.fileMiB)} MiB; ` +
    `limit reached ${f.limitHits} times, ${f.refaults} file pages read again after reclaim, OOM kills ${f.oomKills}`
  );
}
