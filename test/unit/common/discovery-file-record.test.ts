import { expect } from "chai";
import { decodeRecord, encodeRecord, instanceFileName, isCollectable, isListed, isRecordFileName, pathSegment } from "#common/discovery/file-record.js";
import type { FileRecord } from "#common/discovery/file-record.js";

const instance = { service: "worker", namespace: "kvmesh", instanceId: "w1", address: "127.0.0.1", port: 1, meta: { model: "m" } };

describe("discovery file records", () => {
  const segments = [
    { name: "worker-1_a", segment: "worker-1_a" },
    { name: "..", segment: "%2E%2E" },
    { name: "a/b", segment: "a%2Fb" },
    { name: "a.b", segment: "a%2Eb" },
    { name: "é", segment: "%C3%A9" },
    { name: "a%2Fb", segment: "a%252Fb" }, // the escape character itself is escaped: no collisions
  ];
  for (const { name, segment } of segments) {
    it(`makes ${JSON.stringify(name)} one safe path segment`, () => expect(pathSegment(name)).to.equal(segment));
  }

  it("names instance files so that temp files are never mistaken for records", () => {
    expect(instanceFileName(".hidden")).to.equal("%2Ehidden.json");
    expect(isRecordFileName(instanceFileName(".hidden"))).to.equal(true);
    expect(isRecordFileName(".123-abc.tmp")).to.equal(false);
    expect(isRecordFileName(".x.json")).to.equal(false);
  });

  const decoded = [
    { name: "a valid record", text: encodeRecord({ instance, expiresAt: 5 }), ok: true },
    { name: "truncated JSON", text: encodeRecord({ instance, expiresAt: 5 }).slice(0, 20), ok: false },
    { name: "no expiresAt", text: JSON.stringify({ instance }), ok: false },
    { name: "a string port", text: JSON.stringify({ instance: { ...instance, port: "1" }, expiresAt: 5 }), ok: false },
    { name: "null", text: "null", ok: false },
  ];
  for (const { name, text, ok } of decoded) {
    it(`decodes ${name} ${ok ? "" : "as undefined"}`, () => {
      const record = decodeRecord(text);
      if (ok) expect(record).to.deep.equal({ instance, expiresAt: 5 });
      else expect(record).to.equal(undefined);
    });
  }

  const timeline: { now: number; draining: boolean; listed: boolean; collectable: boolean }[] = [
    { now: 999, draining: false, listed: true, collectable: false },
    { now: 1000, draining: false, listed: false, collectable: false },
    { now: 1999, draining: false, listed: false, collectable: false },
    { now: 2000, draining: false, listed: false, collectable: true },
    { now: 500, draining: true, listed: false, collectable: false },
  ];
  for (const { now, draining, listed, collectable } of timeline) {
    it(`at ${now} a ${draining ? "draining " : ""}record expiring at 1000 (ttl 1000) is listed=${listed}, collectable=${collectable}`, () => {
      const record: FileRecord = { instance: draining ? { ...instance, draining: true } : instance, expiresAt: 1000 };
      expect(isListed(record, now)).to.equal(listed);
      expect(isCollectable(record, now, 1000)).to.equal(collectable);
    });
  }
});
