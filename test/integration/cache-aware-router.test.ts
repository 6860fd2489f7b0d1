// cache-aware in a real router process (its tree of routed prompts keys on 64-bit sequence
// hashes decoded from gRPC as BigInt, split into 32-bit halves): three mocker workers. A dry
// Route learns nothing; a Generate teaches the tree its prompt, so the same prompt is then
// scored on that worker alone (6 full blocks of 16 = 96 tokens of 100) and sent there, and a
// prompt sharing only its first 2 blocks scores 32 there (32 / 100 ≤ 0.3: least loaded).
import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stopAllProcesses } from "../support/process.js";
import { route, routerGenerate, startRouterProcess, waitForRoutable } from "../support/router-process.js";
import type { RouterProcess } from "../support/router-process.js";
import { requireStoriesModel, storiesModelDir } from "../support/stories-model.js";
import { startWorkerProcess } from "../support/worker-process.js";

const MODEL = "stories260K";
const BS = 16;
const NS = ["--namespace", "cache-aware-router"];
const PROMPT = Array.from({ length: 100 }, (_, i) => 3 + ((i * 37) % 500));
/** The same first 2 blocks, then other tokens. */
const SHARES_TWO = [...PROMPT.slice(0, 2 * BS), ...Array.from({ length: 100 - 2 * BS }, (_, i) => 7 + ((i * 11) % 400))];

describe("cache-aware router process (mocker workers)", function () {
  this.timeout(120_000);
  let router: RouterProcess;

  before(async function () {
    requireStoriesModel(this);
    const dir = mkdtempSync(join(tmpdir(), "kvmesh-cache-aware-"));
    await startWorkerProcess(["--engine", "mocker", "--model", storiesModelDir, "--workers", "3", "--block-size", String(BS), "--speedup-ratio", "20", ...NS], { registryDir: dir, workers: 3 });
    router = await startRouterProcess(dir, ["--router-mode", "cache-aware", ...NS]);
    await waitForRoutable(router.client, MODEL, 3);
  });
  after(async () => {
    await router?.stop();
    await stopAllProcesses();
  });

  it("scores a prompt by the tree of prompts it routed: 0 before, 96 of 100 tokens on its worker after", async () => {
    const before = await route(router.client, MODEL, PROMPT);
    expect(before.workers.map((w) => w.cost)).to.deep.equal([0, 0, 0]);
    // Route is a dry run: asking again still finds nothing.
    expect((await route(router.client, MODEL, PROMPT)).workers.map((w) => w.cost)).to.deep.equal([0, 0, 0]);
    const sent = await routerGenerate(router.client, { model: MODEL, tokenIds: PROMPT, stop: { maxTokens: 1, stopTokenIds: [], ignoreEos: true } });
    const workerId = sent.at(-1)!.workerId;
    const after = await route(router.client, MODEL, PROMPT);
    expect(after.workerId).to.equal(workerId);
    expect(Object.fromEntries(after.workers.map((w) => [w.workerId, w.cost]))).to.deep.equal(Object.fromEntries(after.workers.map((w) => [w.workerId, w.workerId === workerId ? 96 : 0])));
    const partial = await route(router.client, MODEL, SHARES_TWO);
    expect(partial.workers.find((w) => w.workerId === workerId)?.cost).to.equal(32);
  });
});
