// The file backend re-reads a service directory only when it may have changed: an unchanged
// directory (same mtime, last changed well before the last read) costs one stat; a change in
// the same coarse timestamp tick as a read, and records due for collection, force a read.
import { expect } from "chai";
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileDiscovery } from "#common/discovery/file-discovery.js";
import { serviceDir } from "#common/discovery/file-record.js";

const TTL_MS = 60_000;

describe("file discovery: cached directory reads", () => {
  let root = "";
  let now = 1_000_000;
  let discovery: FileDiscovery;
  let dir = "";
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "kvmesh-record-cache-"));
    now = 1_000_000;
    discovery = new FileDiscovery({ namespace: "kvmesh", dir: root, ttlMs: TTL_MS, now: () => now });
    await discovery.register({ service: "worker", instanceId: "w1", address: "127.0.0.1", port: 1, meta: {} });
    dir = serviceDir(root, "kvmesh", "worker");
  });
  afterEach(async () => {
    await discovery.close();
    await rm(root, { recursive: true, force: true });
  });

  /** Rewrites w1's record in place (no rename: the directory's mtime does not move) with another port. */
  async function rewriteInPlace(port: number): Promise<void> {
    const path = join(dir, "w1.json");
    const record = JSON.parse(await readFile(path, "utf8")) as { instance: { port: number } };
    record.instance.port = port;
    const { mtime } = await stat(dir);
    await writeFile(path, JSON.stringify(record));
    await utimes(dir, mtime, mtime);
  }
  const ports = async (): Promise<number[]> => (await discovery.list("worker")).map((i) => i.port);
  const ageDirectory = (seconds: number): Promise<void> => {
    const at = new Date(Math.floor(Date.now() - seconds * 1000));
    return utimes(dir, at, at);
  };

  it("serves an unchanged directory from the last read (a file changed without the directory is not seen)", async () => {
    await ageDirectory(10);
    expect(await ports()).to.deep.equal([1]);
    await rewriteInPlace(2);
    expect(await ports()).to.deep.equal([1]);
  });

  it("reads again once the directory changes", async () => {
    await ageDirectory(10);
    expect(await ports()).to.deep.equal([1]);
    await discovery.register({ service: "worker", instanceId: "w2", address: "127.0.0.1", port: 5, meta: {} });
    expect(await ports()).to.deep.equal([1, 5]);
  });

  it("reads again when the directory's mtime is not clearly older than the last read, even when unchanged (coarse timestamps)", async () => {
    // A directory stamped at (or after) the read: its change may share the read's timestamp tick.
    // (Whole ms, so rewriteInPlace restores it exactly.)
    await ageDirectory(-10);
    expect(await ports()).to.deep.equal([1]);
    await rewriteInPlace(3);
    expect(await ports()).to.deep.equal([3]);
  });

  it("expires from the cached records without a read, and still collects a long-expired record", async () => {
    await ageDirectory(10);
    expect(await ports()).to.deep.equal([1]);
    now += TTL_MS;
    expect(await ports()).to.deep.equal([]);
    expect(await readdir(dir)).to.include("w1.json");
    now += TTL_MS;
    expect(await ports()).to.deep.equal([]);
    expect(await readdir(dir)).to.not.include("w1.json");
  });
});
