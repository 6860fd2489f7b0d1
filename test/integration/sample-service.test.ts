// The common bootstrap end to end, on a real process bound to 127.0.0.1:0: health, reflection
// (the served service's methods, health and reflection), metrics, and graceful SIGTERM with an open stream.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { get } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { ServiceError, StatusObject } from "@grpc/grpc-js";
import { createClient } from "#common/grpc-client.js";
import { runHealthcheck } from "#common/healthcheck.js";
import { FileDiscovery } from "#common/discovery/index.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { WorkerClient } from "#contracts/gen/kvmesh/v1/worker.js";
import type { KvStreamMessage } from "#contracts/gen/kvmesh/v1/worker.js";
import { startProcess, stopAllProcesses } from "../support/process.js";
import type { TestProcess } from "../support/process.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SAMPLE = fileURLToPath(new URL("../fixtures/sample-service.js", import.meta.url));

/** Runs the healthcheck subcommand, capturing what it prints. */
async function healthcheck(argv: string[]): Promise<{ code: number; text: string }> {
  const printed: string[] = [];
  const code = await runHealthcheck(argv, { out: (t) => printed.push(t), err: (t) => printed.push(t) });
  return { code, text: printed.join("\n") };
}

/** `kvmesh.v1.Worker/Generate` for every rpc of every service in proto/kvmesh/v1, parsed from the files. */
function declaredMethods(): string[] {
  const dir = join(ROOT, "proto", "kvmesh", "v1");
  const methods: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".proto"))) {
    const text = readFileSync(join(dir, file), "utf8").replace(/\/\/.*$/gm, "");
    const pkg = /^\s*package\s+([\w.]+)\s*;/m.exec(text)?.[1];
    for (const service of text.matchAll(/\bservice\s+(\w+)\s*\{([\s\S]*?)\n\}/g)) {
      for (const rpc of service[2].matchAll(/\brpc\s+(\w+)\s*\(/g)) methods.push(`${pkg}.${service[1]}/${rpc[1]}`);
    }
  }
  return methods.sort();
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c)).on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject);
  });
}

describe("sample service on the common bootstrap", function () {
  this.timeout(60_000);
  let proc: TestProcess;
  let address: string;
  let registryDir: string;
  let discovery: FileDiscovery;

  before(async () => {
    registryDir = mkdtempSync(join(tmpdir(), "kvmesh-sample-"));
    discovery = new FileDiscovery({ namespace: "kvmesh", dir: registryDir, ttlMs: 1000 });
    const flags = ["--shutdown-grace", "3s", "--metrics-port", "0", "--discovery-dir", registryDir, "--discovery-ttl", "1s"];
    proc = startProcess("node", [SAMPLE, ...flags], { cwd: ROOT });
    address = `127.0.0.1:${await proc.waitForListening()}`;
  });
  after(async () => {
    await stopAllProcesses();
    await discovery.close();
    rmSync(registryDir, { recursive: true, force: true });
  });

  it("registers itself in discovery with the bound port", async () => {
    const listed = await discovery.list("sample");
    expect(listed.map((i) => `${i.address}:${i.port}`)).to.deep.equal([address]);
  });

  it("reports SERVING for the server and its Worker service, NOT_FOUND for others", async () => {
    expect(await healthcheck([address])).to.deep.equal({ code: 0, text: "SERVING" });
    expect(await healthcheck([address, "--service", "kvmesh.v1.Worker"])).to.deep.equal({ code: 0, text: "SERVING" });
    const unknown = await healthcheck([address, "--service", "kvmesh.v1.Nope", "--timeout", "2s"]);
    expect(unknown.code).to.equal(1);
    expect(unknown.text).to.match(/^error: unknown service/);
  });

  it("reflects exactly the methods of what it serves: kvmesh.v1.Worker, health and reflection", async () => {
    // Issue 14: a server lists only its own services (it used to list every kvmesh.v1 service).
    const served = declaredMethods().filter((m) => m.startsWith("kvmesh.v1.Worker/"));
    expect(served.length).to.be.greaterThan(5);
    const expected = [...served, "grpc.health.v1.Health/Check", "grpc.health.v1.Health/Watch",
      "grpc.reflection.v1.ServerReflection/ServerReflectionInfo", "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"].sort();
    const buf = join(ROOT, "node_modules", ".bin", "buf");
    const { stdout } = await promisify(execFile)(buf, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", "--list-methods", `http://${address}`], { cwd: ROOT });
    expect(stdout.split("\n").filter((l) => l.trim() !== "").sort()).to.deep.equal(expected);
  });

  it("serves Prometheus metrics on --metrics-port", async () => {
    const line = await proc.waitForLine(/"msg":"listening"/);
    const metricsPort = (JSON.parse(line) as { metrics_port: number }).metrics_port;
    const res = await httpGet(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).to.equal(200);
    expect(res.body).to.match(/^kvmesh_sample_process_cpu_seconds_total /m);
  });

  it("on SIGTERM deregisters first, goes NOT_SERVING, refuses new calls, ends the open stream and exits 0", async () => {
    const client = createClient(WorkerClient, address);
    const stream = client.streamKvEvents({});
    const received: KvStreamMessage[] = [];
    stream.on("data", (m: KvStreamMessage) => received.push(m));
    let streamEnded = false;
    const ended = new Promise<number>((resolve) => {
      stream.on("status", (s: StatusObject) => {
        streamEnded = true;
        resolve(s.code);
      });
      stream.on("error", () => undefined); // the status event carries the code
    });
    await new Promise<void>((resolve) => stream.once("data", () => resolve()));

    proc.signal("SIGTERM");
    // Deregistration comes first: the instance leaves discovery while the stream is still open.
    for (let i = 0; i < 100 && (await discovery.list("sample")).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await discovery.list("sample")).to.deep.equal([]);
    expect(streamEnded, "stream still open after deregistration").to.equal(false);
    let seen: { code: number; text: string } | undefined;
    for (let i = 0; i < 100 && seen?.text !== "NOT_SERVING"; i++) seen = await healthcheck([address, "--timeout", "1s"]);
    expect(seen).to.deep.equal({ code: 1, text: "NOT_SERVING" });

    const refused = await new Promise<ServiceError | null>((resolve) => client.getLoad({}, (err) => resolve(err)));
    expect(refused?.code).to.equal(14); // UNAVAILABLE: callers retry another replica
    expect(refused?.details).to.equal("server shutting down");

    const code = await ended;
    expect([0, 14], `stream status ${code}`).to.include(code); // OK, or UNAVAILABLE when cut at the grace period
    expect(received.length).to.be.greaterThan(0);
    expect(await proc.waitForExit(15_000)).to.equal(0);
    client.close();
  });
});
