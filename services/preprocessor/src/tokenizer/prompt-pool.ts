/**
 * The prompt pool: a few worker threads (piscina) that tokenize and render large prompts, so a
 * big request costs its own latency and not everyone's — the event loop stays free to serve
 * small requests, streams and health checks. Concurrency is bounded by the thread count and the
 * queue by `maxQueue`; a full queue answers OverloadedError (503 `overloaded`).
 */
import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import { CancelledError, OverloadedError } from "#common/errors.js";
import type { PromptModelData } from "../prompt-assets.js";
import type { PromptInput, PromptTokens } from "../request/prompt-tokens.js";
import { fromTaskResult } from "./prompt-task.js";
import type { PooledModel, PromptTask, PromptTaskResult } from "./prompt-task.js";

export type { PooledModel } from "./prompt-task.js";

/** Options of {@link PromptPool}. */
export interface PromptPoolOptions {
  /** Worker threads (default min(2, cores): the event loop keeps a core where there are two). */
  threads?: number;
  /** Tasks that may wait for a thread before new ones are refused (default 16). */
  maxQueue?: number;
}

/** piscina's message when its queue is full (it exports no error class). */
const QUEUE_FULL = "Task queue is at limit";
const WORKER_FILE = new URL("./prompt-worker.js", import.meta.url).href;

/**
 * Node 20.19+ lets require() load ES modules, and piscina's worker tries require() before
 * import(). CI aborted once inside it: "FATAL ERROR: v8::Module::IsGraphAsync must be used on an
 * instantiated module", from ModuleWrap::InstantiateSync under piscina's worker.js, which takes
 * the whole process down. With require(esm) off in the pool's threads, require() throws
 * ERR_REQUIRE_ESM and piscina loads the task with import(), as on every Node before 20.19.
 * Node 20 versions without the feature have no flag either, and get nothing.
 */
export const POOL_EXEC_ARGV: readonly string[] = process.allowedNodeEnvironmentFlags.has("--no-experimental-require-module") ? ["--no-experimental-require-module"] : [];

/** The pool's piscina options (execArgv only when set: an explicit one replaces the inherited flags). */
export function poolOptions(threads: number, maxQueue: number): ConstructorParameters<typeof Piscina>[0] {
  return {
    filename: WORKER_FILE, minThreads: threads, maxThreads: threads, maxQueue, idleTimeout: 60_000,
    ...(POOL_EXEC_ARGV.length > 0 ? { execArgv: [...POOL_EXEC_ARGV] } : {}),
  };
}

let nextKey = 0;

/** Worker threads that encode prompts; started on first use. */
export class PromptPool {
  readonly threads: number;
  readonly maxQueue: number;
  private piscina: Piscina<PromptTask, PromptTaskResult> | undefined;
  private closed = false;

  constructor(options: PromptPoolOptions = {}) {
    this.threads = Math.max(1, options.threads ?? Math.min(2, availableParallelism()));
    this.maxQueue = Math.max(0, options.maxQueue ?? 16);
  }

  /** A handle for `data`, unique per call (a new card version gets a new key). */
  register(data: PromptModelData): PooledModel {
    const bytes = Buffer.from(JSON.stringify(data), "utf8");
    const shared = new SharedArrayBuffer(bytes.length);
    new Uint8Array(shared).set(bytes);
    return { key: `${data.name}#${++nextKey}`, data: shared };
  }

  /** Encodes `prompt` on a worker thread; the same result (or typed error) as `promptTokens`. */
  async encode(model: PooledModel, prompt: PromptInput, signal?: AbortSignal, addSpecialTokens?: boolean): Promise<PromptTokens> {
    if (this.closed) throw new CancelledError("the preprocessor is shutting down");
    let result: PromptTaskResult;
    try {
      result = await this.start().run({ model, prompt, addSpecialTokens }, { name: "encodePromptTask", signal });
    } catch (err) {
      if (signal?.aborted) throw new CancelledError("the client went away while its prompt was being encoded", { cause: err });
      // destroy() terminates threads mid-task once the shutdown grace is over.
      if (this.closed) throw new CancelledError("the preprocessor is shutting down", { cause: err });
      if (err instanceof Error && err.message === QUEUE_FULL) {
        throw new OverloadedError(`the preprocessor is encoding ${this.threads} large prompts and has ${this.maxQueue} waiting: retry later`);
      }
      throw err;
    }
    return fromTaskResult(result);
  }

  /** Stops the threads (tasks still running are abandoned). */
  async destroy(): Promise<void> {
    this.closed = true;
    const piscina = this.piscina;
    this.piscina = undefined;
    await piscina?.destroy();
  }

  private start(): Piscina<PromptTask, PromptTaskResult> {
    // Threads stay up once started, so each keeps its tokenizers warm.
    this.piscina ??= new Piscina<PromptTask, PromptTaskResult>(poolOptions(this.threads, this.maxQueue));
    return this.piscina;
  }
}
