import { expect } from "chai";
import { EventEmitter } from "node:events";
import { PassThrough, Writable } from "node:stream";
import { createLogger } from "#common/logger.js";
import { onShutdownSignal } from "#common/shutdown.js";

const silentLog = createLogger({ service: "test", level: "silent", destination: new Writable({ write: (_c, _e, cb) => cb() }) });

/** A fake process to signal, and the exit codes it was asked for. */
function harness() {
  const proc = new EventEmitter();
  const exits: number[] = [];
  let onExit!: () => void;
  const exited = new Promise<void>((resolve) => (onExit = resolve));
  const exit = (code: number): void => {
    exits.push(code);
    onExit();
  };
  return { proc, exits, exited, options: { process: proc as unknown as NodeJS.Process, exit } };
}

describe("shutdown", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`runs the steps in order with the grace period on ${signal}, once, then exits 0`, async () => {
      const { proc, exits, exited, options } = harness();
      const order: string[] = [];
      const steps = ["deregister", "drain", "close-nats"].map((name) => async (graceMs: number) => void order.push(`${name}:${graceMs}`));
      onShutdownSignal(silentLog, 1234, steps, options);
      proc.emit(signal);
      await exited;
      expect(order).to.deep.equal(["deregister:1234", "drain:1234", "close-nats:1234"]);
      expect(exits).to.deep.equal([0]);
    });
  }

  it("a second signal while shutting down forces exit 1", async () => {
    const { proc, exits, exited, options } = harness();
    onShutdownSignal(silentLog, 10, [() => new Promise<void>(() => undefined)], options);
    proc.emit("SIGTERM");
    proc.emit("SIGINT");
    await exited;
    expect(exits).to.deep.equal([1]);
  });

  it("shuts down gracefully when the parent's pipe closes, and ignores it once a shutdown runs", async () => {
    const { exits, exited, options } = harness();
    const parentPipe = new PassThrough();
    const order: string[] = [];
    onShutdownSignal(silentLog, 10, [() => void order.push("deregister")], { ...options, parentPipe });
    parentPipe.end();
    await exited;
    expect(order).to.deep.equal(["deregister"]);
    expect(exits).to.deep.equal([0]);

    const second = harness();
    const pipe2 = new PassThrough();
    let release!: () => void;
    onShutdownSignal(silentLog, 10, [() => new Promise<void>((r) => (release = r))], { ...second.options, parentPipe: pipe2 });
    second.proc.emit("SIGTERM");
    pipe2.end();
    await new Promise((r) => setImmediate(r));
    release();
    await second.exited;
    expect(second.exits, "the pipe closing mid-shutdown is not a second signal").to.deep.equal([0]);
  });

  it("keeps going after a failed step and exits 1", async () => {
    const { proc, exits, exited, options } = harness();
    const ran: string[] = [];
    onShutdownSignal(silentLog, 10, [() => Promise.reject(new Error("consul down")), () => void ran.push("close-nats")], options);
    proc.emit("SIGTERM");
    await exited;
    expect(ran).to.deep.equal(["close-nats"]);
    expect(exits).to.deep.equal([1]);
  });
});
