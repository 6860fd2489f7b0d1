/**
 * The memory a retained KV event costs, so the worker's event ring can be bounded in bytes:
 * events differ a lot in size (a prefill of a long prompt stores hundreds of blocks in one
 * event, a decode step one), so a bound in events is no bound on memory.
 */
import type { KvEvent } from "#contracts/gen/kvmesh/v1/events.js";

/**
 * V8 heap bytes of the JS objects of one event (node 20, 64-bit, measured with
 * `process.memoryUsage().heapUsed` after gc over 200,000 events): the event, its oneof and
 * payload objects and its id (224), each stored block with its two 64-bit hashes (112), each
 * removed hash (40). It errs high for removals and never low.
 */
export const EVENT_BASE_BYTES = 224;
/** One StoredBlock object and its two bigints. */
export const STORED_BLOCK_BYTES = 112;
/** One bigint in a removed event's sequence_hashes. */
export const REMOVED_HASH_BYTES = 40;

/** Approximate heap bytes of `event` (see {@link EVENT_BASE_BYTES}). */
export function eventBytes(event: KvEvent): number {
  const data = event.data;
  if (data?.$case === "stored") return EVENT_BASE_BYTES + STORED_BLOCK_BYTES * data.stored.blocks.length;
  if (data?.$case === "removed") return EVENT_BASE_BYTES + REMOVED_HASH_BYTES * data.removed.sequenceHashes.length;
  return EVENT_BASE_BYTES;
}
