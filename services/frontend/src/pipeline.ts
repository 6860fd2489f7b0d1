/**
 * The frontend's one way down the mesh: a PreprocessRequest to a preprocessor replica
 * (round-robin, another replica on UNAVAILABLE before the first message), with the request id
 * in metadata, the request deadline, and cancellation when the client goes away.
 */
import type { Discovery } from "#common/discovery/index.js";
import { TimeoutError } from "#common/errors.js";
import { ReplicaPool } from "#common/replica-pool.js";
import { withRequestId } from "#common/request-id.js";
import { streamWithRetry } from "#common/stream-with-retry.js";
import { PreprocessorClient } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import type {
  DetokenizeRequest, DetokenizeResponse, PreprocessRequest, PreprocessResponse, TokenizeRequest, TokenizeResponse,
} from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { coalescePreprocess } from "./coalesce-preprocess.js";
import { unaryWithRetry } from "./unary-call.js";

/** Runs requests through the preprocessors. */
export class Pipeline {
  readonly preprocessors: ReplicaPool<PreprocessorClient>;

  constructor(discovery: Discovery, private readonly requestTimeoutMs: number) {
    this.preprocessors = new ReplicaPool(discovery, "preprocessor", PreprocessorClient);
  }

  /**
   * The response stream of `request`. Aborting `signal` cancels it down to the worker; past the
   * request timeout it fails with TimeoutError (DEADLINE_EXCEEDED, 504).
   */
  async *run(request: PreprocessRequest, signal: AbortSignal): AsyncGenerator<PreprocessResponse> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.requestTimeoutMs);
    try {
      const stream = streamWithRetry({
        pool: this.preprocessors,
        open: ({ client }) => client.generate(request, withRequestId(request.requestId)),
        signal: controller.signal,
        noneLeft: "no preprocessor is available",
        isLast: (m) => m.finishReason !== undefined,
        coalesce: coalescePreprocess,
      });
      for await (const message of stream) {
        if (controller.signal.aborted) break;
        yield message;
      }
    } catch (err) {
      // A timeout cancels the call, which then fails as CANCELLED: the timeout is the cause.
      if (!timedOut) throw err;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    }
    if (timedOut) throw new TimeoutError(`request timed out after ${this.requestTimeoutMs} ms`);
  }

  /** Tokenizes (rendering chat messages) on a preprocessor replica, within the request timeout. */
  tokenize(request: TokenizeRequest, requestId: string): Promise<TokenizeResponse> {
    return unaryWithRetry(this.preprocessors, (client, done) => client.tokenize(request, withRequestId(requestId), { deadline: this.deadline() }, done), "no preprocessor is available");
  }

  /** Decodes token ids on a preprocessor replica, within the request timeout. */
  detokenize(request: DetokenizeRequest, requestId: string): Promise<DetokenizeResponse> {
    return unaryWithRetry(this.preprocessors, (client, done) => client.detokenize(request, withRequestId(requestId), { deadline: this.deadline() }, done), "no preprocessor is available");
  }

  private deadline(): Date {
    return new Date(Date.now() + this.requestTimeoutMs);
  }

  /** Stops following discovery and closes the clients. */
  close(): void {
    this.preprocessors.close();
  }
}
