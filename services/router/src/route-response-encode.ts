/**
 * Router.Route's response encoder: the generated RouteResponse.encode over the decision's own
 * per-worker rows, rounding their prefill tokens and decode blocks as it writes them. Building
 * a rounded copy of the 64 rows first (one object per worker) was ~5 KB of garbage per call,
 * the largest share of Route's own (bench:router's gRPC row).
 *
 * Same bytes as RouteResponse.encode of the rounded rows for every answer
 * (test/unit/router/route-response-encode.test.ts compares them, and fails when either message
 * gains a field this file does not know).
 */
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import type { RouteResponse } from "#contracts/gen/kvmesh/v1/router.js";
import type { WorkerCostTerms } from "./scheduling/cost.js";

/** Router.Route's answer before encoding: the rows as the selector built them (fractional load). */
export type RouteAnswer = Omit<RouteResponse, "workers"> & { readonly workers: readonly WorkerCostTerms[] };

/** The serialized RouteResponse of `answer` (grpc-js responseSerialize). */
export function encodeRouteResponse(answer: RouteAnswer): Buffer {
  const writer = new BinaryWriter();
  if (answer.workerId !== "") writer.uint32(10).string(answer.workerId);
  for (const row of answer.workers) writeRow(writer.uint32(18).fork(), row).join();
  if (answer.bestOverlapBlocks !== 0) writer.uint32(24).uint32(answer.bestOverlapBlocks);
  if (answer.requestBlocks !== 0) writer.uint32(32).uint32(answer.requestBlocks);
  if (answer.blockSize !== 0) writer.uint32(40).uint32(answer.blockSize);
  if (answer.predictedCachedTokens !== 0) writer.uint32(48).uint32(answer.predictedCachedTokens);
  if (answer.predictedTtftMs !== undefined) writer.uint32(57).double(answer.predictedTtftMs);
  const bytes = writer.finish();
  // A view, not a copy: the writer's buffer is this answer's alone.
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** One WorkerCost (as WorkerCost.encode), prefill tokens and decode blocks rounded. */
function writeRow(writer: BinaryWriter, row: WorkerCostTerms): BinaryWriter {
  const prefillTokens = Math.round(row.prefillTokens);
  const decodeBlocks = Math.round(row.decodeBlocks);
  if (row.workerId !== "") writer.uint32(10).string(row.workerId);
  if (row.overlapBlocks !== 0) writer.uint32(16).uint32(row.overlapBlocks);
  if (prefillTokens !== 0) writer.uint32(24).uint32(prefillTokens);
  if (decodeBlocks !== 0) writer.uint32(32).uint32(decodeBlocks);
  if (row.cost !== 0) writer.uint32(41).double(row.cost);
  if (row.busy) writer.uint32(48).bool(row.busy);
  return writer;
}
