// Router.Route's request decoder (route-request-decode.ts) sizes the packed arrays once; it must
// decode exactly what the generated RouteRequest.decode does: seeded random messages, the
// unpacked and split encodings a peer may send, unknown fields, and malformed runs; and it must
// be updated when either message gains a field.
import { expect } from "chai";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { PromptBlockHashes } from "#contracts/gen/kvmesh/v1/common.js";
import { RouteRequest } from "#contracts/gen/kvmesh/v1/router.js";
import { decodeRouteRequest, SCRATCH_MAX_IDS } from "../../../services/router/src/route-request-decode.js";
import type { DecodedRouteRequest } from "../../../services/router/src/route-request-decode.js";
import { seededRng } from "../../../services/router/src/scheduling/rng.js";

/** The message with its token ids in a plain array (the decoder returns a Uint32Array). */
function plain(message: DecodedRouteRequest | RouteRequest): RouteRequest {
  expect(message.tokenIds instanceof Uint32Array || Array.isArray(message.tokenIds)).to.equal(true);
  return { ...message, tokenIds: Array.from(message.tokenIds) };
}

/** Both decoders' outcome: the message (token ids as an array), or the error's class and text. */
function outcome(decode: (bytes: Uint8Array) => DecodedRouteRequest | RouteRequest, bytes: Uint8Array): unknown {
  try {
    return plain(decode(bytes));
  } catch (err) {
    return { threw: `${(err as Error).name}: ${(err as Error).message}` };
  }
}
const same = (bytes: Uint8Array, what: string): void =>
  void expect(outcome(decodeRouteRequest, bytes), what).to.deep.equal(outcome((b) => RouteRequest.decode(b), bytes));

