/**
 * Online calibration of the ttft policy: per worker, a factor that scales the model's
 * prediction toward observed first-token times — the moving average of observed times over the
 * moving average of predicted ones (a ratio of sums, so a long prefill weighs as much as its
 * milliseconds; an average of per-request ratios let the many short requests, whose ratios
 * scatter widely, jitter the factor and with it every choice among equal workers) — and the mean
 * absolute percentage error of the predictions, as a metric.
 */

/** Weight of the newest observation in the factor's moving averages. */
export const CALIBRATION_ALPHA = 0.05;
/** The factor stays within [1/4, 4]: one wild observation must not wreck routing. */
export const FACTOR_LIMITS = [0.25, 4] as const;

interface WorkerCalibration {
  factor: number;
  /** Moving averages of observed and of predicted (unscaled) TTFT, ms. */
  observedMs: number;
  modelMs: number;
  absPctErrorSum: number;
  observations: number;
}

/** A prediction waiting for its first token. */
interface Pending {
  readonly workerId: string;
  /** Unscaled model prediction, ms. */
  readonly modelMs: number;
  /** What was predicted (scaled), ms. */
  readonly predictedMs: number;
  readonly sentAtMs: number;
}

/** Per-worker factors and errors, fed by sends and first tokens. */
export class TtftCalibration {
  private readonly workers = new Map<string, WorkerCalibration>();
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly now: () => number) {}

  /** The factor of a worker (1 until it has observations). */
  factor(workerId: string): number {
    return this.workers.get(workerId)?.factor ?? 1;
  }

  /** A request was sent to `workerId` with this unscaled model prediction. */
  sent(requestId: string, workerId: string, modelMs: number): void {
    this.pending.set(requestId, { workerId, modelMs, predictedMs: modelMs * this.factor(workerId), sentAtMs: this.now() });
  }

  /** Its first token came back: update the worker's factor and error. */
  firstToken(requestId: string): void {
    const p = this.pending.get(requestId);
    if (p === undefined) return;
    this.pending.delete(requestId);
    const observedMs = this.now() - p.sentAtMs;
    let w = this.workers.get(p.workerId);
    // Both averages start at the first prediction: the model counts as one right observation.
    if (w === undefined) this.workers.set(p.workerId, (w = { factor: 1, observedMs: p.modelMs, modelMs: p.modelMs, absPctErrorSum: 0, observations: 0 }));
    if (observedMs > 0) {
      w.absPctErrorSum += Math.abs(p.predictedMs - observedMs) / observedMs;
      w.observations++;
    }
    if (p.modelMs > 0 && observedMs > 0) {
      w.observedMs = (1 - CALIBRATION_ALPHA) * w.observedMs + CALIBRATION_ALPHA * observedMs;
      w.modelMs = (1 - CALIBRATION_ALPHA) * w.modelMs + CALIBRATION_ALPHA * p.modelMs;
      w.factor = Math.min(FACTOR_LIMITS[1], Math.max(FACTOR_LIMITS[0], w.observedMs / w.modelMs));
    }
  }

  /** The request ended without a first token: forget its prediction. */
  forget(requestId: string): void {
    this.pending.delete(requestId);
  }

  /** Mean absolute percentage error of a worker's predictions (0..∞), undefined before any. */
  mape(workerId: string): number | undefined {
    const w = this.workers.get(workerId);
    return w === undefined || w.observations === 0 ? undefined : w.absPctErrorSum / w.observations;
  }
}
