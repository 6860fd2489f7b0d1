// Coalescing what already waits (issue 17): a producer faster than its consumer gets every token
// index once, in order, with the same text, in fewer messages; a consumer faster than its
// producer gets one message per token, as before; messages that must stay apart do.
import { expect } from "chai";
import { EventEmitter } from "node:events";
import { Readable } from "node:stream";
import type { ClientReadableStream } from "@grpc/grpc-js";
import { HIGH_WATER, readCallStream } from "#common/call-stream.js";
import { coalesceGenerate } from "#common/coalesce-generate.js";
import { seededRandom } from "#common/seeded-random.js";
import { FinishReason } from "#contracts/gen/kvmesh/v1/common.js";
import type { GenerateResponse } from "#contracts/gen/kvmesh/v1/common.js";
import type { PreprocessResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { coalescePreprocess } from "../../../services/frontend/src/coalesce-preprocess.js";

const LENGTH = FinishReason.FINISH_REASON_LENGTH;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Token i of a stream is id 1000 + i, so order and completeness are checkable from the ids alone. */
function tokenMessage(i: number, last: boolean, workerId = "w1"): GenerateResponse {
  return {
    tokenIds: [1000 + i], index: i, logprobs: [], workerId, migrations: 0,
    ...(i === 0 ? { cachedTokens: 16 } : {}),
    ...(last ? { finishReason: LENGTH, usage: { promptTokens: 4, completionTokens: i + 1, cachedTokens: 16 } } : {}),
  };
}

/** A call whose messages are pushed by `produce`; counts cancels. */
function scriptedCall<T>(produce: (push: (m: T) => void, end: () => void) => Promise<void>): { call: ClientReadableStream<T>; cancels: () => number } {
  let cancels = 0;
  const stream = new Readable({ objectMode: true, read() {} }) as unknown as ClientReadableStream<T>;
  Object.assign(stream, { cancel: () => void cancels++ });
  void produce((m) => void stream.push(m), () => void stream.push(null));
  return { call: stream, cancels: () => cancels };
}

/** A call that delivers exactly when the test emits 'data' (synchronously, as grpc-js does per message). */
function emitterCall<T>(): ClientReadableStream<T> {
  let paused = false;
  const call = new EventEmitter();
  Object.assign(call, {
    pause: () => void (paused = true),
    resume: () => void (paused = false),
    isPaused: () => paused,
    cancel: () => undefined,
  });
  return call as unknown as ClientReadableStream<T>;
}

/** N token messages in seeded bursts of 1–12, one burst per macrotask. */
function fastProducer(n: number, seed: number, make: (i: number, last: boolean) => unknown) {
  return async (push: (m: unknown) => void, end: () => void): Promise<void> => {
    const rnd = seededRandom(seed);
    for (let i = 0; i < n;) {
      for (let k = 1 + Math.floor(rnd() * 12); k > 0 && i < n; k--, i++) push(make(i, i === n - 1));
      await new Promise((r) => setImmediate(r));
    }
    end();
  };
}

const isLast = (m: { finishReason?: FinishReason }): boolean => m.finishReason !== undefined;

describe("coalescing messages that already arrived", () => {
  it("a producer faster than its consumer: every token index once, in order, in fewer messages; finish, usage and cached tokens kept", async () => {
    const n = 400;
    const { call, cancels } = scriptedCall<GenerateResponse>(fastProducer(n, 7, tokenMessage) as never);
    const out: GenerateResponse[] = [];
    for await (const m of readCallStream(call, { isLast, coalesce: coalesceGenerate })) {
      out.push({ ...m, tokenIds: [...m.tokenIds] });
      await sleep(1); // the slow consumer: tokens pile up meanwhile
    }
    const ids = out.flatMap((m) => m.tokenIds);
    expect(ids).to.deep.equal(Array.from({ length: n }, (_, i) => 1000 + i));
    let next = 0;
    for (const m of out) {
      expect(m.index).to.equal(next);
      next += m.tokenIds.length;
    }
    expect(out.length).to.be.below(n / 2);
    expect(out.slice(0, -1).every((m) => m.finishReason === undefined)).to.equal(true);
    expect(out.at(-1)?.finishReason).to.equal(LENGTH);
    expect(out.at(-1)?.usage?.completionTokens).to.equal(n);
    expect(out[0].cachedTokens).to.equal(16);
    expect(cancels()).to.equal(0);
  });

  it("without coalesce, the same producer gives one message per token (the option changes nothing else)", async () => {
    const n = 100;
    const { call } = scriptedCall<GenerateResponse>(fastProducer(n, 7, tokenMessage) as never);
    const out: number[] = [];
    for await (const m of readCallStream(call, { isLast })) {
      out.push(...m.tokenIds);
      await sleep(1);
    }
    expect(out).to.deep.equal(Array.from({ length: n }, (_, i) => 1000 + i));
  });

  it("a consumer faster than its producer gets one message per token: nothing waits for a token still to come", async () => {
    const n = 30;
    const { call } = scriptedCall<GenerateResponse>(async (push, end) => {
      for (let i = 0; i < n; i++) {
        push(tokenMessage(i, i === n - 1));
        await sleep(2);
      }
      end();
    });
    const sizes: number[] = [];
    for await (const m of readCallStream(call, { isLast, coalesce: coalesceGenerate })) sizes.push(m.tokenIds.length);
    expect(sizes).to.deep.equal(Array.from({ length: n }, () => 1));
  });

  it("messages delivered in separate callbacks of one event-loop turn (microtasks run between them, as node's HTTP/2 delivers a read's frames) leave as one", async () => {
    const call = emitterCall<GenerateResponse>();
    const out: number[][] = [];
    const reading = (async () => {
      for await (const m of readCallStream(call, { isLast, coalesce: coalesceGenerate })) out.push([...m.tokenIds]);
    })();
    await new Promise((r) => setImmediate(r)); // the reader is waiting
    for (let i = 0; i < 3; i++) {
      call.emit("data", tokenMessage(i, i === 2));
      for (let k = 0; k < 20; k++) await Promise.resolve();
    }
    call.emit("end");
    await reading;
    expect(out).to.deep.equal([[1000, 1001, 1002]]);
  });

  it("without coalesce, a message delivered alone is taken before the turn ends (nothing to join, so no wait)", async () => {
    const call = emitterCall<GenerateResponse>();
    const taken: number[] = [];
    const reading = (async () => {
      for await (const m of readCallStream(call, { isLast })) taken.push(...m.tokenIds);
    })();
    await new Promise((r) => setImmediate(r));
    call.emit("data", tokenMessage(0, false));
    for (let k = 0; k < 20; k++) await Promise.resolve();
    expect(taken).to.deep.equal([1000]);
    call.emit("data", tokenMessage(1, true));
    call.emit("end");
    await reading;
    expect(taken).to.deep.equal([1000, 1001]);
  });

  it("messages that may not join stay apart, in order (a migration's new worker), and the one read ahead is not lost", async () => {
    const { call } = scriptedCall<GenerateResponse>(async (push, end) => {
      for (let i = 0; i < 6; i++) push(tokenMessage(i, i === 5, i < 3 ? "w1" : "w2"));
      end();
    });
    const out: Array<{ worker: string; ids: number[] }> = [];
    for await (const m of readCallStream(call, { isLast, coalesce: coalesceGenerate })) out.push({ worker: m.workerId, ids: [...m.tokenIds] });
    expect(out.map((o) => o.worker)).to.deep.equal(["w1", "w2"]);
    expect(out.flatMap((o) => o.ids)).to.deep.equal([1000, 1001, 1002, 1003, 1004, 1005]);
  });

  it("a consumer leaving after a joined message that held the last one drains the call instead of cancelling it", async () => {
    const { call, cancels } = scriptedCall<GenerateResponse>(async (push) => {
      for (let i = 0; i < 4; i++) push(tokenMessage(i, i === 3));
      // No end: the status is still to come when the consumer leaves.
    });
    for await (const m of readCallStream(call, { isLast, coalesce: coalesceGenerate, drainTimeoutMs: 50 })) {
      expect(m.tokenIds).to.deep.equal([1000, 1001, 1002, 1003]);
      break;
    }
    expect(cancels()).to.equal(0);
    await sleep(80);
    expect(cancels()).to.equal(1); // the drain's own timeout, not an early reset
  });

  it("a consumer leaving before the last message cancels the call once", async () => {
    const { call, cancels } = scriptedCall<GenerateResponse>(async (push) => {
      for (let i = 0; i < 4; i++) push(tokenMessage(i, false));
    });
    for await (const m of readCallStream(call, { isLast, coalesce: coalesceGenerate })) {
      expect(m.tokenIds).to.have.length(4);
      break;
    }
    expect(cancels()).to.equal(1);
  });
});

describe("readCallStream backpressure", () => {
  /** A producer that makes token i only when the stream asks for more (as grpc-js reads on demand). */
  function onDemand(n: number): { call: ClientReadableStream<GenerateResponse>; produced: () => number } {
    let i = 0;
    const stream = new Readable({
      objectMode: true, highWaterMark: 1,
      read() {
        if (i < n) this.push(tokenMessage(i, i++ === n - 1));
        else this.push(null);
      },
    }) as unknown as ClientReadableStream<GenerateResponse>;
    Object.assign(stream, { cancel: () => undefined });
    return { call: stream, produced: () => i };
  }

  for (const coalesce of [undefined, coalesceGenerate]) {
    it(`a consumer that stops reading stops the producer after ${HIGH_WATER} unread messages, then gets every token once, in order (${coalesce ? "coalescing" : "one by one"})`, async () => {
      const n = 500;
      const { call, produced } = onDemand(n);
      const ids: number[] = [];
      let held = -1;
      for await (const m of readCallStream(call, { isLast, coalesce })) {
        ids.push(...m.tokenIds);
        if (held < 0) {
          await sleep(30); // a consumer held up downstream (a slow HTTP client)
          held = produced();
        }
      }
      // The first message taken may itself have joined up to HIGH_WATER; at most HIGH_WATER more wait behind it.
      expect(held).to.be.at.least(HIGH_WATER).and.at.most(2 * HIGH_WATER + 3);
      expect(ids).to.deep.equal(Array.from({ length: n }, (_, i) => 1000 + i));
    });
  }

  it("an error after some messages is thrown once those were read, and nothing is cancelled", async () => {
    let cancels = 0;
    const stream = new Readable({ objectMode: true, read() {} }) as unknown as ClientReadableStream<GenerateResponse>;
    Object.assign(stream, { cancel: () => void cancels++ });
    stream.push(tokenMessage(0, false));
    stream.push(tokenMessage(1, false));
    setImmediate(() => {
      stream.push(null);
      stream.emit("error", Object.assign(new Error("14 UNAVAILABLE: gone"), { code: 14 }));
    });
    const ids: number[] = [];
    let thrown: unknown;
    try {
      for await (const m of readCallStream(stream, { isLast })) ids.push(...m.tokenIds);
    } catch (err) {
      thrown = err;
    }
    expect(ids).to.deep.equal([1000, 1001]);
    expect((thrown as { code?: number }).code).to.equal(14);
    expect(cancels).to.equal(0);
  });
});

describe("coalesceGenerate", () => {
  const lp = (tokenId: number) => ({ tokenId, logprob: -1, top: [] });
  const cases: Array<{ name: string; a: Partial<GenerateResponse>; b: Partial<GenerateResponse> }> = [
    { name: "after the last message", a: { tokenIds: [1], index: 0, finishReason: LENGTH }, b: { tokenIds: [2], index: 1 } },
    { name: "with a gap in the indexes", a: { tokenIds: [1], index: 0 }, b: { tokenIds: [3], index: 2 } },
    { name: "one index back (a repeat)", a: { tokenIds: [1, 2], index: 0 }, b: { tokenIds: [2], index: 1 } },
    { name: "from another worker", a: { tokenIds: [1], index: 0 }, b: { tokenIds: [2], index: 1, workerId: "w2" } },
    { name: "logprobs on one and not the other", a: { tokenIds: [1], index: 0, logprobs: [lp(1)] }, b: { tokenIds: [2], index: 1 } },
    { name: "logprobs on some tokens only", a: { tokenIds: [1, 2], index: 0, logprobs: [lp(1)] }, b: { tokenIds: [3], index: 2, logprobs: [lp(3)] } },
  ];
  const full = (m: Partial<GenerateResponse>): GenerateResponse => ({ tokenIds: [], index: 0, logprobs: [], workerId: "w1", migrations: 0, ...m });
  for (const c of cases) {
    it(`keeps messages apart ${c.name}`, () => {
      const a = full(c.a);
      const before = JSON.stringify(a);
      expect(coalesceGenerate(a, full(c.b))).to.equal(undefined);
      expect(JSON.stringify(a)).to.equal(before);
    });
  }

  it("joins contiguous messages: ids and logprobs in order, the first's cached tokens, the last's finish, usage and migrations", () => {
    const usage = { promptTokens: 4, completionTokens: 3, cachedTokens: 16 };
    const joined = coalesceGenerate(
      full({ tokenIds: [1], index: 5, logprobs: [lp(1)], cachedTokens: 16 }),
      full({ tokenIds: [2, 3], index: 6, logprobs: [lp(2), lp(3)], finishReason: LENGTH, usage, migrations: 1 }),
    );
    expect(joined).to.deep.equal(full({ tokenIds: [1, 2, 3], index: 5, logprobs: [lp(1), lp(2), lp(3)], cachedTokens: 16, finishReason: LENGTH, usage, migrations: 1 }));
  });

  it("keeps the later message's routing record, and the earlier one when the later carries none", () => {
    const record = (cachedTokens: number) => ({ predictedCachedTokens: 64, availableCachedTokens: 64, cachedTokens });
    expect(coalesceGenerate(full({ tokenIds: [1], index: 0, routing: record(0) }), full({ tokenIds: [2], index: 1, routing: record(64) }))?.routing).to.deep.equal(record(64));
    expect(coalesceGenerate(full({ tokenIds: [1], index: 0, routing: record(64) }), full({ tokenIds: [2], index: 1 }))?.routing).to.deep.equal(record(64));
  });

  it("an empty message (no tokens) joins either side", () => {
    expect(coalesceGenerate(full({ index: 0, cachedTokens: 8 }), full({ tokenIds: [1], index: 0, logprobs: [lp(1)] }))?.tokenIds).to.deep.equal([1]);
    expect(coalesceGenerate(full({ tokenIds: [1], index: 0 }), full({ index: 1, finishReason: LENGTH }))?.finishReason).to.equal(LENGTH);
  });
});

describe("coalescePreprocess", () => {
  const full = (m: Partial<PreprocessResponse>): PreprocessResponse => ({ text: "", tokenIds: [], logprobs: [], workerId: "w1", migrations: 0, toolCalls: [], ...m });
  const usage = (n: number) => ({ promptTokens: 4, completionTokens: n, cachedTokens: 0 });

  it("joins text, ids and logprobs in order; the later running usage, finish and stop string win", () => {
    const lp = (token: string) => ({ token, logprob: -1, tokenBytes: Buffer.from(token), top: [] });
    const joined = coalescePreprocess(
      full({ text: " a", tokenIds: [1], logprobs: [lp(" a")], usage: usage(1) }),
      full({ text: " dog", tokenIds: [2], logprobs: [lp(" dog")], usage: usage(2), finishReason: FinishReason.FINISH_REASON_STOP, stopString: "!" }),
    );
    expect(joined).to.deep.equal(full({ text: " a dog", tokenIds: [1, 2], logprobs: [lp(" a"), lp(" dog")], usage: usage(2), finishReason: FinishReason.FINISH_REASON_STOP, stopString: "!" }));
  });

  it("keeps the later message's routing record, and the earlier one when the later carries none", () => {
    const record = (cachedTokens: number) => ({ predictedCachedTokens: 64, availableCachedTokens: 64, cachedTokens });
    expect(coalescePreprocess(full({ text: "a", routing: record(0) }), full({ text: "b", routing: record(64) }))?.routing).to.deep.equal(record(64));
    expect(coalescePreprocess(full({ text: "a", routing: record(64) }), full({ text: "b" }))?.routing).to.deep.equal(record(64));
  });

  const apart: Array<{ name: string; a: Partial<PreprocessResponse>; b: Partial<PreprocessResponse> }> = [
    { name: "after the last message", a: { text: "x", finishReason: LENGTH }, b: { text: "y" } },
    { name: "with tool-call pieces", a: { text: "x" }, b: { toolCalls: [{ index: 0, id: "c", name: "f", arguments: "" }] } },
    { name: "with reasoning text", a: { reasoningText: "hm" }, b: { text: "y" } },
    { name: "from another worker", a: { text: "x" }, b: { text: "y", workerId: "w2" } },
  ];
  for (const c of apart) {
    it(`keeps messages apart ${c.name}`, () => {
      expect(coalescePreprocess(full(c.a), full(c.b))).to.equal(undefined);
    });
  }
});