describe("router: Route's request decoder matches the generated one", () => {
  it("knows every field of RouteRequest and PromptBlockHashes (a new field fails here: teach the decoder)", () => {
    expect(Object.keys(RouteRequest.fromPartial({}))).to.deep.equal(["model", "tokenIds", "workerId", "blockHashes"]);
    expect(Object.keys(PromptBlockHashes.fromPartial({}))).to.deep.equal(["blockSize", "localHashes", "sequenceHashes"]);
  });

  it("on 300 seeded random messages, token ids up to 2^32 − 1 and hashes up to 2^64 − 1", () => {
    const rng = seededRng(17);
    const u64 = (): bigint => (BigInt(Math.floor(rng() * 2 ** 32)) << 32n) | BigInt(Math.floor(rng() * 2 ** 32));
    for (let i = 0; i < 300; i++) {
      const n = Math.floor(rng() * 300);
      const blocks = Math.floor(rng() * 20);
      const message = RouteRequest.fromPartial({
        model: rng() < 0.9 ? `m${i}` : "",
        tokenIds: Array.from({ length: n }, () => (rng() < 0.1 ? 2 ** 32 - 1 : Math.floor(rng() * 2 ** (1 + Math.floor(rng() * 31))))),
        workerId: rng() < 0.3 ? `w${i}` : undefined,
        blockHashes: rng() < 0.7 ? { blockSize: 16, localHashes: Array.from({ length: blocks }, u64), sequenceHashes: Array.from({ length: blocks }, () => (rng() < 0.1 ? 2n ** 64n - 1n : u64())) } : undefined,
      });
      const bytes = RouteRequest.encode(message).finish();
      same(bytes, `message ${i}`);
      const decoded = decodeRouteRequest(bytes);
      expect(decoded.tokenIds).to.be.instanceOf(Uint32Array);
      expect(plain(decoded)).to.deep.equal(message);
    }
  });

  it("unpacked and split runs append, unknown fields are skipped, a repeated message field replaces", () => {
    const w = new BinaryWriter();
    w.uint32(16).uint32(7); // token 7 unpacked
    w.uint32(18).fork().uint32(1).uint32(300).uint32(2 ** 32 - 1).join(); // a packed run
    w.uint32(16).uint32(9); // unpacked after packed
    w.uint32(18).fork().join(); // an empty run
    w.uint32(99 << 3).uint32(5); // unknown varint field
    w.uint32((98 << 3) | 2).bytes(new Uint8Array([1, 2, 3])); // unknown length-delimited field
    w.uint32(34).fork().uint32(8).uint32(4).uint32(17).fixed64(11n).uint32(18).fork().fixed64(12n).join().uint32(25).fixed64(11n).uint32(26).fork().fixed64(5n).fixed64(6n).join().join();
    w.uint32(34).fork().uint32(8).uint32(16).join(); // a second block_hashes replaces the first
    w.uint32(10).string("m").uint32(26).string("w1");
    const bytes = w.finish();
    same(bytes, "mixed encodings");
    expect(plain(decodeRouteRequest(bytes))).to.deep.equal({ model: "m", tokenIds: [7, 1, 300, 2 ** 32 - 1, 9], workerId: "w1", blockHashes: { blockSize: 16, localHashes: [], sequenceHashes: [] } });
    // Unpacked ids only, and none at all.
    expect(Array.from(decodeRouteRequest(new BinaryWriter().uint32(16).uint32(3).uint32(16).uint32(0).finish()).tokenIds)).to.deep.equal([3, 0]);
    expect(decodeRouteRequest(new Uint8Array(0)).tokenIds).to.be.instanceOf(Uint32Array).with.lengthOf(0);
    const first = new BinaryWriter().uint32(34).fork().uint32(8).uint32(4).uint32(17).fixed64(11n).uint32(18).fork().fixed64(12n).join().uint32(26).fork().fixed64(5n).fixed64(6n).join().join().finish();
    expect(decodeRouteRequest(first).blockHashes).to.deep.equal({ blockSize: 4, localHashes: [11n, 12n], sequenceHashes: [5n, 6n] });
  });

  it("ids at every varint width's edges (1 to 5 bytes), in a packed run and its truncations", () => {
    const edges = [0, 1, 2 ** 7 - 1, 2 ** 7, 2 ** 14 - 1, 2 ** 14, 2 ** 21 - 1, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 32 - 1];
    const ids = [...edges, ...[...edges].reverse()];
    const bytes = RouteRequest.encode(RouteRequest.fromPartial({ tokenIds: ids })).finish();
    same(bytes, "edges");
    expect(Array.from(decodeRouteRequest(bytes).tokenIds)).to.deep.equal(ids);
    for (let cut = 0; cut <= bytes.length; cut++) same(bytes.slice(0, cut), `edges cut at ${cut}`);
    // A 6-byte (over-long) varint for 1, which the generated reader accepts.
    same(new Uint8Array([18, 6, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00]), "over-long varint");
  });

  it("each decode's ids are its own: later decodes (shorter, longer, at and one past the scratch's limit) leave earlier results as they were", () => {
    const idsOf = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => (i * 7919 + seed) % 50_000);
    const encode = (ids: number[]): Uint8Array => RouteRequest.encode(RouteRequest.fromPartial({ tokenIds: ids })).finish();
    // A packed run holds at most one id per byte: these sizes in bytes put the run at, or one past, the reuse limit.
    const atLimit = Array.from({ length: SCRATCH_MAX_IDS - 1 }, () => 1);
    const pastLimit = Array.from({ length: SCRATCH_MAX_IDS }, () => 2);
    const cases = [idsOf(5000, 1), idsOf(10, 2), atLimit, idsOf(0, 3), pastLimit, idsOf(4096, 4)];
    const decoded = cases.map((ids) => decodeRouteRequest(encode(ids)).tokenIds);
    cases.forEach((ids, i) => {
      expect(decoded[i].length, `case ${i}`).to.equal(ids.length);
      expect(Array.from(decoded[i]), `case ${i}`).to.deep.equal(ids);
    });
    // No two results share memory.
    const buffers = new Set(decoded.filter((d) => d.length > 0).map((d) => d.buffer));
    expect(buffers.size).to.equal(decoded.filter((d) => d.length > 0).length);
  });

  it("malformed input fails or decodes alike: truncated runs, a varint past its run, a fixed64 run of 7 or 9 bytes, an end-group tag", () => {
    const good = RouteRequest.encode(RouteRequest.fromPartial({ model: "m", tokenIds: [1, 200, 70000], blockHashes: { blockSize: 4, localHashes: [1n, 2n], sequenceHashes: [1n, 3n] } })).finish();
    for (let cut = 0; cut <= good.length; cut++) same(good.slice(0, cut), `cut at ${cut}`);
    // A packed run of 2 bytes whose second varint continues past it into the next field.
    same(new Uint8Array([18, 2, 1, 0x80, 0x01, 10, 1, 0x6d]), "varint past its run");
    for (const len of [7, 9]) {
      const inner = [0x12, len, ...Array.from({ length: 16 }, (_, i) => i + 1)];
      same(new Uint8Array([34, inner.length, ...inner]), `fixed64 run of ${len} bytes`);
    }
    same(new Uint8Array([10, 1, 0x6d, 0x0c, 16, 5]), "end-group tag stops the message");
    same(new Uint8Array([0, 16, 5]), "tag 0 stops the message");
  });
});
