// `kvmesh up` as a supervisor and as one mesh among several (issue 13, items 4, 9 and 10): two
// `up` side by side (different --http-port, HOME in a temp dir) each serve only their own
// workers; each service gets its own metrics port and the forwarded --shutdown-grace; a
// SIGKILLed router is restarted with backoff and the mesh keeps serving; Ctrl-C stops it all.
import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stopAllProcesses } from "../support/process.js";
import { freePort, restartedPid, startUp } from "../support/up-process.js";
import type { UpProcess } from "../support/up-process.js";

const MODEL = "kvmesh-tiny-random";

async function complete(up: UpProcess): Promise<{ status: number; worker: string | null }> {
  const res = await fetch(`${up.url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: MODEL, prompt: "hi", max_tokens: 2 }) });
  await res.text();
  return { status: res.status, worker: res.headers.get("x-kvmesh-worker-id") };
}

/** The argv of a running process. */
function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
}

describe("kvmesh up: supervisor, own mesh, flags", function () {
  this.timeout(180_000);
  after(() => stopAllProcesses(20_000));

  it("two ups side by side each serve only their own workers; a killed router is restarted", async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    // One HOME for both, as for one user running two `up`: only their own registries keep them apart.
    const home = mkdtempSync(join(tmpdir(), "kvmesh-up-pair-"));
    const [a, b] = await Promise.all([
      startUp(["--engine", "mocker", "--workers", "2", "--http-port", String(portA), "--metrics-port", "0", "--shutdown-grace", "3s", "--service-heap-mb", "300"], { home }),
      startUp(["--engine", "mocker", "--workers", "1", "--http-port", String(portB)], { home }),
    ]);
    expect(a.mesh).to.include(`namespace kvmesh-${portA}`).and.include(`${a.home}/.kvmesh/up/kvmesh-${portA}/registry`);
    expect(b.mesh).to.include(`namespace kvmesh-${portB}`);
    for (const [up, count] of [[a, 2], [b, 1]] as const) {
      const models = (await (await fetch(`${up.url}/v1/models`)).json()) as { data: Array<{ id: string; instances: number }> };
      expect(models.data, up.url).to.deep.equal([{ ...models.data[0], id: MODEL, instances: count }]);
      expect(up.workerIds).to.have.length(count);
      for (let i = 0; i < 6; i++) {
        const { status, worker } = await complete(up);
        expect(status).to.equal(200);
        expect(up.workerIds, "served by its own worker").to.include(worker);
      }
    }

    // Per-service metrics ports (distinct, each serving /metrics) and the forwarded grace.
    const names = ["frontend", "preprocessor", "router", "worker"];
    expect([...a.services.keys()]).to.deep.equal(names);
    const ports = names.map((n) => a.services.get(n)!.metricsPort!);
    expect(new Set(ports).size, String(ports)).to.equal(4);
    // Each port serves its own service's families; the worker's include the vLLM names that
    // schedulers and dashboards read (issue 16).
    const expected: Record<string, string[]> = {
      frontend: ["kvmesh_frontend_requests_total", "kvmesh_frontend_time_to_first_token_seconds"],
      preprocessor: ["kvmesh_preprocessor_requests_total"],
      router: ["kvmesh_router_decisions_total", "kvmesh_router_index_blocks"],
      worker: [
        "kvmesh_worker_kv_blocks_total", "vllm:num_requests_waiting", "vllm:num_requests_running", "vllm:kv_cache_usage_perc",
        "vllm:cache_config_info", "vllm:prompt_tokens_total", "vllm:generation_tokens_total", "vllm:prefix_cache_queries_total",
        "vllm:prefix_cache_hits_total",
      ],
    };
    for (const [i, name] of names.entries()) {
      const res = await fetch(`http://127.0.0.1:${ports[i]}/metrics`);
      expect(res.status).to.equal(200);
      const text = await res.text();
      for (const family of expected[name]) expect(text, `${name} :${ports[i]}`).to.include(`# TYPE ${family} `);
    }
    // /health lists the same scrape targets (one per process: the mocker hosts both workers).
    const health = (await (await fetch(`${a.url}/health`)).json()) as { metrics: Array<{ service: string; url: string; instances: string[] }> };
    expect(health.metrics.map((t) => `${t.service}:${new URL(t.url).port}`)).to.deep.equal(names.map((n, i) => `${n}:${ports[i]}`));
    expect(health.metrics.find((t) => t.service === "worker")!.instances).to.have.length(2);
    for (const name of names) expect(cmdline(a.services.get(name)!.pid).join(" "), name).to.include("--shutdown-grace 3s");
    // The heap limit goes to node (before the script), the default where none is given.
    for (const name of names) expect(cmdline(a.services.get(name)!.pid).slice(1, 2), name).to.deep.equal(["--max-old-space-size=300"]);
    for (const name of names) expect(cmdline(b.services.get(name)!.pid).slice(1, 2), name).to.deep.equal(["--max-old-space-size=1024"]);
    expect([...b.services.values()].every((s) => s.metricsPort === undefined), "no --metrics-port: no metrics servers").to.equal(true);

    // SIGKILL the router: up logs it, restarts it, and the mesh serves again within 5 s.
    const router = a.services.get("router")!;
    process.kill(router.pid, "SIGKILL");
    const killedAt = Date.now();
    await a.proc.waitForLine(/^kvmesh up: router \(pid \d+\) exited unexpectedly \(signal SIGKILL\).*restarting in 500 ms/, 10_000);
    const newPid = await restartedPid(a, "router", 1);
    expect(newPid).to.not.equal(router.pid);
    // The restarted router keeps its metrics port, so scrape targets stay valid.
    expect(cmdline(newPid).join(" ")).to.include(`--metrics-port ${router.metricsPort}`);
    let served = await complete(a).catch(() => ({ status: 0, worker: null }));
    while (served.status !== 200 && Date.now() - killedAt < 5000) served = await complete(a).catch(() => ({ status: 0, worker: null }));
    expect(served.status, "a request succeeds within 5 s of the kill").to.equal(200);
    expect(a.proc.exitCode, "up still runs").to.equal(undefined);

    // Ctrl-C stops every service of both, and nothing else.
    const pids = [...a.services.values(), ...b.services.values()].map((s) => s.pid).filter((p) => p !== router.pid).concat(newPid);
    a.proc.signal("SIGINT");
    b.proc.signal("SIGINT");
    expect(await a.proc.waitForExit(60_000)).to.equal(0);
    expect(await b.proc.waitForExit(60_000)).to.equal(0);
    for (const pid of pids) expect(existsSync(`/proc/${pid}`), `service ${pid} stopped`).to.equal(false);
  });

  it("--join <namespace> joins another up's mesh (its frontend sees both ups' workers)", async () => {
    const home = mkdtempSync(join(tmpdir(), "kvmesh-up-join-"));
    const portA = await freePort();
    const a = await startUp(["--engine", "mocker", "--workers", "1", "--http-port", String(portA), "--discovery-ttl", "1s"], { home });
    const b = await startUp(["--engine", "mocker", "--workers", "2", "--http-port", "0", "--discovery-ttl", "1s", "--join", `kvmesh-${portA}`], { home });
    expect(b.mesh).to.include(`namespace kvmesh-${portA}`).and.include("joined");
    // a's frontend follows the shared registry: b's workers show up there within moments.
    let instances = 0;
    for (let i = 0; i < 50 && instances !== 3; i++) {
      instances = ((await (await fetch(`${a.url}/v1/models`)).json()) as { data: Array<{ instances: number }> }).data[0].instances;
      if (instances !== 3) await new Promise((r) => setTimeout(r, 100));
    }
    expect(instances).to.equal(3);
    b.proc.signal("SIGINT");
    a.proc.signal("SIGINT");
    expect(await b.proc.waitForExit(60_000)).to.equal(0);
    expect(await a.proc.waitForExit(60_000)).to.equal(0);
  });
});
