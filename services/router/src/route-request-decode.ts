/**
 * Router.Route's request decoder: the generated RouteRequest.decode, except that the packed
 * repeated fields (the prompt's token ids, its block hashes) land in arrays sized once from
 * their byte length. The generated decoder grows each by push: for a 4,096-token prompt the
 * token array's successive backing stores were ~110 KB of garbage per call, over half of what a
 * Route call allocated in the router (bench:router's gRPC row).
 *
 * Same fields, tags and results as the generated decoder for every input, well-formed or not
 * (test/unit/router/route-request-decode.test.ts compares them, and fails when either message
 * gains a field this file does not know).
 */
import { BinaryReader } from "@bufbuild/protobuf/wire";
import type { PromptBlockHashes } from "#contracts/gen/kvmesh/v1/common.js";
import type { RouteRequest } from "#contracts/gen/kvmesh/v1/router.js";

/** Decodes a serialized RouteRequest (grpc-js requestDeserialize). */
export function decodeRouteRequest(bytes: Uint8Array): RouteRequest {
  const reader = new BinaryReader(bytes);
  const message: RouteRequest = { model: "", tokenIds: [], workerId: undefined, blockHashes: undefined };
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag === 10) message.model = reader.string();
    else if (tag === 16) message.tokenIds.push(reader.uint32());
    else if (tag === 18) message.tokenIds = packedUint32(bytes, reader, message.tokenIds);
    else if (tag === 26) message.workerId = reader.string();
    else if (tag === 34) message.blockHashes = decodeBlockHashes(bytes, reader, reader.uint32());
    else if ((tag & 7) === 4 || tag === 0) break;
    else reader.skip(tag & 7);
  }
  return message;
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
 * A packed run of uint32 varints appended to `into`: as many values as bytes without the
 * continuation bit in the run, read into an array of that size; a last varint that runs past
 * the run's end (malformed) is read on, as the generated decoder does.
 */
function packedUint32(bytes: Uint8Array, reader: BinaryReader, into: number[]): number[] {
  const end = reader.uint32() + reader.pos;
  let count = 0;
  for (let i = reader.pos; i < end && i < bytes.length; i++) if (bytes[i] < 0x80) count++;
  const out = new Array<number>(into.length + count);
  for (let i = 0; i < into.length; i++) out[i] = into[i];
  let n = into.length;
  while (reader.pos < end) {
    const v = reader.uint32();
    if (n < out.length) out[n] = v;
    else out.push(v);
    n++;
  }
  out.length = n;
  return out;
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
