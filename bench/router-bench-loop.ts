// Event-loop delay of bench:router's Route server, while it serves and while it idles, read as
// what it is: the time between two runs of a 1 ms timer, less the 1 ms. An idle process records
// ≈ 0-1 ms here (libuv's clock counts whole ms) plus however late the kernel woke it; on this
// 2-core VM the idle Route server's p99 was 3.4-5.3 ms at load 2-5. So the server records the
// windows in which it was idle (while the client calls the floor) apart from those in which it
// served: only the difference is the server's own stalls (its work, GC), the rest is the
// machine's wake-ups. (monitorEventLoopDelay, used before, cannot be split so: re-enabled, it
// records the whole disabled gap as one delay.)
import { createHistogram } from "node:perf_hooks";
import type { RecordableHistogram } from "node:perf_hooks";

/** The sampling timer's interval, ms. */
export const LOOP_RESOLUTION_MS = 1;

/** Which windows are being recorded. */
export type LoopPhase = "serving" | "idle";

/** Event-loop delay (ms beyond the timer's interval) of one phase. */
export interface LoopDelay {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Timer runs recorded. */
  readonly samples: number;
}

function summary(h: RecordableHistogram): LoopDelay {
  // Recorded in µs of delay + 1 (a histogram takes integers ≥ 1).
  const ms = (us: number): number => (h.count === 0 ? 0 : (us - 1) / 1000);
  return { p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max), samples: h.count };
}

/** A 1 ms timer's lateness, recorded into the serving or the idle histogram. */
export class PhasedLoopDelay {
  private readonly histograms: Record<LoopPhase, RecordableHistogram> = { serving: createHistogram(), idle: createHistogram() };
  private current: LoopPhase = "serving";
  private last = performance.now();
  private readonly timer = setInterval(() => {
    const now = performance.now();
    this.histograms[this.current].record(1 + Math.max(0, Math.round((now - this.last - LOOP_RESOLUTION_MS) * 1000)));
    this.last = now;
  }, LOOP_RESOLUTION_MS);

  constructor() {
    this.timer.unref();
  }

  /** From now on record into `phase` (the one interval that spans the switch goes to it too). */
  phase(phase: LoopPhase): void {
    this.current = phase;
  }

  /** Forget what both recorded. */
  reset(): void {
    this.histograms.serving.reset();
    this.histograms.idle.reset();
  }

  summary(): Record<LoopPhase, LoopDelay> {
    return { serving: summary(this.histograms.serving), idle: summary(this.histograms.idle) };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
