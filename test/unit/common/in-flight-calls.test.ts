import { expect } from "chai";
import { EventEmitter } from "node:events";
import { Writable } from "node:stream";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { StatusObject } from "@grpc/grpc-js";
import { InvalidArgumentError } from "#common/errors.js";
import { ERROR_PARAM_KEY } from "#common/grpc-errors.js";
import { InFlightCalls } from "#common/in-flight-calls.js";
import { wrapped as wrapHandler } from "../../support/in-flight-wrap.js";
import type { Callback, Handler } from "../../support/in-flight-wrap.js";
import { createLogger } from "#common/logger.js";

const silentLog = createLogger({ service: "test", level: "silent", destination: new Writable({ write: (_c, _e, cb) => cb() }) });

/** What grpc-js hands a handler: an emitter with the decoded request. */
class FakeCall extends EventEmitter {
  constructor(readonly request: unknown) {
    super();
  }
}

const wrapped = (calls: InFlightCalls, handler: Handler<FakeCall>, responseStream = false): Handler<FakeCall> => wrapHandler(calls, handler, responseStream);

/** The promotion probe (test/support/promotion-probe.ts), run in a process of its own. */
async function promotedPerCall(): Promise<{ bytesPerCall: number; scavenges: number }> {
  const probe = fileURLToPath(new URL("../../support/promotion-probe.js", import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [probe], { timeout: 60_000 });
  return JSON.parse(stdout) as { bytesPerCall: number; scavenges: number };
}

describe("InFlightCalls", () => {
  it("counts a unary call until it is answered, answers once, and wakes the drain when the last ends", async () => {
    const calls = new InFlightCalls(silentLog);
    const answers: unknown[] = [];
    let answer!: Callback;
    const call = wrapped(calls, (_call, callback) => void (answer = callback!));
    call(new FakeCall({}), (err, value) => answers.push(err ?? value));
    expect(calls.size).to.equal(1);
    const idle = calls.waitIdle(5000);
    answer(null, "first");
    answer(null, "second");
    expect(await idle).to.equal(true);
    expect(calls.size).to.equal(0);
    expect(answers).to.deep.equal(["first"]);
  });

  it("a stream counts until finish, close or cancelled, whichever comes first", () => {
    const calls = new InFlightCalls(silentLog);
    const call = wrapped(calls, () => undefined, true);
    for (const event of ["finish", "close", "cancelled"]) {
      const fake = new FakeCall({});
      call(fake);
      expect(calls.size, event).to.equal(1);
      fake.emit(event);
      fake.emit("close");
      expect(calls.size, event).to.equal(0);
    }
  });

  it("a handler's thrown error or rejected promise ends the call with its mapped status (param kept)", async () => {
    const calls = new InFlightCalls(silentLog);
    const statuses: (Partial<StatusObject> | null)[] = [];
    const thrower = wrapped(calls, () => {
      throw new InvalidArgumentError("bad", { param: "token_ids" });
    });
    thrower(new FakeCall({}), (err) => statuses.push(err));
    const rejecter = wrapped(calls, () => Promise.reject(new Error("boom")));
    rejecter(new FakeCall({}), (err) => statuses.push(err));
    await new Promise((resolve) => setImmediate(resolve));
    expect(statuses.map((s) => s?.code)).to.deep.equal([GrpcStatus.INVALID_ARGUMENT, GrpcStatus.INTERNAL]);
    expect(statuses[0]?.details).to.contain("bad");
    expect(statuses[0]?.metadata?.get(ERROR_PARAM_KEY)).to.deep.equal(["token_ids"]);
    expect(calls.size).to.equal(0);
  });

  it("endAll ends a unary call through its callback and a stream by an error event; a late answer is dropped", () => {
    const calls = new InFlightCalls(silentLog);
    const unaryAnswers: (Partial<StatusObject> | null)[] = [];
    let late!: Callback;
    wrapped(calls, (_call, callback) => void (late = callback!))(new FakeCall({}), (err) => unaryAnswers.push(err));
    const stream = new FakeCall({});
    const streamErrors: Partial<StatusObject>[] = [];
    stream.on("error", (status: Partial<StatusObject>) => streamErrors.push(status));
    wrapped(calls, () => undefined, true)(stream);
    expect(calls.size).to.equal(2);
    calls.endAll({ code: GrpcStatus.UNAVAILABLE, details: "server shutting down" });
    late(null, "too late");
    expect(unaryAnswers.map((s) => s?.code)).to.deep.equal([GrpcStatus.UNAVAILABLE]);
    expect(streamErrors.map((s) => s.code)).to.deep.equal([GrpcStatus.UNAVAILABLE]);
    stream.emit("close");
    expect(calls.size).to.equal(0);
  });

  it("once draining, a new call is refused with UNAVAILABLE and never reaches the handler", () => {
    const calls = new InFlightCalls(silentLog);
    let reached = 0;
    const call = wrapped(calls, () => void reached++);
    calls.startDraining();
    const statuses: (Partial<StatusObject> | null)[] = [];
    call(new FakeCall({}), (err) => statuses.push(err));
    expect(statuses.map((s) => s?.code)).to.deep.equal([GrpcStatus.UNAVAILABLE]);
    expect(reached).to.equal(0);
    expect(calls.size).to.equal(0);
  });

  // The regression behind Router.Route's gRPC p99 (bench:router): the wrapper assigned an arrow
  // to a property per call, which V8 allocates in old space; it held the call's scope, so every
  // finished call's request (a 4,096-token prompt, 32 KiB of array) survived the young
  // generation and was promoted, and scavenges took tens of ms. One call at a time, each
  // answered on a later turn as grpc-js does: a finished call must leave nothing to promote.
  it("a finished call's request is not promoted to the old generation (one call at a time, 3,000 calls, a process of its own)", async function () {
    this.timeout(60_000);
    const { bytesPerCall, scavenges } = await promotedPerCall();
    expect(scavenges, "the run must span several young collections to mean anything").to.be.greaterThan(3);
    // Before the fix: ~11.7 KB per call (a third of the 32 KiB requests promoted); after: ~0.3 KB.
    expect(bytesPerCall, `${scavenges} scavenges`).to.be.lessThan((4096 * 8) / 8);
  });
});
