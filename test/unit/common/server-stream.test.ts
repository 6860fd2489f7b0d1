// serveStream, the one way a server stream is served: backpressure, cancellation, errors.
import { expect } from "chai";
import { EventEmitter, getEventListeners } from "node:events";
import type { ServerWritableStream, StatusObject } from "@grpc/grpc-js";
import { Code, InternalError, InvalidArgumentError, OverloadedError } from "#common/errors.js";
import { ERROR_CLASS_KEY, ERROR_PARAM_KEY, GENERIC_INTERNAL_MESSAGE } from "#common/grpc-errors.js";
import { serveStream } from "#common/server-stream.js";
import type { StreamSink } from "#common/server-stream.js";

const quiet = { debug() {}, info() {}, warn() {}, error() {}, child() { return quiet; } } as never;

/** A server call whose transport takes writes while `accepting`. */
class FakeCall extends EventEmitter {
  readonly written: number[] = [];
  readonly statuses: Partial<StatusObject>[] = [];
  ends = 0;
  accepting = true;
  constructor() {
    super();
    this.on("error", (status: Partial<StatusObject>) => this.statuses.push(status));
  }
  write(message: number): boolean {
    this.written.push(message);
    return this.accepting;
  }
  end(): void {
    this.ends++;
  }
}

function serve(call: FakeCall, produce: (sink: StreamSink<number>) => Promise<void>): Promise<void> {
  return serveStream(call as unknown as ServerWritableStream<unknown, number>, quiet, produce);
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("serveStream", () => {
  it("ends the call once when the producer returns", async () => {
    const call = new FakeCall();
    await serve(call, async ({ write }) => {
      await write(1);
      await write(2);
    });
    expect(call.written).to.deep.equal([1, 2]);
    expect(call.ends).to.equal(1);
    expect(call.statuses).to.deep.equal([]);
  });

  it("leaves the signal alone once the call ended: grpc-js emits 'cancelled' after every status", async () => {
    const call = new FakeCall();
    let signal: AbortSignal | undefined;
    await serve(call, async (sink) => {
      signal = sink.signal;
      await sink.write(1);
    });
    call.emit("cancelled");
    expect(signal?.aborted).to.equal(false);
    expect(call.listenerCount("cancelled")).to.equal(0);
  });

  it("honours backpressure: a full buffer holds the producer until 'drain'", async () => {
    const call = new FakeCall();
    call.accepting = false;
    let resumed = false;
    const served = serve(call, async ({ write }) => {
      await write(1);
      resumed = true;
      await write(2);
    });
    await tick();
    await tick();
    expect(resumed, "waits while full").to.equal(false);
    expect(call.written).to.deep.equal([1]);
    call.accepting = true;
    call.emit("drain");
    await served;
    expect(resumed).to.equal(true);
    expect(call.written).to.deep.equal([1, 2]);
    expect(call.ends).to.equal(1);
  });

  it("a cancel aborts the producer's signal, frees a write waiting for 'drain', and sends nothing more", async () => {
    const call = new FakeCall();
    call.accepting = false;
    let aborted = false;
    const served = serve(call, async ({ signal, write }) => {
      signal.addEventListener("abort", () => (aborted = true));
      await write(1);
      await write(2); // dropped: the client is gone
      throw new InternalError("the upstream call failed because we cancelled it");
    });
    await tick();
    call.emit("cancelled");
    await served;
    expect(aborted).to.equal(true);
    expect(call.written).to.deep.equal([1]);
    expect(call.ends, "no end after a cancel").to.equal(0);
    expect(call.statuses, "no status after a cancel").to.deep.equal([]);
  });

  const errors: [string, unknown, number, string, string | undefined][] = [
    ["a caller's mistake keeps its code, message and param", new InvalidArgumentError("max_tokens must be ≥ 1", { param: "max_tokens" }), Code.INVALID_ARGUMENT, "max_tokens must be ≥ 1", "max_tokens"],
    ["overloaded", new OverloadedError("queue full", { retryAfterSeconds: 2 }), Code.RESOURCE_EXHAUSTED, "queue full", undefined],
    ["an InternalError says nothing of its cause", new InternalError("secret detail"), Code.INTERNAL, GENERIC_INTERNAL_MESSAGE, undefined],
    ["anything else is INTERNAL", new TypeError("x is undefined"), Code.INTERNAL, GENERIC_INTERNAL_MESSAGE, undefined],
  ];
  for (const [name, thrown, code, details, param] of errors) {
    it(`a producer's error becomes the status (${name})`, async () => {
      const call = new FakeCall();
      await serve(call, async ({ write }) => {
        await write(1);
        throw thrown;
      });
      expect(call.ends).to.equal(0);
      expect(call.statuses).to.have.length(1);
      const status = call.statuses[0];
      expect(status).to.include({ code, details });
      expect(status.metadata?.get(ERROR_PARAM_KEY)[0]).to.equal(param);
      expect(status.metadata?.get(ERROR_CLASS_KEY)).to.have.length(1);
    });
  }

  it("many backpressured writes on many concurrent calls leave no listeners behind (no MaxListenersExceededWarning)", async () => {
    // The preprocessor's old writer added an abort listener per full buffer and never removed it.
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on("warning", onWarning);
    try {
      const calls = Array.from({ length: 20 }, () => new FakeCall());
      const signals: AbortSignal[] = [];
      await Promise.all(calls.map((call) => {
        call.accepting = false;
        return serve(call, async ({ signal, write }) => {
          signals.push(signal);
          for (let i = 0; i < 50; i++) {
            const written = write(i);
            setImmediate(() => call.emit("drain"));
            await written;
            expect(getEventListeners(signal, "abort").length, "abort listeners while streaming").to.be.at.most(1);
          }
        });
      }));
      await tick();
      for (const call of calls) {
        expect(call.written).to.have.length(50);
        expect(call.listenerCount("drain")).to.equal(0);
        expect(call.listenerCount("close")).to.equal(0);
      }
      expect(warnings.map((w) => w.message)).to.deep.equal([]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
