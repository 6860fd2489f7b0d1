// The router against real mocker workers and a real nats-server: prefix-affine routing, the
// index built over NATS equals the one built over StreamKvEvents and the workers' own
// DumpKvState, and a broker restart resyncs it.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { natsServerBinary, startNatsServer } from "../support/nats-server.js";
import type { NatsServerHandle } from "../support/nats-server.js";
import { stopAllProcesses } from "../support/process.js";
import { dumpIndex, dumpsByWorker, indexByWorker, route, routerGenerate, startRouterProcess, waitForRoutable, waitUntil } from "../support/router-process.js";
import type { RouterProcess } from "../support/router-process.js";
import { repoRoot, requireStoriesModel, storiesModelDir } from "../support/stories-model.js";
import { dumpKvState, scrape, startWorkerProcess } from "../support/worker-process.js";
import type { WorkerProcess } from "../support/worker-process.js";

const MODEL = "stories260K";
const BS = 4;
/** A prompt of `n` tokens from a seed (vocab 512; token 0..2 avoided). */
const prompt = (seed: number, n: number): number[] => Array.from({ length: n }, (_, i) => 3 + ((seed * 7919 + i * 31) % 500));
const ask = (router: RouterProcess, tokenIds: number[], maxTokens = 8) =>
  routerGenerate(router.client, { model: MODEL, tokenIds, stop: { maxTokens, stopTokenIds: [], ignoreEos: true } });

/** The value of one labelled counter in a scrape (0 when absent). */
function counter(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("router with 3 mocker workers, NATS and StreamKvEvents", function () {
  this.timeout(120_000);
  let nats: NatsServerHandle;
  let workers: WorkerProcess;
  let viaNats: RouterProcess;
  let viaGrpc: RouterProcess;
  let approximate: RouterProcess;

  before(async function () {
    requireStoriesModel(this);
    if (!natsServerBinary()) {
      if (process.env.CI === "true") throw new Error("nats-server is required under CI");
      this.skip();
    }
    nats = await startNatsServer();
    const registryDir = mkdtempSync(join(tmpdir(), "kvmesh-router-"));
    workers = await startWorkerProcess(
      ["--engine", "mocker", "--model", storiesModelDir, "--workers", "3", "--block-size", String(BS), "--num-kv-blocks", "1024", "--speedup-ratio", "20", "--nats-url", nats.url, "--load-interval", "200ms"],
      { registryDir, workers: 3 },
    );
    viaNats = await startRouterProcess(registryDir, ["--kv-events", "nats", "--nats-url", nats.url]);
    viaGrpc = await startRouterProcess(registryDir, ["--kv-events", "grpc"]);
    approximate = await startRouterProcess(registryDir, ["--kv-events", "none"]);
    for (const router of [viaNats, viaGrpc, approximate]) {
      await waitForRoutable(router.client, MODEL, 3);
    }
  });

  after(async () => {
    await viaNats?.stop();
    await viaGrpc?.stop();
    await approximate?.stop();
    await stopAllProcesses();
    await nats?.stop();
  });

  /** Both routers' indexes equal the union of the workers' DumpKvState. */
  async function expectIndexesMatchWorkers(): Promise<void> {
    let last = "";
    await waitUntil("indexes equal to the workers' dumps", async () => {
      const truth = dumpsByWorker(await Promise.all(workers.workerIds.map((_, i) => dumpKvState(workers.client(i)))));
      const [a, b] = await Promise.all([dumpIndex(viaNats.client, MODEL), dumpIndex(viaGrpc.client, MODEL)]);
      const sizes = (r: Record<string, string[]>) => Object.entries(r).map(([w, h]) => `${w}:${h.length}`).join(" ");
      last = `blocks per worker: workers ${sizes(truth)}; nats ${sizes(indexByWorker(a))}; grpc ${sizes(indexByWorker(b))}`;
      return JSON.stringify(indexByWorker(a)) === JSON.stringify(truth) && JSON.stringify(indexByWorker(b)) === JSON.stringify(truth);
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${last}`);
    });
  }

  it("keeps requests sharing a long prefix on the worker holding it, and spreads unrelated ones", async () => {
    const shared = prompt(1, 12 * BS);
    const first = (await ask(viaNats, [...shared, 9])).at(-1)!.workerId;
    await waitUntil("the prefix indexed", async () => (await route(viaNats.client, MODEL, shared)).bestOverlapBlocks === 12);
    for (let i = 0; i < 4; i++) {
      const out = await ask(viaNats, [...shared, 10 + i, 11 + i]);
      expect(out.at(-1)!.workerId, `shared-prefix request ${i}`).to.equal(first);
    }
    const unrelated = await Promise.all([2, 3, 4, 5, 6, 7].map((seed) => ask(viaNats, prompt(seed * 101, 12 * BS), 40)));
    const used = new Set(unrelated.map((out) => out.at(-1)!.workerId));
    expect(used.size, `unrelated requests went to ${[...used]}`).to.be.at.least(2);
  });

  it("builds the same index over NATS and over StreamKvEvents, equal to the workers' DumpKvState", async () => {
    await Promise.all([20, 21, 22].map((seed) => ask(viaGrpc, prompt(seed, 10 * BS + 1))));
    await expectIndexesMatchWorkers();
    const index = await dumpIndex(viaNats.client, MODEL);
    expect(index.map((w) => w.workerId).sort()).to.deep.equal([...workers.workerIds].sort());
    expect(index.reduce((n, w) => n + w.sequenceHashes.length, 0)).to.be.greaterThan(0);
  });

  it("resyncs every worker after nats-server is stopped and restarted on the same port", async () => {
    const series = 'kvmesh_router_resyncs_total{cause="reconnect"}';
    const before = counter(await scrape(viaNats.metricsPort), series);
    await nats.stop();
    // The cache changes while the broker is down.
    await Promise.all([30, 31, 32].map((seed) => ask(viaGrpc, prompt(seed, 9 * BS))));
    await nats.restart();
    await waitUntil("reconnect resyncs", async () => counter(await scrape(viaNats.metricsPort), series) >= before + 3, 30_000);
    await expectIndexesMatchWorkers();
  });

  it("without KV events (--kv-events none) sends a shared prefix where it sent it before", async () => {
    const shared = prompt(40, 12 * BS);
    const first = (await ask(approximate, [...shared, 1])).at(-1)!.workerId;
    for (let i = 0; i < 3; i++) expect((await ask(approximate, [...shared, 2 + i])).at(-1)!.workerId).to.equal(first);
    expect((await route(approximate.client, MODEL, shared)).bestOverlapBlocks).to.equal(12);
  });

  it("answers the buf curl commands of services/router/README.md (reflection)", async () => {
    const readme = readFileSync(join(repoRoot, "services/router/README.md"), "utf8");
    const commands = readme.split("\n").filter((l) => l.startsWith("buf curl "));
    expect(commands).to.have.length(3);
    for (const command of commands) {
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile("bash", ["-c", command], { cwd: repoRoot, env: { ...process.env, ROUTER: `127.0.0.1:${viaNats.port}`, PATH: `${join(repoRoot, "node_modules/.bin")}:${process.env.PATH}` } },
          (err, out, errOut) => (err ? reject(new Error(`${command}: ${err.message}\n${errOut}`)) : resolve(out))),
      );
      expect(JSON.parse(stdout), command).to.have.property(command.includes("/Route") ? "workerId" : "workers");
    }
  });
});
