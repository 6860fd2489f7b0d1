/**
 * Progress of a run: a bar redrawn in place on a terminal, or a plain line every 10% (and at
 * least every 10 s) when the output is a file or a pipe, so logs stay readable.
 */

/** Where progress goes. */
export interface ProgressSink {
  readonly isTTY: boolean;
  write(text: string): void;
}

/** A progress tracker of one run. */
export interface Progress {
  /** One request finished. */
  tick(failed: boolean): void;
  /** The run ended: the final line. */
  done(): void;
}

const BAR = 30;

/** The one-line status: `label [####......] 120/500  24.0 req/s  errors 0`. */
export function progressLine(label: string, finished: number, total: number, errors: number, elapsedMs: number): string {
  const frac = total > 0 ? Math.min(1, finished / total) : 0;
  const filled = Math.round(frac * BAR);
  const rate = elapsedMs > 0 ? (finished * 1000) / elapsedMs : 0;
  return `${label} [${"#".repeat(filled)}${".".repeat(BAR - filled)}] ${finished}/${total}  ${rate.toFixed(1)} req/s  errors ${errors}`;
}

/** A tracker for `total` requests (an upper bound when a duration may end the run first). */
export function createProgress(label: string, total: number, sink: ProgressSink, now: () => number): Progress {
  const start = now();
  let finished = 0;
  let errors = 0;
  // Without a terminal the first line waits for the first tenth (or 10 s).
  let lastDraw = sink.isTTY ? -Infinity : start;
  let lastDecile = 0;
  const line = (): string => progressLine(label, finished, total, errors, now() - start);
  return {
    tick(failed) {
      finished++;
      if (failed) errors++;
      const t = now();
      if (sink.isTTY) {
        if (t - lastDraw < 100) return; // a redraw per request would cost more than the request
        lastDraw = t;
        sink.write(`\r${line()}\x1b[K`); // erase what a longer earlier line left
        return;
      }
      const decile = total > 0 ? Math.floor((finished * 10) / total) : 0;
      if (decile > lastDecile || t - lastDraw >= 10_000) {
        lastDecile = decile;
        lastDraw = t;
        sink.write(`${line()}\n`);
      }
    },
    done() {
      sink.write(sink.isTTY ? `\r${line()}\x1b[K\n` : `${line()} done\n`);
    },
  };
}
