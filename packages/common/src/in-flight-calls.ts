/**
 * Wraps a service implementation so every call is counted while it runs: a drain waits for
 * the count to reach zero, refuses new calls once draining, and can end the stragglers. A
 * handler that throws or returns a rejected promise ends its call with the mapped status.
 */
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { ServiceDefinition, StatusObject, UntypedServiceImplementation } from "@grpc/grpc-js";
import { InternalError, KvmeshError } from "./errors.js";
import { toGrpcStatus } from "./grpc-errors.js";
import type { Logger } from "./logger.js";

type AnyCall = NodeJS.EventEmitter & { emit(event: "error", status: Partial<StatusObject>): boolean };
type Callback = (error: Partial<StatusObject> | null, ...rest: unknown[]) => void;
type AnyHandler = (call: AnyCall, callback?: Callback) => unknown;

interface Entry {
  call: AnyCall;
  /** Ends the call with a status (unary: through its callback; streams: an error event). */
  fail(status: Partial<StatusObject>): void;
}

/** The set of service calls in progress on one server. */
export class InFlightCalls {
  private readonly entries = new Set<Entry>();
  private readonly controller = new AbortController();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly log: Logger) {}

  /** Calls in progress. */
  get size(): number {
    return this.entries.size;
  }

  /** Aborted once draining starts. */
  get draining(): AbortSignal {
    return this.controller.signal;
  }

  /** From now on new calls get UNAVAILABLE. */
  startDraining(): void {
    this.controller.abort();
  }

  /** Resolves true once no call is in progress, false after `timeoutMs`. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.entries.size === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(waiter);
    });
  }

  /** Ends every call in progress with `status`. */
  endAll(status: Partial<StatusObject>): void {
    for (const entry of [...this.entries]) entry.fail(status);
  }

  /** The implementation with every method wrapped (methods it lacks stay UNIMPLEMENTED). */
  wrapService(definition: ServiceDefinition, implementation: UntypedServiceImplementation): UntypedServiceImplementation {
    const wrapped: UntypedServiceImplementation = {};
    for (const [key, method] of Object.entries(definition)) {
      const handler = (implementation[key] ?? implementation[method.originalName ?? ""]) as AnyHandler | undefined;
      if (handler) wrapped[key] = this.wrap(method.path, method.responseStream, handler) as never;
    }
    return wrapped;
  }

  private wrap(path: string, responseStream: boolean, handler: AnyHandler): AnyHandler {
    return (call, callback) => {
      // Unary and client-streaming calls answer through the callback; the others through the stream.
      const fail = (status: Partial<StatusObject>): void => {
        if (!responseStream && callback) callback(status);
        else call.emit("error", status);
      };
      if (this.controller.signal.aborted) return fail({ code: GrpcStatus.UNAVAILABLE, details: "server shutting down" });
      const entry: Entry = { call, fail };
      this.entries.add(entry);
      let finished = false;
      const done = (): void => {
        if (finished) return;
        finished = true;
        this.entries.delete(entry);
        if (this.entries.size === 0) for (const waiter of this.idleWaiters.splice(0)) waiter();
      };
      call.once("cancelled", done);
      let tracked = callback;
      if (!responseStream && callback) {
        tracked = (...args) => {
          if (finished) return; // answered already (ended at grace, or the handler erred)
          done();
          callback(...args);
        };
        entry.fail = (status) => tracked!(status);
      } else {
        call.once("finish", done);
        call.once("close", done);
      }
      const onError = (err: unknown): void => {
        // A caller's mistake (bad input, unknown model, busy) is not this server's failure.
        const expected = err instanceof KvmeshError && !(err instanceof InternalError);
        if (expected) this.log.debug({ err: err.message, code: err.code, path }, "request refused");
        else this.log.error({ err, path }, "handler failed");
        if (!finished) entry.fail(toGrpcStatus(err));
      };
      try {
        const result = handler(call, tracked);
        if (result instanceof Promise) result.catch(onError);
      } catch (err) {
        onError(err);
      }
    };
  }
}
