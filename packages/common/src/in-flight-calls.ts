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

/**
 * One call in progress. Its state lives in fields and its steps are methods, not closures over
 * the wrapper's scope. V8 allocates a function literal assigned to a property
 * (`entry.fail = (status) => ...`, also `obj["x"] = ...`, `this.x = ...`) straight in the OLD
 * generation, guessing it is a long-lived method. The wrapper did that on every call, so an
 * old-space closure pointed at the call's scope (call, request, callback): every finished
 * call's request survived the next scavenge and was promoted, ~51 KiB per 4,096-token
 * Router.Route, and scavenges copied megabytes and took 6-128 ms (the Route p99). Closures here
 * are stored only through variables or listener lists (young, as they should be), and a
 * finished entry lets go of its call and callback.
 */
class TrackedCall {
  finished = false;

  constructor(
    public call: AnyCall | undefined,
    private callback: Callback | undefined,
    private readonly unary: boolean,
    private readonly release: (entry: TrackedCall) => void,
  ) {}

  /** The call ended (answered, cancelled, finished or closed): no longer in flight. */
  done(): void {
    if (this.finished) return;
    this.finished = true;
    this.call = undefined;
    this.release(this);
  }

  /** The unary answer (once; later ones are dropped: ended at grace, or the handler erred). */
  answer(args: Parameters<Callback>): void {
    const callback = this.callback;
    if (this.finished || callback === undefined) return;
    this.callback = undefined;
    this.done();
    callback(...args);
  }

  /** Ends the call with a status (unary: through its callback; streams: an error event). */
  fail(status: Partial<StatusObject>): void {
    if (this.unary) this.answer([status]);
    else this.call?.emit("error", status);
  }
}

/** The set of service calls in progress on one server. */
export class InFlightCalls {
  private readonly entries = new Set<TrackedCall>();
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
      const entry = new TrackedCall(call, callback, !responseStream && callback !== undefined, this.release);
      if (this.controller.signal.aborted) return entry.fail({ code: GrpcStatus.UNAVAILABLE, details: "server shutting down" });
      this.entries.add(entry);
      const done = (): void => entry.done();
      call.once("cancelled", done);
      if (callback === undefined || responseStream) {
        call.once("finish", done);
        call.once("close", done);
      }
      const answer: Callback | undefined = callback === undefined || responseStream ? callback : (...args) => entry.answer(args);
      try {
        const result = handler(call, answer);
        if (result instanceof Promise) result.catch((err: unknown) => this.failed(entry, path, err));
      } catch (err) {
        this.failed(entry, path, err);
      }
    };
  }

  /** A finished call leaves the set; the last one wakes the drain's waiters. */
  private readonly release = (entry: TrackedCall): void => {
    this.entries.delete(entry);
    if (this.entries.size === 0 && this.idleWaiters.length > 0) for (const waiter of this.idleWaiters.splice(0)) waiter();
  };

  /** The handler threw or its promise rejected: log it and end the call if it is still open. */
  private failed(entry: TrackedCall, path: string, err: unknown): void {
    // A caller's mistake (bad input, unknown model, busy) is not this server's failure.
    const expected = err instanceof KvmeshError && !(err instanceof InternalError);
    if (expected) this.log.debug({ err: err.message, code: err.code, path }, "request refused");
    else this.log.error({ err, path }, "handler failed");
    if (!entry.finished) entry.fail(toGrpcStatus(err));
  }
}
