// Replays KV events into the set of blocks they describe, so tests can compare a follower's
// view with a worker's DumpKvState.
import type { KvEvent } from "#contracts/gen/kvmesh/v1/events.js";

/** Sequence hash → parent sequence hash ("root" for a first block), as the events leave it. */
export function replayKvEvents(events: readonly KvEvent[], into: Map<bigint, bigint | "root"> = new Map()): Map<bigint, bigint | "root"> {
  for (const event of events) {
    const data = event.data;
    if (data?.$case === "stored") {
      let parent: bigint | "root" = data.stored.parentSequenceHash ?? "root";
      for (const block of data.stored.blocks) {
        into.set(block.sequenceHash, parent);
        parent = block.sequenceHash;
      }
    } else if (data?.$case === "removed") {
      for (const hash of data.removed.sequenceHashes) into.delete(hash);
    } else if (data?.$case === "cleared") {
      into.clear();
    }
  }
  return into;
}

/** A map as sorted `hash<-parent` strings, for deep-equal comparisons with readable diffs. */
export function blockSetOf(blocks: Map<bigint, bigint | "root">): string[] {
  return [...blocks].map(([hash, parent]) => `${hash}<-${parent}`).sort();
}
