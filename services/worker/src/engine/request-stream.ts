/** An AsyncIterable view of one request's outputs, on top of EngineCore's sink callbacks. */
import type { EngineCore } from "./engine-core.js";
import type { EngineOutput, EngineRequestParams } from "./engine-types.js";

/**
 * Admits the request (throwing synchronously as addRequest does) and returns its outputs as an
 * async iterable that ends after the output with a finish reason. Outputs are buffered, never
 * dropped (the engine never waits for a slow consumer). Aborting `signal`, or leaving the loop
 * early (`break`), cancels the request and frees its blocks at once.
 */
export function streamRequest(engine: EngineCore, params: EngineRequestParams, signal?: AbortSignal): AsyncIterableIterator<EngineOutput> {
  const buffered: EngineOutput[] = [];
  let failure: Error | undefined;
  let done = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  engine.addRequest(params, {
    onOutput(output) {
      buffered.push(output);
      if (output.finishReason !== undefined) done = true;
      notify();
    },
    onError(error) {
      failure = error;
      done = true;
      notify();
    },
  });
  const cancel = (): void => {
    if (!done) engine.abort(params.requestId);
  };
  signal?.addEventListener("abort", cancel, { once: true });
  if (signal?.aborted) cancel();
  const iterator: AsyncIterableIterator<EngineOutput> = {
    async next(): Promise<IteratorResult<EngineOutput>> {
      while (buffered.length === 0 && !done) await new Promise<void>((resolve) => (wake = resolve));
      if (buffered.length > 0) return { value: buffered.shift() as EngineOutput, done: false };
      signal?.removeEventListener("abort", cancel);
      if (failure !== undefined) throw failure;
      return { value: undefined, done: true };
    },
    async return(): Promise<IteratorResult<EngineOutput>> {
      cancel();
      done = true;
      buffered.length = 0;
      signal?.removeEventListener("abort", cancel);
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
