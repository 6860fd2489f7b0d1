// Heap bytes a piece of code allocates, for bench:router: a count that machine load does not
// distort (wall-clock p99 on a shared 2-core machine is mostly other processes), and the
// cause of the decision's tail: young-generation garbage is what scavenges collect, and what
// survives them feeds the major collections that mark the whole index.
import { GCProfiler } from "node:v8";

/** What `measureAllocation` saw. */
export interface Allocation {
  /** Heap bytes allocated per call (used heap at the end − at the start + what each GC freed). */
  readonly bytesPerCall: number;
  /** Scavenges (minor GCs) and mark-compacts (major) while it ran. */
  readonly scavenges: number;
  readonly markCompacts: number;
}

/** Counts the heap allocated from now until `stop`: see {@link measureAllocation}. */
export function startAllocationCount(): { stop(calls: number): Allocation } {
  const profiler = new GCProfiler();
  profiler.start();
  const start = process.memoryUsage().heapUsed;
  return {
    stop(calls: number): Allocation {
      const end = process.memoryUsage().heapUsed;
      const { statistics } = profiler.stop();
      let freed = 0;
      let scavenges = 0;
      let markCompacts = 0;
      for (const gc of statistics) {
        freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
        if (gc.gcType === "Scavenge" || gc.gcType === "MinorMarkCompact") scavenges++;
        else if (gc.gcType === "MarkSweepCompact") markCompacts++;
      }
      return { bytesPerCall: (end - start + freed) / Math.max(1, calls), scavenges, markCompacts };
    },
  };
}

/**
 * Run `call(i)` for i in [0, calls) and count the heap it allocates: V8's GC profiler reports
 * the used heap before and after every collection, so the bytes freed in between are added
 * back to the growth of the used heap.
 */
export function measureAllocation(calls: number, call: (i: number) => void): Allocation {
  const count = startAllocationCount();
  for (let i = 0; i < calls; i++) call(i);
  return count.stop(calls);
}
