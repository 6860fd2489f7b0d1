/**
 * Waiting for a writable (a gRPC server stream, an HTTP response) to take more: when write()
 * returned false the transport buffer is full, and writing on regardless grows the process's
 * memory by whatever a slow reader leaves unread.
 */
import type { EventEmitter } from "node:events";

/**
 * Resolves on the target's next 'drain', or at once when `signal` is (or becomes) aborted or
 * the target closes: a reader that went away never drains.
 */
export function whenDrained(target: EventEmitter, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      target.off("drain", done);
      target.off("close", done);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    target.once("drain", done);
    target.once("close", done);
    signal?.addEventListener("abort", done, { once: true });
  });
}
