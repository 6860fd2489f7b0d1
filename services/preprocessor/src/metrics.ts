/** The preprocessor's Prometheus metrics (bounded labels: finish reasons and status codes only). */
import { Counter } from "prom-client";
import type { Registry } from "prom-client";
import { FinishReason } from "#contracts/gen/kvmesh/v1/common.js";

/** What the service records. */
export interface PreprocessorMetrics {
  /** A stream ended normally (or the client left: reason undefined). */
  finished(reason: FinishReason | "cancelled" | undefined, byStopString: boolean): void;
  /** A request failed with this gRPC code. */
  failed(code: number): void;
}

const REASONS: Record<number, string> = {
  [FinishReason.FINISH_REASON_STOP]: "stop",
  [FinishReason.FINISH_REASON_LENGTH]: "length",
  [FinishReason.FINISH_REASON_CANCELLED]: "cancelled",
};

/** Registers the counters on `registry`. */
export function createPreprocessorMetrics(registry: Registry): PreprocessorMetrics {
  const requests = new Counter({
    name: "kvmesh_preprocessor_requests_total",
    help: "Generate requests by outcome (finish reason, or the gRPC status code of a failure)",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const stopStrings = new Counter({
    name: "kvmesh_preprocessor_stop_string_cancels_total",
    help: "Streams ended by a stop string (the router call was cancelled)",
    registers: [registry],
  });
  return {
    finished: (reason, byStopString) => {
      requests.inc({ outcome: reason === "cancelled" ? "cancelled" : (REASONS[reason ?? 0] ?? "unspecified") });
      if (byStopString) stopStrings.inc();
    },
    failed: (code) => requests.inc({ outcome: `error_${code}` }),
  };
}
