/** The frontend's Prometheus metrics: requests by status, TTFT, ITL, duration, in flight. */
import { Counter, Gauge, Histogram } from "prom-client";
import type { Registry } from "prom-client";

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const ITL_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** The frontend's metrics. */
export class FrontendMetrics {
  readonly requests: Counter<"endpoint" | "model" | "status">;
  readonly ttft: Histogram<"model">;
  readonly itl: Histogram<"model">;
  readonly duration: Histogram<"endpoint" | "model">;
  readonly inFlight: Gauge<"endpoint">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({ name: "kvmesh_frontend_requests_total", help: "requests by endpoint, model and HTTP status", labelNames: ["endpoint", "model", "status"], registers });
    this.ttft = new Histogram({ name: "kvmesh_frontend_time_to_first_token_seconds", help: "time to the first token", labelNames: ["model"], buckets: LATENCY_BUCKETS, registers });
    this.itl = new Histogram({ name: "kvmesh_frontend_inter_token_latency_seconds", help: "mean time between output tokens of a request", labelNames: ["model"], buckets: ITL_BUCKETS, registers });
    this.duration = new Histogram({ name: "kvmesh_frontend_request_duration_seconds", help: "whole request time", labelNames: ["endpoint", "model"], buckets: LATENCY_BUCKETS, registers });
    this.inFlight = new Gauge({ name: "kvmesh_frontend_inflight_requests", help: "requests in progress", labelNames: ["endpoint"], registers });
  }
}

/** The label of a request for a model no worker serves: the label set stays bounded whatever clients send. */
export const UNKNOWN_MODEL_LABEL = "unknown";

/**
 * The `model` label of a request: the model's name while a worker serves it, else "unknown".
 * Served names come from discovery, not from clients; control characters are replaced anyway
 * so the exposition text never carries a raw NUL or newline.
 */
export function modelLabel(model: string, isServed: (id: string) => boolean): string {
  return isServed(model) ? model.replace(/[\u0000-\u001f\u007f]/g, "_") : UNKNOWN_MODEL_LABEL;
}

/** Times one request: TTFT at the first token, ITL over the rest, duration at the end. */
export class RequestTimer {
  private readonly start = performance.now();
  private firstTokenAt: number | undefined;
  private lastTokenAt: number | undefined;
  private tokens = 0;

  constructor(private readonly metrics: FrontendMetrics, private readonly endpoint: string, private readonly model: string) {
    metrics.inFlight.inc({ endpoint });
  }

  /** `count` new tokens arrived. */
  tokensArrived(count: number): void {
    if (count === 0) return;
    const now = performance.now();
    if (this.firstTokenAt === undefined) {
      this.firstTokenAt = now;
      this.metrics.ttft.observe({ model: this.model }, (now - this.start) / 1000);
    }
    this.lastTokenAt = now;
    this.tokens += count;
  }

  /** The request ended with HTTP `status` (499 when the client went away). */
  finish(status: number): void {
    const { metrics, endpoint, model } = this;
    metrics.inFlight.dec({ endpoint });
    metrics.requests.inc({ endpoint, model, status: String(status) });
    metrics.duration.observe({ endpoint, model }, (performance.now() - this.start) / 1000);
    if (this.firstTokenAt !== undefined && this.lastTokenAt !== undefined && this.tokens > 1) {
      metrics.itl.observe({ model }, (this.lastTokenAt - this.firstTokenAt) / 1000 / (this.tokens - 1));
    }
  }
}
