/**
 * Stop strings over streamed text. Text that could be the start of a stop string is held back
 * until it either completes one (the stream ends there; the stop string itself is never
 * emitted unless asked) or can no longer match (it is released).
 */

/** The outcome of feeding text to a {@link StopStringMatcher}. */
export interface StopMatch {
  /** Text safe to emit now. */
  text: string;
  /** The stop string reached, when one was; the stream must end. */
  stop?: string;
}

/** Finds the earliest complete stop string in streamed text. */
export class StopStringMatcher {
  private readonly stops: readonly string[];
  private held = "";
  private stopped = false;

  /** `stops` are matched as given; empty strings are ignored. */
  constructor(stops: readonly string[], private readonly includeStopInOutput = false) {
    this.stops = stops.filter((s) => s !== "");
  }

  /** True when there is nothing to match (the matcher passes text straight through). */
  get empty(): boolean {
    return this.stops.length === 0;
  }

  /** Feeds a text delta. After a stop was reached, further text is dropped. */
  push(delta: string): StopMatch {
    if (this.stopped) return { text: "" };
    const buffer = this.held + delta;
    const found = this.earliest(buffer);
    if (found) {
      this.stopped = true;
      this.held = "";
      const end = found.index + (this.includeStopInOutput ? found.stop.length : 0);
      return { text: buffer.slice(0, end), stop: found.stop };
    }
    const keep = this.partialSuffix(buffer);
    this.held = buffer.slice(buffer.length - keep);
    return { text: buffer.slice(0, buffer.length - keep) };
  }

  /** Passes a delta through unmatched (before min_tokens, as vLLM skips stop strings there). */
  pass(delta: string): string {
    if (this.stopped) return "";
    const text = this.held + delta;
    this.held = "";
    return text;
  }

  /** Releases held text as the stream ends without reaching a stop string. */
  flush(): string {
    const rest = this.held;
    this.held = "";
    return this.stopped ? "" : rest;
  }

  /** The stop string starting first in `text` (the longest on a tie). */
  private earliest(text: string): { index: number; stop: string } | undefined {
    let best: { index: number; stop: string } | undefined;
    for (const stop of this.stops) {
      const index = text.indexOf(stop);
      if (index < 0) continue;
      if (!best || index < best.index || (index === best.index && stop.length > best.stop.length)) best = { index, stop };
    }
    return best;
  }

  /** Length of the longest suffix of `text` that is a proper prefix of some stop string. */
  private partialSuffix(text: string): number {
    let longest = 0;
    for (const stop of this.stops) {
      for (let n = Math.min(stop.length - 1, text.length); n > longest; n--) {
        if (text.endsWith(stop.slice(0, n))) {
          longest = n;
          break;
        }
      }
    }
    return longest;
  }
}
