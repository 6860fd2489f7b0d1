// Heap bytes a piece of code allocates, for bench:router: a count that machine load does not
// distort (wall-clock p99 on a shared 2-core machine is mostly other processes), and the
// cause of the decision's tail: young-generation garbage is what scavenges collect, and what
// survives them feeds the major collections that mark the whole index.
import { GCProfiler } from "node:v8";

/** What `measureAllocation` saw. */
export interface Allocation {
  /** Heap bytes allocated per call (used heap at the end − at the start + what each GC freed). */
  readonly bytesPerCall: number;
  /**
   * Bytes young collections moved into the old generation, per call (old + large-object space
   * growth across each scavenge): what outlived a scavenge. A call that leaves nothing behind
   * promotes ~0; bench:router's Route server promoted ~45 KB per call (every request) while
   * the in-flight wrapper kept finished calls' scopes alive through scavenges.
   */
  readonly promotedBytesPerCall: number;
  /** Scavenges (minor GCs) and mark-compacts (major) while it ran. */
  readonly scavenges: number;
  readonly markCompacts: number;
}

/** Used bytes of the old generation (old and large-object spaces). */
function oldGenerationBytes(spaces: readonly { spaceName: string; spaceUsedSize: number }[]): number {
  let bytes = 0;
  for (const space of spaces) if (space.spaceName === "old_space" || space.spaceName === "large_object_space") bytes += space.spaceUsedSize;
  return bytes;
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
      let promoted = 0;
      let scavenges = 0;
      let markCompacts = 0;
      for (const gc of statistics) {
        freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
        if (gc.gcType === "Scavenge" || gc.gcType === "MinorMarkCompact") {
          scavenges++;
          promoted += oldGenerationBytes(gc.afterGC.heapSpaceStatistics) - oldGenerationBytes(gc.beforeGC.heapSpaceStatistics);
        } else if (gc.gcType === "MarkSweepCompact") markCompacts++;
      }
      const per = Math.max(1, calls);
      return { bytesPerCall: (end - start + freed) / per, promotedBytesPerCall: promoted / per, scavenges, markCompacts };
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
