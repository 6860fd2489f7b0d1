// The compose topology (deploy/compose.yaml, mocker profile) as local processes, each started
// with its compose command: a real nats-server, discovery through the Consul backend against
// the loopback Consul stand-in (test/support/consul-standin.ts — no Consul server can be
// installed on these machines), two mocker workers on stories260K with the compose chat
// template, the router with --kv-events nats, the preprocessor and the frontend. A chat request
// streams through it with the official `openai` client.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { deployDir } from "../support/compose-file.js";
import { startDeployMesh } from "../support/deploy-mesh.js";
import type { DeployMesh } from "../support/deploy-mesh.js";
import { stopAllProcesses } from "../support/process.js";
import { requireStoriesModel } from "../support/stories-model.js";
import { KVMESH_CLI, metricSum, scrape } from "../support/worker-process.js";

/** Runs the image's health check script with `kvmesh` on PATH (as in the image) and `env`. */
function imageHealthcheck(env: Record<string, string>): Promise<number> {
  // The image links dist/cli/kvmesh.js into PATH; tsc leaves it non-executable here, so a shim.
  const bin = mkdtempSync(join(tmpdir(), "kvmesh-bin-"));
  writeFileSync(join(bin, "kvmesh"), `#!/bin/sh\nexec node '${KVMESH_CLI}' "$@"\n`, { mode: 0o755 });
  return new Promise((resolve) => {
    execFile("sh", [join(deployDir, "healthcheck.sh")], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, ...env } }, (err) =>
      resolve(err ? ((err as { code?: number }).code ?? 1) : 0));
  });
}

interface HealthEntry { Service: { ID: string; Address: string; Port: number; Meta: Record<string, string>; Tags?: string[] } }

async function passing(mesh: DeployMesh, name: string): Promise<HealthEntry[]> {
  return (await (await fetch(`${mesh.consul.url}/v1/health/service/${name}?passing`)).json()) as HealthEntry[];
}

// Over one mocker block (64 tokens), so the request stores a full block and the worker
// publishes a KV event.
const PROMPT = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends every day. "
  + "One day, a little boy named Tim went to the park with his mom. He saw a big tree and wanted to climb it. His mom said, be careful, Tim!";

describe("deploy smoke: the compose topology as local processes (Consul backend, NATS events)", function () {
  this.timeout(120_000);
  let mesh: DeployMesh | undefined;

  before(async function () {
    requireStoriesModel(this);
    mesh = await startDeployMesh();
  });
  after(async () => {
    await mesh?.stop();
    await stopAllProcesses();
  });

  it("registers every service in Consul with its address and meta, once serving", async () => {
    const workers = await passing(mesh!, "kvmesh-worker");
    expect(workers.map((w) => `${w.Service.Address}:${w.Service.Port}`).sort()).to.deep.equal([...mesh!.workers].sort());
    for (const w of workers) {
      expect(w.Service.Meta).to.include({ model: "stories260K", block_size: "64", engine: "mocker", kvmesh_namespace: "kvmesh", kvmesh_service: "worker", kvmesh_role: "worker" });
    }
    for (const [name, address] of [["kvmesh-router", mesh!.router], ["kvmesh-preprocessor", mesh!.preprocessor], ["kvmesh-frontend", mesh!.frontendGrpc]]) {
      const entries = await passing(mesh!, name);
      expect(entries.map((e) => `${e.Service.Address}:${e.Service.Port}`), name).to.deep.equal([address]);
    }
  });

  it("streams a chat completion token by token through frontend → preprocessor → router → worker", async () => {
    const openai = new OpenAI({ baseURL: `${mesh!.url}/v1`, apiKey: "unused", maxRetries: 0 });
    expect((await openai.models.list()).data.map((m) => m.id)).to.deep.equal(["stories260K"]);
    const stream = await openai.chat.completions.create({
      model: "stories260K", messages: [{ role: "user", content: PROMPT }], max_tokens: 12, temperature: 0,
      stream: true, stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    let extension: { worker_id?: string } | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta?.content;
      if (delta) deltas.push(delta);
      if (chunk.usage) usage = chunk.usage;
      extension ??= (chunk as { kvmesh?: { worker_id?: string } }).kvmesh;
    }
    expect(deltas.length, "several content chunks, not one buffered answer").to.be.greaterThan(1);
    expect(usage?.completion_tokens).to.equal(12);
    expect(usage?.prompt_tokens).to.be.greaterThan(64);
    const servedBy = extension?.worker_id;
    const workerIds = (await passing(mesh!, "kvmesh-worker")).map((w) => w.Service.ID);
    expect(workerIds).to.include(servedBy);
  });

  it("the image's health check passes for a serving gRPC service and a ready frontend, and fails without one", async () => {
    const port = (address: string): string => address.slice(address.lastIndexOf(":") + 1);
    expect(await imageHealthcheck({ KVMESH_HEALTH_PORT: port(mesh!.router) })).to.equal(0);
    expect(await imageHealthcheck({ KVMESH_HEALTH_PORT: port(mesh!.workers[0]) })).to.equal(0);
    expect(await imageHealthcheck({ KVMESH_HEALTH_URL: `${mesh!.url}/health` })).to.equal(0);
    expect(await imageHealthcheck({ KVMESH_HEALTH_URL: `${mesh!.url}/no-such-page` })).to.equal(1);
    expect(await imageHealthcheck({ KVMESH_HEALTH_PORT: "1" })).to.equal(1);
  });

  it("the router indexed the worker's KV events from NATS", async () => {
    const deadline = Date.now() + 10_000;
    let applied = 0;
    while (applied === 0 && Date.now() < deadline) {
      applied = metricSum(await scrape(mesh!.routerMetricsPort), "kvmesh_router_kv_events_applied_total");
      if (applied === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(applied).to.be.greaterThan(0);
  });
  // Last: it stops a worker.
  it("a worker stopped with SIGTERM leaves Consul at once (deregistered, not left critical), and requests go to the other", async () => {
    const [first] = mesh!.processes;
    const before = mesh!.consul.serviceIds("kvmesh-worker");
    expect(before).to.have.length(2);
    expect(await first.stop(10_000)).to.equal(0);
    const after = mesh!.consul.serviceIds("kvmesh-worker");
    expect(after).to.have.length(1);
    const openai = new OpenAI({ baseURL: `${mesh!.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const answer = await openai.chat.completions.create({ model: "stories260K", messages: [{ role: "user", content: PROMPT }], max_tokens: 4 });
    expect((answer as unknown as { kvmesh: { worker_id: string } }).kvmesh.worker_id).to.equal(after[0]);
  });
});
