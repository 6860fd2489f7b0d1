// Shared fakes of the router unit tests: a registry with ready workers, a decider over it,
// and scripted worker streams.
import { Metadata } from "@grpc/grpc-js";
import { Code } from "#common/errors.js";
import type { GenerateRequest, GenerateResponse } from "#contracts/gen/kvmesh/v1/common.js";
import { Decider } from "../../../services/router/src/decider.js";
import type { RouterMode } from "../../../services/router/src/decider.js";
import type { WorkerStream } from "../../../services/router/src/forwarder.js";
import { KvIndexer } from "../../../services/router/src/indexer/kv-indexer.js";
import { createSelector } from "../../../services/router/src/scheduling/selector.js";
import { ActiveSequences } from "../../../services/router/src/sequences/active-sequences.js";
import { WorkerRegistry } from "../../../services/router/src/workers/worker-registry.js";

/** Registry with `workers` of model "m" (block size 4 unless given), cards received. */
export function readyRegistry(workers: readonly (string | [string, number])[]): WorkerRegistry {
  const registry = new WorkerRegistry();
  for (const w of workers) {
    const [workerId, blockSize] = typeof w === "string" ? [w, 4] : w;
    registry.discovered({ workerId, model: "m", address: `${workerId}:1` });
    registry.cardReceived(workerId, blockSize);
  }
  return registry;
}

/** A decider over `registry` and one exact index; returns the parts for inspection. */
export function deciderFor(registry: WorkerRegistry, mode: RouterMode = "kv", busyThreshold?: number) {
  const index = new KvIndexer();
  const sequences = new ActiveSequences(() => 0);
  const decider = new Decider({
    mode, registry, indexFor: () => index, sequences, selector: createSelector(mode === "direct" ? "kv" : mode), overlapWeight: 1, busyThreshold,
  });
  return { decider, index, sequences };
}

/** A gRPC-like failure (a grpc-js ServiceError without trailers). */
export function grpcError(code: number, details = "boom"): Error & { code: number } {
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}

/** One scripted step of a fake worker stream. */
export type Step = GenerateResponse | { fail: number; details?: string } | "hang";

/** A response carrying `tokens` (index as the worker would number it; the forwarder re-stamps). */
export function tokens(ids: number[], finish?: number): GenerateResponse {
  return { tokenIds: ids, index: 0, logprobs: [], finishReason: finish, usage: finish === undefined ? undefined : { promptTokens: 0, completionTokens: 0, cachedTokens: 0 }, workerId: "", migrations: 0 };
}

/** A worker stream replaying `steps`; "hang" waits until cancelled, then fails CANCELLED. */
export function scriptedStream(steps: readonly Step[], onCancel: () => void = () => {}): WorkerStream {
  let cancelled: (() => void) | undefined;
  let isCancelled = false;
  return {
    cancel: () => {
      isCancelled = true;
      onCancel();
      cancelled?.();
    },
    async *[Symbol.asyncIterator]() {
      for (const step of steps) {
        await Promise.resolve();
        if (isCancelled) throw grpcError(Code.CANCELLED, "cancelled");
        if (step === "hang") {
          await new Promise<void>((resolve) => (cancelled = resolve));
          throw grpcError(Code.CANCELLED, "cancelled");
        }
        if ("fail" in step) throw grpcError(step.fail, step.details);
        yield step;
      }
    },
  };
}

/** Records what each opened stream was asked. */
export interface Opened {
  workerId: string;
  request: GenerateRequest;
}
