import { expect } from "chai";
import { FinishReason } from "#contracts/gen/kvmesh/v1/common.js";
import type { KvEvent } from "#contracts/gen/kvmesh/v1/events.js";
import { Code, OverloadedError } from "#common/errors.js";
import type { EngineOutput, StepStats } from "../../../services/worker/src/engine/engine-types.js";
import { streamRequest } from "../../../services/worker/src/engine/request-stream.js";
import { KvEventBridge } from "../../../services/worker/src/events/kv-event-bridge.js";
import type { RunnerRow } from "../../../services/worker/src/runners/model-runner.js";
import { collect, engineWith, params, replay, tokens, ToyRunner } from "./engine-fixtures.js";

const BS = 4;

/** Five requests, two pairs sharing long prefixes, sampled and greedy. */
function workload(): ReturnType<typeof params>[] {
  const shared = tokens(13, 7);
  return [
    params("a", [...shared, ...tokens(3, 1)], { maxTokens: 12 }),
    params("b", [...shared, ...tokens(6, 2)], { maxTokens: 9 }, { temperature: 0.8, seed: 5n, topK: 10 }),
    params("c", tokens(21, 3), { maxTokens: 14 }, { temperature: 1.2, topP: 0.9, seed: 6n, presencePenalty: 0.5 }),
    params("d", tokens(2, 4), { maxTokens: 10 }, { repetitionPenalty: 1.3 }),
    params("e", [...tokens(9, 3).slice(0, 8), 5, 6], { maxTokens: 11 }, { temperature: 0.7, frequencyPenalty: 1, seed: 1n }),
  ];
}

async function runAll(engine: ReturnType<typeof engineWith>): Promise<Record<string, number[]>> {
  const results = await Promise.all(workload().map((p) => collect(engine, p)));
  return Object.fromEntries(results.map((r, i) => [workload()[i].requestId, r.tokens]));
}

