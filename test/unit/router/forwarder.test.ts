import { expect } from "chai";
import { CancelledError, Code, NoWorkerError } from "#common/errors.js";
import { toGrpcStatus } from "#common/grpc-errors.js";
import type { GenerateRequest, GenerateResponse } from "#contracts/gen/kvmesh/v1/common.js";
import { Forwarder } from "../../../services/router/src/forwarder.js";
import { WorkerLostError } from "../../../services/router/src/worker-lost-error.js";
import type { Opened, Step } from "./router-fakes.js";
import { deciderFor, readyRegistry, scriptedStream, tokens } from "./router-fakes.js";

const PROMPT = Array.from({ length: 10 }, (_, i) => 100 + i);
const REQUEST: GenerateRequest = {
  requestId: "r1", model: "m", tokenIds: PROMPT,
  sampling: { seed: 42n, temperature: 0.7 }, stop: { maxTokens: 6, minTokens: 4, stopTokenIds: [], ignoreEos: false },
};

/** A forwarder over w1..w3 whose streams follow `scripts[workerId]` (one script per open). */
function forwarderWith(scripts: Record<string, Step[][]>, migrationLimit = 3) {
  const { decider, sequences } = deciderFor(readyRegistry(["w1", "w2", "w3"]));
  const opened: Opened[] = [];
  const cancels: string[] = [];
  const forwarder = new Forwarder({
    decider, migrationLimit,
    open: (worker, request) => {
      opened.push({ workerId: worker.workerId, request });
      const steps = scripts[worker.workerId]?.shift() ?? [{ fail: Code.UNAVAILABLE }];
      return scriptedStream(steps, () => cancels.push(worker.workerId));
    },
  });
  return { forwarder, opened, cancels, sequences };
}

async function collect(stream: AsyncIterable<GenerateResponse>): Promise<GenerateResponse[]> {
  const out: GenerateResponse[] = [];
  for await (const msg of stream) out.push(msg);
  return out;
}

/** Output indexes must be contiguous over the whole stream. */
function expectContiguous(messages: GenerateResponse[]): void {
  let next = 0;
  for (const m of messages) {
    expect(m.index, "contiguous indexes").to.equal(next);
    next += m.tokenIds.length;
  }
}

