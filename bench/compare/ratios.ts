/** The compare's ratios: KV routing against each baseline policy at every load both ran. */
import { loadText } from "../report/types.js";
import type { ComparisonRow, RunResult } from "../report/types.js";

/** One row per (load, baseline) where both `kv` and the baseline have a run. */
export function compareRuns(runs: readonly RunResult[], kvLabel = "kv"): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  for (const kv of runs.filter((r) => r.label === kvLabel)) {
    for (const base of runs.filter((r) => r.label !== kvLabel && loadText(r.load) === loadText(kv.load))) {
      const k = kv.stats;
      const b = base.stats;
      rows.push({
        load: kv.load,
        baseline: base.label,
        ttftP50Gain: b.ttftMs.p50 / k.ttftMs.p50,
        ttftP90Gain: b.ttftMs.p90 / k.ttftMs.p90,
        throughputRatio: k.outputTokensPerS / b.outputTokensPerS,
      });
    }
  }
  return rows;
}
