// Issue 13 item 1: streams that end cleanly. A real grpc-js server on 127.0.0.1 that writes
// its last message (finish reason) and sends its status a little later (as a busy worker
// does); clients read through the real path (ReplicaPool + streamWithRetry + readCallStream)
// and stop at the last message, as the preprocessor and the router do. Cancelling such calls
// sends RST_STREAM, and past nghttp2's rapid-reset allowance (1000, then ~33/s) the server
// closes the shared connection with GOAWAY, failing every call on it.
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { ReplicaPool } from "#common/replica-pool.js";
import { readCallStream } from "#common/call-stream.js";
import { streamWithRetry } from "#common/stream-with-retry.js";
import { FinishReason } from "#contracts/gen/kvmesh/v1/common.js";
import type { GenerateRequest, GenerateResponse } from "#contracts/gen/kvmesh/v1/common.js";
import { RouterClient, RouterService } from "#contracts/gen/kvmesh/v1/router.js";
import { MemoryDiscovery } from "../../support/memory-discovery.js";

/** How long the server waits between its last message and its status. */
const TRAILER_DELAY_MS = 15;
/** Well past nghttp2's burst of 1000 resets. */
const CALLS = 1200;
const BATCH = 60;

interface Counts {
  /** Calls whose client reset them before the server sent its status. */
  resetBeforeStatus: number;
  served: number;
}

/**
 * A Router.Generate server streaming `tokens` messages, the last with a finish reason, and
 * its status `trailerDelayMs` later (never, when undefined: the call waits for a cancel).
 */
async function serve(tokens: number, counts: Counts, trailerDelayMs: number | undefined): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(RouterService, {
    generate: (call: grpc.ServerWritableStream<GenerateRequest, GenerateResponse>) => {
      counts.served++;
      let statusSent = false;
      call.on("cancelled", () => {
        if (!statusSent) counts.resetBeforeStatus++;
      });
      for (let i = 0; i < tokens; i++) {
        const last = i === tokens - 1;
        call.write({ tokenIds: [i], index: i, logprobs: [], workerId: "w", migrations: 0, ...(last ? { finishReason: FinishReason.FINISH_REASON_LENGTH } : {}) });
      }
      if (trailerDelayMs === undefined) return;
      setTimeout(() => {
        statusSent = true;
        call.end();
      }, trailerDelayMs);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port };
}

const REQUEST: GenerateRequest = { requestId: "r", model: "m", tokenIds: [1] };

describe("gRPC streams end without resets (HTTP/2 rapid-reset guard)", function () {
  this.timeout(60_000);
  let server: grpc.Server;
  let pool: ReplicaPool<RouterClient>;
  const counts: Counts = { resetBeforeStatus: 0, served: 0 };

  async function start(trailerDelayMs: number | undefined): Promise<void> {
    Object.assign(counts, { resetBeforeStatus: 0, served: 0 });
    const served = await serve(3, counts, trailerDelayMs);
    server = served.server;
    const discovery = new MemoryDiscovery();
    await discovery.register({ service: "router", instanceId: "r1", address: "127.0.0.1", port: served.port, meta: {} });
    pool = new ReplicaPool(discovery, "router", RouterClient);
    await pool.whenReady();
  }

  afterEach(() => {
    pool.close();
    server.forceShutdown();
  });

  /** One call read up to its finish reason, then left (as runGenerate and the forwarder do). */
  async function readToFinish(signal?: AbortSignal): Promise<number> {
    let read = 0;
    const stream = streamWithRetry({
      pool, signal, noneLeft: "none",
      open: ({ client }) => client.generate(REQUEST),
      isLast: (m) => m.finishReason !== undefined,
    });
    for await (const message of stream) {
      read++;
      if (message.finishReason !== undefined) break;
    }
    return read;
  }

  /** Resolves once the server has seen `n` resets (the RST_STREAM is processed asynchronously). */
  async function resets(n: number): Promise<number> {
    for (let waited = 0; counts.resetBeforeStatus < n && waited < 3000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    return counts.resetBeforeStatus;
  }

  it(`${CALLS} calls read to their last message: none is reset, none fails`, async () => {
    await start(TRAILER_DELAY_MS);
    const failures: string[] = [];
    for (let done = 0; done < CALLS; done += BATCH) {
      await Promise.all(Array.from({ length: BATCH }, () => readToFinish().then(
        (read) => expect(read).to.equal(3),
        (err: unknown) => void failures.push(String(err)),
      )));
    }
    // Let the last statuses arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, TRAILER_DELAY_MS * 4));
    expect(failures.slice(0, 3), `${failures.length} failed calls`).to.deep.equal([]);
    expect(counts.served).to.equal(CALLS);
    expect(counts.resetBeforeStatus, "calls reset after their last message").to.equal(0);
  });

  it("a consumer that leaves before the last message cancels the call", async () => {
    await start(undefined);
    const stream = streamWithRetry({ pool, noneLeft: "none", open: ({ client }) => client.generate(REQUEST), isLast: (m) => m.finishReason !== undefined });
    for await (const message of stream) {
      expect(message.finishReason).to.equal(undefined);
      break;
    }
    expect(await resets(1)).to.equal(1);
  });

  it("aborting the signal (the client went away) cancels the call mid-stream", async () => {
    await start(undefined);
    const controller = new AbortController();
    const stream = streamWithRetry({ pool, signal: controller.signal, noneLeft: "none", open: ({ client }) => client.generate(REQUEST) });
    const seen: number[] = [];
    const error = await (async () => {
      for await (const message of stream) {
        seen.push(message.index);
        controller.abort();
      }
    })().then(() => undefined, (err: unknown) => err);
    expect(await resets(1)).to.equal(1);
    expect((error as { code?: number } | undefined)?.code).to.equal(grpc.status.CANCELLED);
  });

  it("a call whose last message was read but whose status never comes is cancelled after the drain timeout", async () => {
    await start(undefined);
    const call = pool.pick()!.client.generate(REQUEST);
    for await (const message of readCallStream(call, { isLast: (m) => m.finishReason !== undefined, drainTimeoutMs: 100 })) {
      if (message.finishReason !== undefined) break;
    }
    expect(counts.resetBeforeStatus, "not at once").to.equal(0);
    expect(await resets(1)).to.equal(1);
  });
});