describe("engine core (toy runner: logits are a pure function of the context)", () => {
  let reference: Record<string, number[]>;
  before(async () => {
    // One at a time, a pool big enough for everything: the baseline.
    const engine = engineWith(new ToyRunner(64, BS), { maxNumSeqs: 1 });
    reference = {};
    for (const p of workload()) reference[p.requestId] = (await collect(engine, p)).tokens;
  });

  const configs = [
    { name: "batched", blocks: 64, over: { maxNumSeqs: 8 } },
    { name: "chunked prefill (5-token budget)", blocks: 64, over: { maxBatchedTokens: 5 } },
    { name: "two sequences at a time", blocks: 64, over: { maxNumSeqs: 2 } },
    { name: "tight pool forcing preemption", blocks: 12, over: {}, preempts: true },
    { name: "tight pool with chunking", blocks: 10, over: { maxBatchedTokens: 7 }, preempts: true },
  ];
  for (const c of configs) {
    it(`gives the reference outputs: ${c.name}`, async () => {
      const runner = new ToyRunner(c.blocks, BS);
      const engine = engineWith(runner, c.over);
      expect(await runAll(engine)).to.deep.equal(reference);
      expect(engine.counters.preemptions > 0).to.equal(c.preempts === true);
      expect(engine.load()).to.include({ blocksActive: 0, running: 0, waiting: 0 });
      if (c.over.maxNumSeqs === undefined) expect(runner.maxRows).to.be.greaterThan(1);
    });
  }

  it("reports cached prompt tokens: leading full blocks found, capped to leave one token", async () => {
    const engine = engineWith(new ToyRunner(64, BS));
    const prefix = tokens(12, 9);
    const cases = [
      { tokenIds: [...prefix, 1], cached: 0 },
      { tokenIds: [...prefix, 2, 3], cached: 12 },
      { tokenIds: prefix, cached: 8 }, // exactly 3 blocks: the last must be computed
      { tokenIds: [...prefix.slice(0, 5), 30, ...prefix.slice(6)], cached: 4 },
    ];
    for (const [i, c] of cases.entries()) {
      const out = await collect(engine, params(`p${i}`, c.tokenIds, { maxTokens: 2 }));
      expect(out.last.usage, `case ${i}`).to.deep.equal({ promptTokens: c.tokenIds.length, completionTokens: 2, cachedTokens: c.cached });
    }
    expect(engine.counters.cachedPromptTokens).to.equal(24);
  });

  it("rebuilds dumpState from its event stream (numbered by the worker's ring), with gap-free ids and parents first", async () => {
    const engine = engineWith(new ToyRunner(12, BS));
    const bridge = new KvEventBridge({ engine, identity: { workerId: "w", epoch: 1n, model: "m" }, ringBytes: 1 << 16, ringEventCost: () => 1, loadIntervalMs: 1000 });
    const events: KvEvent[] = [];
    bridge.ring.listen({ onEvents: (batch) => events.push(...batch), onClose: () => {} });
    await runAll(engine);
    engine.clearKvCache();
    await collect(engine, params("after-clear", tokens(10, 11), { maxTokens: 3 }));
    const dump = bridge.dump();
    expect(events.map((e) => e.eventId)).to.deep.equal(events.map((_, i) => BigInt(i + 1)));
    expect(events.some((e) => e.data?.$case === "removed")).to.equal(true);
    expect(dump.lastEventId).to.equal(BigInt(events.length));
    expect(dump.events.every((e) => e.eventId === 0n)).to.equal(true);
    const rebuilt = replay(dump.events);
    expect([...rebuilt.entries()].sort()).to.deep.equal([...replay(events).entries()].sort());
    const seen = new Set<bigint>();
    for (const [hash, parent] of rebuilt) {
      if (parent !== undefined) expect(seen.has(parent), "parent before child").to.equal(true);
      seen.add(hash);
    }
    expect(rebuilt.size).to.equal(engine.load().blocksCachedFree);
  });

  it("cancels a running request at once: final CANCELLED output, blocks returned", async () => {
    const engine = engineWith(new ToyRunner(64, BS));
    const outputs: EngineOutput[] = [];
    await new Promise<void>((resolve, reject) => {
      engine.addRequest(params("long", tokens(10, 1), { maxTokens: 1000 }), {
        onOutput(o) {
          outputs.push(o);
          if (outputs.length === 3) engine.abort("long");
          if (o.finishReason !== undefined) resolve();
        },
        onError: reject,
      });
    });
    const last = outputs[outputs.length - 1];
    expect(last).to.deep.include({ tokenIds: [], index: 3, finishReason: FinishReason.FINISH_REASON_CANCELLED });
    expect(last.usage).to.deep.equal({ promptTokens: 10, completionTokens: 3, cachedTokens: 0 });
    await engine.idle();
    expect(engine.load()).to.include({ blocksActive: 0, running: 0, waiting: 0 });
    expect(engine.abort("long")).to.equal(false);
  });

  it("cancels a request while the runner is executing its step: no token after the cancel", async () => {
    const runner = new ToyRunner(64, BS);
    const execute = runner.execute.bind(runner);
    let abortNext = false;
    const engine = engineWith(runner);
    runner.execute = async (rows: readonly RunnerRow[]) => {
      if (abortNext) engine.abort("mid"); // lands while the step is in flight
      return execute(rows);
    };
    const outputs: EngineOutput[] = [];
    const other = collect(engine, params("other", tokens(5, 9), { maxTokens: 4 }));
    for await (const o of streamRequest(engine, params("mid", tokens(6, 1), { maxTokens: 50 }))) {
      outputs.push(o);
      abortNext = true;
    }
    expect(outputs.map((o) => [o.tokenIds.length, o.finishReason])).to.deep.equal([[1, undefined], [0, FinishReason.FINISH_REASON_CANCELLED]]);
    expect((await other).tokens.length).to.equal(4);
    expect(engine.load()).to.include({ blocksActive: 0, running: 0 });
  });

  it("cancels through the stream: an AbortSignal, or leaving the loop early", async () => {
    const engine = engineWith(new ToyRunner(64, BS), { maxNumSeqs: 1 });
    const controller = new AbortController();
    const first = streamRequest(engine, params("s1", tokens(6, 1), { maxTokens: 500 }), controller.signal);
    const queued = streamRequest(engine, params("s2", tokens(6, 2), { maxTokens: 500 }));
    await first.next();
    expect(engine.load()).to.include({ running: 1, waiting: 1 });
    controller.abort();
    const rest: EngineOutput[] = [];
    for await (const o of first) rest.push(o);
    expect(rest[rest.length - 1].finishReason).to.equal(FinishReason.FINISH_REASON_CANCELLED);
    for await (const o of queued) if (o.index >= 2) break;
    await engine.idle();
    expect(engine.load()).to.include({ blocksActive: 0, running: 0, waiting: 0 });
  });

  it("throws OverloadedError (RESOURCE_EXHAUSTED) beyond --max-waiting", async () => {
    const engine = engineWith(new ToyRunner(64, BS), { maxWaiting: 2, maxNumSeqs: 1 });
    const streams = [0, 1].map((i) => streamRequest(engine, params(`w${i}`, tokens(5, i), { maxTokens: 3 })));
    let error: unknown;
    try {
      engine.addRequest(params("w2", tokens(5, 2)), { onOutput: () => {}, onError: () => {} });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(OverloadedError);
    expect((error as OverloadedError).code).to.equal(Code.RESOURCE_EXHAUSTED);
    for (const s of streams) for await (const o of s) void o;
    expect(engine.load().waiting).to.equal(0);
  });

  describe("stop conditions", () => {
    const prompt = tokens(7, 21);
    let greedy: number[];
    before(async () => {
      greedy = (await collect(engineWith(new ToyRunner(64, BS)), params("ref", prompt, { maxTokens: 12 }))).tokens;
    });
    // Eos / stop ids are chosen from the greedy reference, so they are reached at a known index.
    const cases: { name: string; run: (g: number[]) => { eos?: number[]; stop: Parameters<typeof params>[2]; context?: number }; expect: (g: number[]) => { tokens: number[]; reason: FinishReason } }[] = [
      { name: "max_tokens → LENGTH", run: () => ({ stop: { maxTokens: 4 } }), expect: (g) => ({ tokens: g.slice(0, 4), reason: FinishReason.FINISH_REASON_LENGTH }) },
      { name: "eos → STOP, eos included", run: (g) => ({ eos: [g[5]], stop: { maxTokens: 12 } }), expect: (g) => ({ tokens: g.slice(0, g.indexOf(g[5]) + 1), reason: FinishReason.FINISH_REASON_STOP }) },
      { name: "ignore_eos runs to max_tokens", run: (g) => ({ eos: [g[5]], stop: { maxTokens: 12, ignoreEos: true } }), expect: (g) => ({ tokens: g, reason: FinishReason.FINISH_REASON_LENGTH }) },
      { name: "stop_token_ids → STOP (even with ignore_eos)", run: (g) => ({ stop: { maxTokens: 12, stopTokenIds: [g[3]], ignoreEos: true } }), expect: (g) => ({ tokens: g.slice(0, g.indexOf(g[3]) + 1), reason: FinishReason.FINISH_REASON_STOP }) },
      { name: "context length → LENGTH", run: () => ({ stop: {}, context: prompt.length + 6 }), expect: (g) => ({ tokens: g.slice(0, 6), reason: FinishReason.FINISH_REASON_LENGTH }) },
      { name: "max_tokens wins over eos on the same token", run: (g) => ({ eos: [g[3]], stop: { maxTokens: g.indexOf(g[3]) + 1 } }), expect: (g) => ({ tokens: g.slice(0, g.indexOf(g[3]) + 1), reason: FinishReason.FINISH_REASON_LENGTH }) },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const r = c.run(greedy);
        const engine = engineWith(new ToyRunner(64, BS), { eosTokenIds: r.eos ?? [], contextLength: r.context ?? 4096 });
        const out = await collect(engine, params("s", prompt, r.stop));
        const want = c.expect(greedy);
        expect(out.tokens).to.deep.equal(want.tokens);
        expect(out.last.finishReason).to.equal(want.reason);
        expect(out.last.usage?.completionTokens).to.equal(want.tokens.length);
      });
    }

    it("min_tokens keeps eos and stop ids out until reached", async () => {
      const engine = engineWith(new ToyRunner(64, BS), { eosTokenIds: [greedy[0]] });
      const unmasked = await collect(engine, params("u", prompt, { maxTokens: 12, stopTokenIds: [greedy[1]] }));
      expect(unmasked.tokens).to.deep.equal([greedy[0]]);
      const out = await collect(engine, params("m", prompt, { maxTokens: 12, minTokens: 4, stopTokenIds: [greedy[1]] }));
      for (const t of out.tokens.slice(0, 4)) expect([greedy[0], greedy[1]]).to.not.include(t);
      expect(out.tokens.length).to.be.at.least(4);
    });
  });

  it("resumes from an index: same tokens as the uninterrupted run, indexes from there", async () => {
    const prompt = tokens(9, 33);
    const sampling = { temperature: 0.9, seed: 77n, presencePenalty: 0.7, frequencyPenalty: 0.3, repetitionPenalty: 1.1, topLogprobs: 2 };
    const full = await collect(engineWith(new ToyRunner(64, BS)), params("m", prompt, { maxTokens: 10, minTokens: 6 }, sampling));
    for (const k of [1, 4, 7]) {
      const resumed = await collect(
        engineWith(new ToyRunner(64, BS)),
        params("m", [...prompt, ...full.tokens.slice(0, k)], { maxTokens: 10 - k, minTokens: Math.max(0, 6 - k) }, sampling, k),
      );
      expect(resumed.firstIndex, `k=${k}`).to.equal(k);
      expect(resumed.tokens).to.deep.equal(full.tokens.slice(k));
      expect(resumed.outputs.flatMap((o) => o.logprobs ?? [])).to.deep.equal(full.outputs.flatMap((o) => o.logprobs ?? []).slice(k));
      expect(resumed.last.usage).to.deep.include({ promptTokens: prompt.length, completionTokens: 10 });
    }
  });

  it("reports steps to the hooks and counts prefill work net of the cache", async () => {
    const steps: StepStats[] = [];
    const engine = engineWith(new ToyRunner(64, BS), { hooks: { onStep: (s) => steps.push(s) } });
    const prompt = tokens(16, 5);
    await collect(engine, params("h1", prompt, { maxTokens: 3 }));
    await collect(engine, params("h2", [...prompt, 9], { maxTokens: 3 }));
    expect(engine.counters).to.deep.include({ promptTokens: 33, cachedPromptTokens: 16, prefillTokensComputed: 17, generatedTokens: 6 });
    expect(steps.map((s) => [s.batchSize, s.prefillTokens, s.decodeTokens, s.generatedTokens])).to.deep.equal([
      [1, 16, 0, 1], [1, 0, 1, 1], [1, 0, 1, 1], [1, 1, 0, 1], [1, 0, 1, 1], [1, 0, 1, 1],
    ]);
  });

  it("fails the step's requests when the runner throws, and returns their blocks", async () => {
    const runner = new ToyRunner(64, BS);
    let calls = 0;
    const execute = runner.execute.bind(runner);
    runner.execute = async (rows: readonly RunnerRow[]) => {
      if (++calls === 2) throw new Error("device lost");
      return execute(rows);
    };
    const engine = engineWith(runner);
    const stream = streamRequest(engine, params("x", tokens(6, 1), { maxTokens: 5 }));
    const seen: EngineOutput[] = [];
    let error: unknown;
    try {
      for await (const o of stream) seen.push(o);
    } catch (err) {
      error = err;
    }
    expect(seen.length).to.equal(1);
    expect((error as { code?: number }).code).to.equal(Code.INTERNAL);
    expect(engine.load()).to.include({ blocksActive: 0, running: 0 });
  });

  const invalid = [
    { name: "empty prompt", p: params("v", []), code: Code.INVALID_ARGUMENT },
    { name: "token id out of vocabulary", p: params("v", [1, 99]), code: Code.INVALID_ARGUMENT },
    { name: "negative temperature", p: params("v", [1], {}, { temperature: -1 }), code: Code.INVALID_ARGUMENT },
    { name: "min_tokens above max_tokens", p: params("v", [1], { maxTokens: 2, minTokens: 3 }), code: Code.INVALID_ARGUMENT },
    { name: "resume index past the input", p: params("v", [1, 2], {}, {}, 2), code: Code.INVALID_ARGUMENT },
    { name: "input filling the context", p: params("v", tokens(64, 1)), code: Code.OUT_OF_RANGE },
    { name: "input beyond the KV pool", p: params("v", tokens(40, 1)), code: Code.OUT_OF_RANGE, blocks: 10 },
  ];
  for (const c of invalid) {
    it(`rejects ${c.name}`, () => {
      const engine = engineWith(new ToyRunner(c.blocks ?? 64, BS), { contextLength: 64 });
      expect(() => engine.addRequest(c.p, { onOutput: () => {}, onError: () => {} })).to.throw().with.property("code", c.code);
      expect(engine.load().waiting).to.equal(0);
    });
  }

  it("rejects a request id already in flight", async () => {
    const engine = engineWith(new ToyRunner(64, BS));
    const s = streamRequest(engine, params("dup", [1, 2], { maxTokens: 2 }));
    expect(() => streamRequest(engine, params("dup", [3]))).to.throw(/already in flight/);
    for await (const o of s) void o;
    await collect(engine, params("dup", [3], { maxTokens: 1 })); // free again once finished
  });
});
