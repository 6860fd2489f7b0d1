// Cross-process tests of the file discovery backend: real child processes
// (dist/test/fixtures/discovery-member.js) register into one registry directory.
import { expect } from "chai";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FileDiscovery } from "#common/discovery/index.js";
import type { ServiceInstance } from "#common/discovery/index.js";

const TTL_MS = 1000;
const POLL_MS = 250;
const MEMBER = fileURLToPath(new URL("../fixtures/discovery-member.js", import.meta.url));

interface Member {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** Resolves once the member printed its "registered" line; rejects if it exits first. */
  registered: Promise<void>;
}

/** Spawns a member process; the caller tracks it at once so cleanup never misses one. */
function spawnMember(dir: string, args: string[]): Member {
  const child = spawn(process.execPath, [MEMBER, "--dir", dir, "--ttl", String(TTL_MS), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let out = "";
  let err = "";
  child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const registered = new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (/^registered /m.test(out)) resolve();
    });
    void exited.then((code) => reject(new Error(`member exited with ${code} before registering: ${err}`)));
  });
  return { child, exited, registered };
}

async function waitFor(what: string, withinMs: number, cond: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${withinMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const ids = (instances: ServiceInstance[]): string[] => instances.map((i) => i.instanceId);

describe("file discovery across processes", function () {
  this.timeout(60_000);
  let dir = "";
  let members: Member[] = [];
  let discovery: FileDiscovery;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "kvmesh-discovery-xproc-"));
    discovery = new FileDiscovery({ namespace: "kvmesh", dir, ttlMs: TTL_MS, pollMs: POLL_MS });
  });
  afterEach(async () => {
    await discovery.close();
    for (const m of members) if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill("SIGKILL");
    await Promise.all(members.map((m) => m.exited));
    members = [];
    await rm(dir, { recursive: true, force: true });
  });

  it("sees a member appear, and vanish within the TTL after kill -9", async () => {
    const seen: string[][] = [];
    discovery.watch("worker", (list) => seen.push(ids(list)));
    const member = spawnMember(dir, ["--instance-id", "child-1"]);
    members.push(member);
    await member.registered;
    await waitFor("watch sees child-1", 2000, () => seen.at(-1)?.join() === "child-1");
    const listed = await discovery.list("worker");
    expect(listed[0].meta.pid).to.equal(String(member.child.pid));
    member.child.kill("SIGKILL");
    await member.exited;
    await waitFor("child-1 gone from the watch", TTL_MS + POLL_MS + 250, () => seen.at(-1)?.length === 0);
    expect(await discovery.list("worker")).to.deep.equal([]);
  });

  it("removes a member at once when it deregisters on SIGTERM", async () => {
    const member = spawnMember(dir, ["--instance-id", "child-2"]);
    members.push(member);
    await member.registered;
    expect(ids(await discovery.list("worker"))).to.deep.equal(["child-2"]);
    member.child.kill("SIGTERM");
    expect(await member.exited).to.equal(0);
    expect(await discovery.list("worker")).to.deep.equal([]);
  });

  it("loses nothing when many processes register into the same directory at once", async () => {
    const processes = 12;
    const perProcess = 10;
    members = Array.from({ length: processes }, (_, p) =>
      spawnMember(dir, ["--instance-id", `p${String(p).padStart(2, "0")}`, "--count", String(perProcess)]),
    );
    await Promise.all(members.map((m) => m.registered));
    const expected = Array.from({ length: processes }, (_, p) =>
      Array.from({ length: perProcess }, (_, k) => `p${String(p).padStart(2, "0")}-${k}`),
    ).flat().sort();
    expect(ids(await discovery.list("worker"))).to.deep.equal(expected);
    // Heartbeats from every process keep rewriting their own files: still exactly the same set.
    await new Promise((resolve) => setTimeout(resolve, TTL_MS * 1.5));
    expect(ids(await discovery.list("worker"))).to.deep.equal(expected);
    // Half the processes crash: exactly their instances expire.
    const killed = members.filter((_, p) => p % 2 === 0);
    for (const m of killed) m.child.kill("SIGKILL");
    await Promise.all(killed.map((m) => m.exited));
    const survivors = expected.filter((id) => Number(id.slice(1, 3)) % 2 === 1);
    await waitFor("crashed members expire", TTL_MS + POLL_MS + 500, async () => ids(await discovery.list("worker")).join() === survivors.join());
  });
});
