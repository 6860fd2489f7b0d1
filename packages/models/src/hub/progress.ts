/**
 * Download progress: a redrawn bar on a terminal, JSON log lines otherwise (every quarter,
 * so a log shows movement without a line per chunk).
 */
import type { Logger } from "#common/logger.js";

/** Receives the bytes of one file as they arrive. */
export interface ProgressSink {
  /** `have` bytes were already on disk (a resumed download); `total` when the size is known. */
  begin(file: string, total: number | undefined, have: number): void;
  advance(bytes: number): void;
  end(): void;
}

/** A minimal writable terminal (process.stderr). */
export interface ProgressTty {
  readonly columns?: number;
  write(text: string): unknown;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** A bar redrawn in place with \r, one line per file. */
export function ttyProgress(tty: ProgressTty): ProgressSink {
  let file = "";
  let total: number | undefined;
  let done = 0;
  let drawn = -1;
  const draw = (force: boolean): void => {
    const percent = total ? Math.floor((done / total) * 100) : 0;
    if (!force && percent === drawn) return;
    drawn = percent;
    const width = Math.max(10, Math.min(40, (tty.columns ?? 80) - file.length - 30));
    const filled = total ? Math.round((done / total) * width) : 0;
    const size = total ? `${megabytes(done)}/${megabytes(total)}` : megabytes(done);
    tty.write(`\r${file} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(percent).padStart(3)}% ${size}`);
  };
  return {
    begin(name, size, have) {
      [file, total, done, drawn] = [name, size, have, -1];
      draw(true);
    },
    advance(bytes) {
      done += bytes;
      draw(false);
    },
    end() {
      draw(true);
      tty.write("\n");
    },
  };
}

/** Info lines `download progress` with file, bytes, total and percent at 0/25/50/75/100 %. */
export function logProgress(log: Logger): ProgressSink {
  let file = "";
  let total: number | undefined;
  let done = 0;
  let nextQuarter = 0;
  const report = (): void => {
    const percent = total ? Math.floor((done / total) * 100) : undefined;
    log.info({ file, bytes: done, total, percent }, "download progress");
  };
  return {
    begin(name, size, have) {
      [file, total, done] = [name, size, have];
      nextQuarter = total ? Math.floor((done / total) * 4) + 1 : 5;
      report();
    },
    advance(bytes) {
      done += bytes;
      // The 100 % line is end()'s, so a file logs it once.
      if (total && done < total && done / total >= nextQuarter / 4) {
        nextQuarter = Math.floor((done / total) * 4) + 1;
        report();
      }
    },
    end() {
      report();
    },
  };
}

/** The bar when `stream` is a TTY, log lines otherwise. */
export function defaultProgress(log: Logger, stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  return stream.isTTY ? ttyProgress(stream) : logProgress(log);
}
