/** Durations on the command line: "500ms", "10s", "2m", "1h", "1.5s", or plain milliseconds. */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;

/** Milliseconds of a duration string, or undefined when it is not one (negative values are not). */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2] ?? "ms"];
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/** A compact duration for help text and errors: 10000 → "10s", 90000 → "90s", 250 → "250ms". */
export function formatDuration(ms: number): string {
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
