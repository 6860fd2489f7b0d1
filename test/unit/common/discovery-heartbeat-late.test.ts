// A record written late (the owner's loop or disk stalled) is about to lapse in every reader's
// view: the file backend warns with the gap, so a "no preprocessor is available" burst can be
// traced to the owner that stopped heartbeating. Injected clock; markDraining forces a write.
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { FileDiscovery } from "#common/discovery/file-discovery.js";
import { serviceDir } from "#common/discovery/file-record.js";
import { writeRecord } from "#common/discovery/file-store.js";

const TTL_MS = 60_000; // heartbeats every 20 s; "late" is a gap over 30 s
const INTERVAL_MS = TTL_MS / 3;

describe("file discovery: late heartbeats are logged", () => {
  let dir = "";
  let now = 1_000_000;
  let warnings: Array<{ obj: Record<string, unknown>; msg: string }>;
  let discovery: FileDiscovery;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "kvmesh-discovery-late-"));
    now = 1_000_000;
    warnings = [];
    discovery = new FileDiscovery({
      namespace: "kvmesh", dir, ttlMs: TTL_MS, now: () => now,
      log: { warn: (obj: object, msg?: string) => void warnings.push({ obj: obj as Record<string, unknown>, msg: msg ?? "" }), debug: () => undefined },
    });
  });
  afterEach(async () => {
    await discovery.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const [gap, warned] of [[INTERVAL_MS * 1.5, false], [INTERVAL_MS * 1.5 + 1, true]] as const) {
    it(`a write ${gap} ms after the last one: ${warned ? "warns with the gap" : "no warning"}`, async () => {
      const registration = await discovery.register({ service: "preprocessor", instanceId: "p1", address: "127.0.0.1", port: 1, meta: {} });
      now += gap;
      await registration.markDraining();
      expect(warnings.map((w) => w.msg)).to.deep.equal(warned ? ["discovery heartbeat late"] : []);
      if (warned) expect(warnings[0].obj).to.include({ instance_id: "p1", since_last_ms: gap, write_ms: 0, ttl_ms: TTL_MS });
    });
  }

  it("the first write after registering never counts as late", async () => {
    now += 10 * TTL_MS;
    await discovery.register({ service: "preprocessor", instanceId: "p1", address: "127.0.0.1", port: 1, meta: {} });
    expect(warnings).to.deep.equal([]);
  });

  it("writes a record in one step: it is on disk when writeRecord returns, before any event-loop turn", () => {
    // As five awaited steps, each queued behind a busy loop's other callbacks, a heartbeat took
    // 1.7–3.4 s to land during the soak's bursts; written at once, a busy loop delays only its start.
    const d = serviceDir(dir, "kvmesh", "preprocessor");
    writeRecord(d, { instance: { service: "preprocessor", namespace: "kvmesh", instanceId: "p2", address: "127.0.0.1", port: 2, meta: {} }, expiresAt: now + TTL_MS });
    const written = JSON.parse(readFileSync(join(d, "p2.json"), "utf8")) as { expiresAt: number; instance: { instanceId: string } };
    expect(written.instance.instanceId).to.equal("p2");
    expect(written.expiresAt).to.equal(now + TTL_MS);
  });
});
