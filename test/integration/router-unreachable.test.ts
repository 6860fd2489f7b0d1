// A SIGKILLed worker stays in discovery until its TTL (60 s here); the router must not keep
// choosing it for requests whose prefix it held. The first request that finds it dead is
// retried elsewhere; from then on Route, Generate and ListWorkers leave it out while
// discovery still lists it.
import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stopAllProcesses } from "../support/process.js";
import { dumpIndex, listWorkers, route, routerGenerate, startRouterProcess, waitForRoutable, waitUntil } from "../support/router-process.js";
import type { RouterProcess } from "../support/router-process.js";
import { requireStoriesModel, storiesModelDir } from "../support/stories-model.js";
import { startWorkerProcess } from "../support/worker-process.js";
import type { WorkerProcess } from "../support/worker-process.js";

const MODEL = "stories260K";
const BS = 4;
const PROMPT = Array.from({ length: 10 * BS }, (_, i) => 3 + ((i * 37) % 400));
const STOP = { maxTokens: 4, stopTokenIds: [], ignoreEos: true };

describe("router: a dead worker still listed in discovery (real processes)", function () {
  this.timeout(120_000);
  let router: RouterProcess;
  const workers: WorkerProcess[] = [];

  before(async function () {
    requireStoriesModel(this);
    const registryDir = mkdtempSync(join(tmpdir(), "kvmesh-router-unreach-"));
    router = await startRouterProcess(registryDir, ["--kv-events", "grpc"]);
    const flags = ["--engine", "mocker", "--model", storiesModelDir, "--block-size", String(BS), "--num-kv-blocks", "1024", "--speedup-ratio", "20", "--discovery-ttl", "60s"];
    for (let i = 0; i < 2; i++) workers.push(await startWorkerProcess(flags, { registryDir }));
    await waitForRoutable(router.client, MODEL, 2);
  });

  after(async () => {
    await router?.stop();
    await stopAllProcesses();
  });

  it("is tried once, then left out of Route, Generate and ListWorkers until discovery drops it", async () => {
    const first = await routerGenerate(router.client, { model: MODEL, tokenIds: PROMPT, stop: STOP });
    const holder = first.at(-1)!.workerId;
    await waitUntil("the prompt indexed on its worker", async () => (await dumpIndex(router.client, MODEL)).some((w) => w.workerId === holder && w.sequenceHashes.length >= 10));
    expect((await route(router.client, MODEL, PROMPT)).workerId, "the prefix's worker is chosen while alive").to.equal(holder);

    const victim = workers.find((w) => w.workerIds[0] === holder)!;
    victim.proc.signal("SIGKILL");
    await victim.proc.waitForExit(5000);

    const retried = await routerGenerate(router.client, { model: MODEL, tokenIds: PROMPT, stop: STOP });
    expect(retried.at(-1)!.workerId, "the request that found it dead was served elsewhere").to.not.equal(holder);

    const listed = (await listWorkers(router.client, MODEL)).workers.find((w) => w.workerId === holder);
    expect(listed, "discovery still lists the dead worker").to.not.equal(undefined);
    expect(listed!.routable).to.equal(false);
    expect(listed!.exclusionReason).to.match(/^unreachable: a call failed \d+ ms ago/);
    const decision = await route(router.client, MODEL, PROMPT);
    expect(decision.workerId, "Route leaves it out although the index says it holds the prefix").to.not.equal(holder);
    expect(decision.workers.map((w) => w.workerId)).to.not.include(holder);
    for (let i = 0; i < 3; i++) {
      const again = await routerGenerate(router.client, { model: MODEL, tokenIds: PROMPT, stop: STOP });
      expect(again.at(-1)!.workerId).to.not.equal(holder);
    }
  });
});
