// streamWithRetry over a scripted pool: which failures before the first message move on
// (UNAVAILABLE: another replica; a broken connection: a fresh one), which pass through.
import { expect } from "chai";
import { Readable } from "node:stream";
import { Metadata } from "@grpc/grpc-js";
import type { Client, ClientReadableStream } from "@grpc/grpc-js";
import { CONNECTION_RETRIES, streamWithRetry } from "#common/stream-with-retry.js";
import { CancelledError, Code, InternalError, NoWorkerError } from "#common/errors.js";
import type { ReplicaPool } from "#common/replica-pool.js";

const GOAWAY = "Received RST_STREAM with code 2 triggered by internal client error: Session closed with error code 2";

type Script = { fail: number; details: string } | { messages: string[] };

/** A client stream that fails or yields as scripted; counts cancels. */
function fakeCall(script: Script, cancels: { n: number }): ClientReadableStream<string> {
  const stream = new Readable({ objectMode: true, read() {} }) as unknown as ClientReadableStream<string>;
  Object.assign(stream, { cancel: () => void cancels.n++ });
  queueMicrotask(() => {
    if ("fail" in script) {
      stream.destroy(Object.assign(new Error(script.details), { code: script.fail, details: script.details, metadata: new Metadata() }));
    } else {
      for (const m of script.messages) stream.push(m);
      stream.push(null);
    }
  });
  return stream;
}

/** A pool of `ids` handed out round-robin, skipping excluded ones. */
function fakePool(ids: string[], ready: Promise<void> = Promise.resolve()): ReplicaPool<Client> {
  let next = 0;
  return {
    whenReady: () => ready,
    pick: (exclude: ReadonlySet<string> = new Set()) => {
      const left = ids.filter((id) => !exclude.has(id));
      if (left.length === 0) return undefined;
      return { instance: { instanceId: left[next++ % left.length] }, client: {} };
    },
  } as unknown as ReplicaPool<Client>;
}

async function run(ids: string[], scripts: Script[], extra: { ready?: Promise<void>; signal?: AbortSignal } = {}): Promise<{ out: string[]; opened: string[]; error?: unknown }> {
  const opened: string[] = [];
  const cancels = { n: 0 };
  const out: string[] = [];
  try {
    const stream = streamWithRetry({
      pool: fakePool(ids, extra.ready), noneLeft: "none left", signal: extra.signal,
      open: (replica) => {
        opened.push(replica.instance.instanceId);
        return fakeCall(scripts.shift() ?? { fail: Code.UNAVAILABLE, details: "gone" }, cancels);
      },
    });
    for await (const m of stream) out.push(m);
    return { out, opened };
  } catch (error) {
    return { out, opened, error };
  }
}

describe("streamWithRetry", () => {
  it("UNAVAILABLE before the first message: the next replica", async () => {
    const r = await run(["a", "b"], [{ fail: Code.UNAVAILABLE, details: "draining" }, { messages: ["x"] }]);
    expect(r).to.deep.include({ out: ["x"], opened: ["a", "b"] });
  });

  it("a GOAWAY before the first message is retried on a fresh connection, the same replica allowed", async () => {
    const r = await run(["a"], [{ fail: Code.INTERNAL, details: GOAWAY }, { messages: ["x", "y"] }]);
    expect(r).to.deep.include({ out: ["x", "y"], opened: ["a", "a"] });
  });

  it(`connection retries stop after ${CONNECTION_RETRIES} (then the error is the caller's)`, async () => {
    const fails = Array.from({ length: CONNECTION_RETRIES + 1 }, () => ({ fail: Code.INTERNAL, details: GOAWAY }));
    const r = await run(["a"], [...fails, { messages: ["never"] }]);
    expect(r.opened).to.have.length(CONNECTION_RETRIES + 1);
    expect(r.error).to.be.instanceOf(InternalError);
  });

  it("a server's own INTERNAL is not retried", async () => {
    const r = await run(["a", "b"], [{ fail: Code.INTERNAL, details: "internal error" }, { messages: ["x"] }]);
    expect(r.opened).to.deep.equal(["a"]);
    expect(r.error).to.be.instanceOf(InternalError);
  });

  it("every replica UNAVAILABLE: the last one's reason", async () => {
    const r = await run(["a", "b"], [{ fail: Code.UNAVAILABLE, details: "no worker for model m" }, { fail: Code.UNAVAILABLE, details: "no worker for model m" }]);
    expect(r.opened).to.deep.equal(["a", "b"]);
    expect(r.error).to.be.instanceOf(NoWorkerError);
    expect((r.error as Error).message).to.equal("no worker for model m");
  });

  it("waits for the pool's first discovery answer before it picks a replica", async () => {
    let ready!: () => void;
    const r = run(["a"], [{ messages: ["x"] }], { ready: new Promise<void>((resolve) => (ready = resolve)) });
    let settled = false;
    void r.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).to.equal(false);
    ready();
    expect(await r).to.deep.include({ out: ["x"], opened: ["a"] });
  });

  it("a signal already aborted opens no call: CancelledError", async () => {
    const controller = new AbortController();
    controller.abort();
    const r = await run(["a"], [{ messages: ["x"] }], { signal: controller.signal });
    expect(r.opened).to.deep.equal([]);
    expect(r.error).to.be.instanceOf(CancelledError);
  });

  it("no replica at all: noneLeft", async () => {
    const r = await run([], []);
    expect((r.error as Error).message).to.equal("none left");
  });
});
