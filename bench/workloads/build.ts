/** One place that turns the bench knobs into a workload, so `bench`, `ceiling` and `compare` agree. */
import { multiTurnWorkload } from "./multi-turn.js";
import { sharedPrefixWorkload } from "./shared-prefix.js";
import type { TraceRecord } from "./trace-parser.js";
import { traceWorkload } from "./trace.js";
import { tokenRange } from "./types.js";
import type { Workload } from "./types.js";

/** The workload kinds. */
export const WORKLOAD_KINDS = ["shared-prefix", "multi-turn", "trace"] as const;

/** Every knob of every workload (each kind reads its own). */
export interface WorkloadConfig {
  readonly workload: (typeof WORKLOAD_KINDS)[number];
  readonly numRequests: number;
  readonly prefixGroups: number;
  readonly prefixRatio: number;
  readonly inputLen: number;
  readonly inputLenStd: number;
  readonly outputLen: number;
  readonly outputLenStd: number;
  readonly sessions: number;
  readonly turns: number;
  readonly thinkTimeMs: number;
  readonly timeScale: number;
  readonly traceBlockSize: number;
  readonly maxOutputLen?: number;
  readonly vocabSize: number;
  /** The model's context; prompts are kept within it. */
  readonly maxModelLen?: number;
  /** The parsed trace (workload `trace`). */
  readonly traceRecords?: readonly TraceRecord[];
}

/** The workload for `config` drawn with `seed`. */
export function buildWorkload(config: WorkloadConfig, seed: number): Workload {
  const tokens = tokenRange(config.vocabSize);
  const outputLen = config.maxOutputLen === undefined ? config.outputLen : Math.min(config.outputLen, config.maxOutputLen);
  switch (config.workload) {
    case "shared-prefix":
      return sharedPrefixWorkload({ ...config, outputLen, seed, tokens });
    case "multi-turn":
      return multiTurnWorkload({ ...config, outputLen, seed, tokens, maxPromptLen: config.maxModelLen === undefined ? undefined : config.maxModelLen - outputLen });
    case "trace":
      if (!config.traceRecords) throw new Error("the trace workload needs --trace FILE");
      return traceWorkload({
        records: config.traceRecords, timeScale: config.timeScale, blockSize: config.traceBlockSize,
        maxModelLen: config.maxModelLen, maxOutputLen: config.maxOutputLen, seed, tokens,
      });
  }
}