describe("router forwarder", () => {
  it("proxies one worker's stream, naming the worker, with no migration", async () => {
    // Zero load, equal overlap: ties go to the smallest worker id.
    const { forwarder, sequences } = forwarderWith({ w1: [[tokens([1, 2]), tokens([3], 1)]] });
    const out = await collect(forwarder.generate(REQUEST, new AbortController().signal));
    expect(out.map((m) => m.tokenIds)).to.deep.equal([[1, 2], [3]]);
    expect(out.at(-1)).to.include({ workerId: "w1", migrations: 0, finishReason: 1 });
    expectContiguous(out);
    expect(sequences.activeRequests(), "load freed at stream end").to.equal(0);
  });

  it("migrates a broken stream: prompt + tokens so far, resume index, remaining budgets, same seed, failed worker excluded", async () => {
    const { forwarder, opened } = forwarderWith({
      w1: [[tokens([1, 2]), tokens([3]), { fail: Code.UNAVAILABLE }]],
      w2: [[tokens([4, 5]), tokens([6], 2)]],
    });
    const out = await collect(forwarder.generate(REQUEST, new AbortController().signal));
    expect(out.flatMap((m) => m.tokenIds)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expectContiguous(out);
    expect(out.at(-1)).to.include({ workerId: "w2", migrations: 1, finishReason: 2 });
    expect(out.at(-1)!.usage).to.deep.equal({ promptTokens: PROMPT.length, completionTokens: 6, cachedTokens: 0 });
    expect(opened.map((o) => o.workerId)).to.deep.equal(["w1", "w2"]);
    const resumed = opened[1].request;
    expect(resumed.tokenIds).to.deep.equal([...PROMPT, 1, 2, 3]);
    expect(resumed.resumeFromIndex).to.equal(3);
    expect(resumed.stop).to.include({ maxTokens: 3, minTokens: 1 });
    expect(resumed.sampling).to.deep.equal(REQUEST.sampling);
  });

  it("a stream that reached its finish reason is not cancelled (a reset would trip the worker's HTTP/2 rapid-reset guard)", async () => {
    const { forwarder, cancels } = forwarderWith({ w1: [[tokens([1]), tokens([2], 1)]] });
    const out = await collect(forwarder.generate(REQUEST, new AbortController().signal));
    expect(out.at(-1)).to.include({ finishReason: 1 });
    expect(cancels).to.deep.equal([]);
  });

  it("a stream left before its finish reason is cancelled", async () => {
    const { forwarder, cancels } = forwarderWith({ w1: [[tokens([1]), tokens([2]), tokens([3], 1)]] });
    for await (const _ of forwarder.generate(REQUEST, new AbortController().signal)) break;
    expect(cancels).to.deep.equal(["w1"]);
  });

  it("a broken shared connection before the first token (GOAWAY: Session closed) is retried on another worker", async () => {
    const goaway = "Received RST_STREAM with code 2 triggered by internal client error: Session closed with error code 2";
    const { forwarder, opened } = forwarderWith({ w1: [[{ fail: Code.INTERNAL, details: goaway }]], w2: [[tokens([7], 1)]] });
    const out = await collect(forwarder.generate(REQUEST, new AbortController().signal));
    expect(out.flatMap((m) => m.tokenIds)).to.deep.equal([7]);
    expect(out.at(-1)).to.include({ workerId: "w2", migrations: 0 });
    expect(opened.map((o) => o.workerId)).to.deep.equal(["w1", "w2"]);
  });

  const failures: { name: string; scripts: Record<string, Step[][]>; limit?: number; error: number; opened: string[] }[] = [
    {
      name: "an error about the request passes through at once",
      scripts: { w1: [[{ fail: Code.INVALID_ARGUMENT }]] }, error: Code.INVALID_ARGUMENT, opened: ["w1"],
    },
    {
      name: "the migration limit stops the moves (a lost worker is UNAVAILABLE whatever the broken call said)",
      scripts: { w1: [[tokens([1]), { fail: Code.UNAVAILABLE }]], w2: [[tokens([2]), { fail: Code.INTERNAL }]] },
      limit: 1, error: Code.UNAVAILABLE, opened: ["w1", "w2"],
    },
    {
      name: "INTERNAL before the first token is not retried",
      scripts: { w1: [[{ fail: Code.INTERNAL }]] }, error: Code.INTERNAL, opened: ["w1"],
    },
    {
      name: "no worker left to move to is UNAVAILABLE",
      scripts: { w1: [[tokens([1]), { fail: Code.UNAVAILABLE }]], w2: [[tokens([2]), { fail: Code.UNAVAILABLE }]], w3: [[tokens([3]), { fail: Code.UNAVAILABLE }]] },
      error: Code.UNAVAILABLE, opened: ["w1", "w2", "w3"],
    },
  ];
  for (const c of failures) {
    it(`fails: ${c.name}`, async () => {
      const { forwarder, opened, sequences } = forwarderWith(c.scripts, c.limit);
      const err = await collect(forwarder.generate(REQUEST, new AbortController().signal)).then(() => undefined, (e: unknown) => e);
      expect((err as { code?: number }).code).to.equal(c.error);
      expect(opened.map((o) => o.workerId)).to.deep.equal(c.opened);
      expect(sequences.activeRequests()).to.equal(0);
    });
  }

  const lost: { name: string; scripts: Record<string, Step[][]>; limit: number; pinned?: string; message: RegExp }[] = [
    {
      name: "migration limit 0, lost mid-stream", limit: 0,
      scripts: { w1: [[tokens([1, 2]), { fail: Code.UNAVAILABLE }]] }, message: /worker w1 was lost mid-stream after 2 tokens.*--migration-limit 0/,
    },
    {
      name: "migration limit 0, unreachable before the first token", limit: 0,
      scripts: { w1: [[{ fail: Code.UNAVAILABLE }]] }, message: /worker w1 was lost before the first token.*--migration-limit 0/,
    },
    {
      name: "pinned worker lost", limit: 3, pinned: "w2",
      scripts: { w2: [[tokens([1]), { fail: Code.INTERNAL }]] }, message: /worker w2 was lost mid-stream after 1 tokens \(code 13.*pinned/,
    },
  ];
  for (const c of lost) {
    it(`a stream that may not move names its lost worker: ${c.name}`, async () => {
      const { forwarder, opened } = forwarderWith(c.scripts, c.limit);
      const err = await collect(forwarder.generate({ ...REQUEST, workerId: c.pinned }, new AbortController().signal)).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(WorkerLostError);
      expect((err as WorkerLostError).code).to.equal(Code.UNAVAILABLE);
      expect((err as Error).message).to.match(c.message);
      // What the caller receives: the same code and words, not the generic INTERNAL text.
      expect(toGrpcStatus(err)).to.include({ code: Code.UNAVAILABLE, details: (err as Error).message });
      expect(opened).to.have.length(1);
    });
  }

  it("the last worker gone leaves NoWorkerError", async () => {
    const { forwarder } = forwarderWith({ w1: [[tokens([1]), { fail: Code.UNAVAILABLE }]], w2: [[tokens([2]), { fail: Code.UNAVAILABLE }]], w3: [[tokens([3]), { fail: Code.UNAVAILABLE }]] });
    const err = await collect(forwarder.generate(REQUEST, new AbortController().signal)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(NoWorkerError);
  });

  it("retries another worker on UNAVAILABLE before the first token, without counting a migration", async () => {
    const { forwarder, opened } = forwarderWith({ w1: [[{ fail: Code.UNAVAILABLE }]], w2: [[tokens([7], 1)]] });
    const out = await collect(forwarder.generate(REQUEST, new AbortController().signal));
    expect(out.at(-1)).to.include({ workerId: "w2", migrations: 0 });
    expect(opened[1].request.tokenIds).to.deep.equal(PROMPT);
    expect(opened[1].request.resumeFromIndex).to.equal(undefined);
  });

  it("a worker found unreachable is skipped by the next requests at once; a pin still reaches it", async () => {
    const { decider } = deciderFor(readyRegistry(["w1", "w2"]), "round-robin");
    const opened: string[] = [];
    const forwarder = new Forwarder({
      decider, migrationLimit: 3,
      open: (worker) => {
        opened.push(worker.workerId);
        return scriptedStream(worker.workerId === "w1" ? [{ fail: Code.UNAVAILABLE }] : [tokens([7], 1)]);
      },
    });
    for (let i = 0; i < 4; i++) await collect(forwarder.generate({ ...REQUEST, requestId: `r${i}` }, new AbortController().signal));
    expect(opened, "w1 tried once, then left alone").to.deep.equal(["w1", "w2", "w2", "w2", "w2"]);
    expect(decider.plan({ model: "m", tokenIds: PROMPT, pinnedWorkerId: "w1" }).decision.workerId, "a pin still reaches it").to.equal("w1");
  });

  it("a pinned request stays on its worker: no migration", async () => {
    const { forwarder, opened } = forwarderWith({ w3: [[tokens([1]), { fail: Code.UNAVAILABLE }]] });
    const err = await collect(forwarder.generate({ ...REQUEST, workerId: "w3" }, new AbortController().signal)).catch((e: unknown) => e);
    expect((err as { code?: number }).code).to.equal(Code.UNAVAILABLE);
    expect(opened.map((o) => o.workerId)).to.deep.equal(["w3"]);
  });

  it("a caller cancel cancels the worker call and ends with CancelledError", async () => {
    const { forwarder, cancels, sequences } = forwarderWith({ w1: [[tokens([1]), "hang"]] });
    const controller = new AbortController();
    const received: GenerateResponse[] = [];
    const done = (async () => {
      for await (const msg of forwarder.generate(REQUEST, controller.signal)) {
        received.push(msg);
        controller.abort();
      }
    })().catch((e: unknown) => e);
    const err = await done;
    expect(err).to.be.instanceOf(CancelledError);
    expect(received).to.have.length(1);
    expect(cancels).to.include("w1");
    expect(sequences.activeRequests()).to.equal(0);
  });

  it("a worker lost right after the last allowed token ends the stream with LENGTH", async () => {
    const { forwarder, opened } = forwarderWith({ w1: [[tokens([1, 2, 3, 4, 5, 6]), { fail: Code.UNAVAILABLE }]] });
    const out = await collect(forwarder.generate(REQUEST, new AbortController().signal));
    expect(out.at(-1)).to.include({ finishReason: 2, index: 6 });
    expect(opened).to.have.length(1);
  });
  it("touches a streaming request's sequence at most once a second, never on the first or last message", async () => {
    const { decider } = deciderFor(readyRegistry(["w1"]));
    let clock = 0;
    let touches = 0;
    const touch = decider.touch.bind(decider);
    decider.touch = (id: string) => {
      touches++;
      touch(id);
    };
    const forwarder = new Forwarder({
      decider, migrationLimit: 0, now: () => clock,
      open: () => ({
        cancel: () => undefined,
        async *[Symbol.asyncIterator]() {
          // 10 tokens 0.3 s apart, then the finish: later messages at 0.6, 0.9, 1.2 (touch), ... 2.4 (touch), 2.7, 3.0
          for (let i = 0; i < 11; i++) {
            clock += 0.3;
            yield tokens([i], i === 10 ? 2 : undefined);
          }
        },
      }),
    });
    const out = await collect(forwarder.generate({ ...REQUEST, stop: { maxTokens: 11, stopTokenIds: [], ignoreEos: true } }, new AbortController().signal));
    expect(out.flatMap((m) => m.tokenIds)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(touches).to.equal(2);
  });
});
