/** The loads of a run from `--concurrency` / `--request-rate` lists and the workload kind. */
import type { LoadPoint } from "../report/types.js";

/** The loads to run and the in-flight cap of open-loop loads. */
export interface LoadPlan {
  readonly loads: readonly LoadPoint[];
  readonly concurrencyCap?: number;
}

/** `"1,4,16"` → [1, 4, 16]; throws naming the flag on anything but positive numbers. */
export function parseList(text: string, flag: string, integer: boolean): number[] {
  const values = text.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  const bad = values.length === 0 || values.some((v) => !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v)));
  if (bad) throw new Error(`--${flag}: "${text}" is not a comma-separated list of positive ${integer ? "integers" : "numbers"}`);
  return values;
}

/**
 * A trace runs once at its own timestamps (a single `--concurrency` caps it); otherwise
 * `--request-rate` values run open loop, else `--concurrency` values (unset: `closedLoopDefault`)
 * closed loop.
 */
export function planLoads(workload: string, concurrency: string | undefined, rate: string | undefined, timeScale: number, closedLoopDefault = "8"): LoadPlan {
  if (workload === "trace") {
    if (rate !== undefined) throw new Error("--request-rate does not apply to a trace: it is sent at its own timestamps (use --time-scale)");
    const cap = concurrency === undefined ? undefined : parseList(concurrency, "concurrency", true);
    if (cap && cap.length > 1) throw new Error("--concurrency: a trace takes one value (the in-flight cap)");
    return { loads: [{ kind: "trace", value: 1 / timeScale }], concurrencyCap: cap?.[0] };
  }
  if (rate !== undefined) {
    const cap = concurrency === undefined ? undefined : parseList(concurrency, "concurrency", true);
    if (cap && cap.length > 1) throw new Error("--concurrency: with --request-rate it takes one value (the in-flight cap)");
    return { loads: parseList(rate, "request-rate", false).map((value) => ({ kind: "rate", value })), concurrencyCap: cap?.[0] };
  }
  return { loads: parseList(concurrency ?? closedLoopDefault, "concurrency", true).map((value) => ({ kind: "concurrency", value })) };
}
