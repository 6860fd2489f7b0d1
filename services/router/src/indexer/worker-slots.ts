import type { WorkerId } from "./types.js";

/**
 * Small integer slots for the workers of one radix tree, so a block's holders are a bit set
 * (radix-node.ts) and matching a prompt ANDs 32 workers at a time. A cleared worker's slot is
 * reused; the width in 32-bit words only grows.
 */
export class WorkerSlots {
  private readonly bySlot: (WorkerId | undefined)[] = [];
  private readonly byWorker = new Map<WorkerId, number>();
  private readonly free: number[] = [];
  private active = new Uint32Array(1);
  /** Words of a full bit set. */
  words = 1;

  /** The worker's slot, assigned on first use. */
  slotOf(workerId: WorkerId): number {
    const known = this.byWorker.get(workerId);
    if (known !== undefined) return known;
    const slot = this.free.pop() ?? this.bySlot.length;
    this.bySlot[slot] = workerId;
    this.byWorker.set(workerId, slot);
    if (slot >>> 5 >= this.words) {
      this.words = (slot >>> 5) + 1;
      this.active = new Uint32Array(this.words);
    }
    return slot;
  }

  /** The worker in `slot`. */
  workerAt(slot: number): WorkerId {
    return this.bySlot[slot]!;
  }

  /** The worker holds no block any more: its slot may go to another. */
  release(workerId: WorkerId): void {
    const slot = this.byWorker.get(workerId);
    if (slot === undefined) return;
    this.byWorker.delete(workerId);
    this.bySlot[slot] = undefined;
    this.free.push(slot);
  }

  /** A reused bit set of `words` words (its content is the caller's to set). */
  scratch(): Uint32Array {
    return this.active;
  }
}
