/**
 * Router.Route's request decoder: the generated RouteRequest.decode, except that the prompt's
 * token ids land in a Uint32Array and the block hashes in arrays sized once from their byte
 * length. The generated decoder grows each array by push: for a 4,096-token prompt the token
 * array's successive backing stores were ~110 KB of garbage per call; sized once as a JS array
 * it was still 32 KiB of young-generation heap per call, a third of what a Route call
 * allocated (bench:router's gRPC row). A Uint32Array keeps the ids outside the JS heap: 16 KiB
 * that scavenges neither copy nor promote.
 *
 * Same fields, tags and values as the generated decoder for every input, well-formed or not
 * (test/unit/router/route-request-decode.test.ts compares them, and fails when either message
 * gains a field this file does not know).
 */
import { BinaryReader } from "@bufbuild/protobuf/wire";
import type { PromptBlockHashes } from "#contracts/gen/kvmesh/v1/common.js";
import type { RouteRequest } from "#contracts/gen/kvmesh/v1/router.js";

/** A RouteRequest as this decoder returns it: the token ids in a Uint32Array. */
export type DecodedRouteRequest = Omit<RouteRequest, "tokenIds"> & { tokenIds: Uint32Array };

/** Decodes a serialized RouteRequest (grpc-js requestDeserialize). */
export function decodeRouteRequest(bytes: Uint8Array): DecodedRouteRequest {
  const reader = new BinaryReader(bytes);
  const message: DecodedRouteRequest = { model: "", tokenIds: NO_TOKENS, workerId: undefined, blockHashes: undefined };
  // Token ids in the order they came: packed runs, and unpacked ids gathered between them.
  const runs: Uint32Array[] = [];
  let unpacked: number[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag === 10) message.model = reader.string();
    else if (tag === 16) unpacked.push(reader.uint32());
    else if (tag === 18) {
      if (unpacked.length > 0) runs.push(Uint32Array.from(unpacked));
      unpacked = [];
      runs.push(packedUint32(bytes, reader));
    } else if (tag === 26) message.workerId = reader.string();
    else if (tag === 34) message.blockHashes = decodeBlockHashes(bytes, reader, reader.uint32());
    else if ((tag & 7) === 4 || tag === 0) break;
    else reader.skip(tag & 7);
  }
  if (unpacked.length > 0) runs.push(Uint32Array.from(unpacked));
  message.tokenIds = concat(runs);
  return message;
}

const NO_TOKENS = new Uint32Array(0);

/** The runs end to end (the one run itself, as a prompt is sent: one packed run). */
function concat(runs: readonly Uint32Array[]): Uint32Array {
  if (runs.length === 1) return runs[0];
  const out = new Uint32Array(runs.reduce((n, run) => n + run.length, 0));
  let at = 0;
  for (const run of runs) {
    out.set(run, at);
    at += run.length;
  }
  return out;
}

/** PromptBlockHashes at the reader's position, `length` bytes (as PromptBlockHashes.decode). */
function decodeBlockHashes(bytes: Uint8Array, reader: BinaryReader, length: number): PromptBlockHashes {
  const end = reader.pos + length;
  const message: PromptBlockHashes = { blockSize: 0, localHashes: [], sequenceHashes: [] };
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 8) message.blockSize = reader.uint32();
    else if (tag === 17) message.localHashes.push(reader.fixed64() as bigint);
    else if (tag === 18) message.localHashes = packedFixed64(reader, message.localHashes);
    else if (tag === 25) message.sequenceHashes.push(reader.fixed64() as bigint);
    else if (tag === 26) message.sequenceHashes = packedFixed64(reader, message.sequenceHashes);
    else if ((tag & 7) === 4 || tag === 0) break;
    else reader.skip(tag & 7);
  }
  return message;
}

/**
 * A packed run of uint32 varints as a Uint32Array of exactly its values; a last varint that
 * runs past the run's end (malformed) is read on, as the generated decoder does.
 *
 * Varints of up to 4 bytes that end inside the run (every id below 2^28: any vocabulary) are
 * read here, not through `reader.uint32()` per id (55 µs of a 4,096-token Route call, the
 * largest share of the router's own CPU in it); any other one goes through the reader, with its
 * checks and errors.
 *
 * One pass into a scratch array, then one copy of the ids (a memcpy): a first pass that counted
 * the ids to size the result made a 4,096-token request's decode 62.6 µs of CPU, 36.9 µs without
 * it (medians of 10 interleaved rounds, 2-core VM at load 4). Decoding is synchronous and the
 * result a copy, so one scratch serves every call.
 */
function packedUint32(bytes: Uint8Array, reader: BinaryReader): Uint32Array {
  const end = reader.uint32() + reader.pos;
  const limit = Math.min(end, bytes.length);
  // At most one id per byte of the run, and one more read on past its end (malformed).
  let out = scratchFor(Math.max(0, limit - reader.pos) + 1);
  let n = 0;
  let pos = reader.pos;
  while (pos < end) {
    let v = -1;
    const b0 = bytes[pos];
    if (b0 < 0x80) {
      v = b0;
      pos += 1;
    } else if (pos + 1 < limit && bytes[pos + 1] < 0x80) {
      v = (b0 & 0x7f) | (bytes[pos + 1] << 7);
      pos += 2;
    } else if (pos + 2 < limit && bytes[pos + 1] >= 0x80 && bytes[pos + 2] < 0x80) {
      v = (b0 & 0x7f) | ((bytes[pos + 1] & 0x7f) << 7) | (bytes[pos + 2] << 14);
      pos += 3;
    } else if (pos + 3 < limit && bytes[pos + 1] >= 0x80 && bytes[pos + 2] >= 0x80 && bytes[pos + 3] < 0x80) {
      v = (b0 & 0x7f) | ((bytes[pos + 1] & 0x7f) << 7) | ((bytes[pos + 2] & 0x7f) << 14) | (bytes[pos + 3] << 21);
      pos += 4;
    }
    if (v < 0) {
      reader.pos = pos;
      v = reader.uint32();
      pos = reader.pos;
    }
    if (n === out.length) {
      const grown = new Uint32Array(2 * n + 1);
      grown.set(out);
      out = grown;
    }
    out[n++] = v;
  }
  reader.pos = pos;
  return out.slice(0, n);
}

/** Packed runs of up to this many bytes decode in one reused scratch array (1 MiB); a longer one in its own. */
export const SCRATCH_MAX_IDS = 262_144;
let scratch = new Uint32Array(4096);

/** A scratch array of at least `size` ids (its contents are garbage). */
function scratchFor(size: number): Uint32Array {
  if (size <= scratch.length) return scratch;
  if (size > SCRATCH_MAX_IDS) return new Uint32Array(size);
  scratch = new Uint32Array(Math.min(SCRATCH_MAX_IDS, Math.max(size, 2 * scratch.length)));
  return scratch;
}

/** A packed run of fixed64 appended to `into`, read into an array sized from its length. */
function packedFixed64(reader: BinaryReader, into: bigint[]): bigint[] {
  const end = reader.uint32() + reader.pos;
  const out = new Array<bigint>(into.length + Math.ceil(Math.max(0, end - reader.pos) / 8));
  for (let i = 0; i < into.length; i++) out[i] = into[i];
  let n = into.length;
  while (reader.pos < end) out[n++] = reader.fixed64() as bigint;
  out.length = n;
  return out;
}
