import { expect } from "chai";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileDiscovery } from "#common/discovery/file-discovery.js";
import { serviceDir } from "#common/discovery/file-record.js";

// A long TTL keeps the real heartbeat timer silent; the injected clock does all the moving.
const TTL_MS = 60_000;

describe("file discovery with an injected clock", () => {
  let dir = "";
  let now = 1_000_000;
  let discovery: FileDiscovery;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "kvmesh-discovery-clock-"));
    now = 1_000_000;
    discovery = new FileDiscovery({ namespace: "kvmesh", dir, ttlMs: TTL_MS, now: () => now });
  });
  afterEach(async () => {
    await discovery.close();
    await rm(dir, { recursive: true, force: true });
  });

  const steps = [
    { advance: TTL_MS - 1, listed: true, fileKept: true },
    { advance: TTL_MS, listed: false, fileKept: true }, // expired: not listed, not yet collected
    { advance: 2 * TTL_MS - 1, listed: false, fileKept: true },
    { advance: 2 * TTL_MS, listed: false, fileKept: false }, // a full TTL later readers collect it
  ];
  for (const { advance, listed, fileKept } of steps) {
    it(`after ${advance} ms without a heartbeat: listed=${listed}, file kept=${fileKept}`, async () => {
      await discovery.register({ service: "worker", instanceId: "w1", address: "127.0.0.1", port: 1, meta: {} });
      now += advance;
      expect((await discovery.list("worker")).map((i) => i.instanceId)).to.deep.equal(listed ? ["w1"] : []);
      const files = await readdir(serviceDir(dir, "kvmesh", "worker"));
      expect(files.includes("w1.json")).to.equal(fileKept);
    });
  }

  it("skips malformed and foreign files without hiding the valid ones", async () => {
    await discovery.register({ service: "worker", instanceId: "w1", address: "127.0.0.1", port: 1, meta: {} });
    const d = serviceDir(dir, "kvmesh", "worker");
    await writeFile(join(d, "broken.json"), "{\"instance\":");
    await writeFile(join(d, "notes.txt"), "hello");
    expect((await discovery.list("worker")).map((i) => i.instanceId)).to.deep.equal(["w1"]);
  });

  it("fires a watch when the clock expires an instance, with no file event", async () => {
    await discovery.register({ service: "worker", instanceId: "w1", address: "127.0.0.1", port: 1, meta: {} });
    const fast = new FileDiscovery({ namespace: "kvmesh", dir, ttlMs: TTL_MS, now: () => now, pollMs: 10 });
    const seen: string[][] = [];
    const watch = fast.watch("worker", (list) => seen.push(list.map((i) => i.instanceId)));
    try {
      while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      now += TTL_MS;
      while (seen.length === 1) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(seen).to.deep.equal([["w1"], []]);
    } finally {
      watch.close();
      await fast.close();
    }
  });
});
