/**
 * `kvmesh_router_replica_agreement`: of the last {@link AGREEMENT_WINDOW} decision samples a
 * peer published that this replica could re-decide, the share where it chose the same worker.
 */
import type { DecisionSample } from "#contracts/gen/kvmesh/v1/router.js";
import { KvmeshError } from "#common/errors.js";
import type { Decider } from "../decider.js";
import type { SequenceHash, LocalBlockHash } from "#common/kv-hash.js";
import { requestBlockCount } from "#common/kv-hash.js";
import type { WorkerRegistry } from "../workers/worker-registry.js";

/** How many of the latest re-decided samples the agreement share is over. */
export const AGREEMENT_WINDOW = 256;

/** What re-deciding one sample gave. */
export type SampleOutcome = "agree" | "disagree" | "skipped";

/**
 * Re-decides peers' samples with this replica's own state (a dry run: nothing is admitted) and
 * keeps the outcome of the last {@link AGREEMENT_WINDOW}. A sample this replica cannot judge
 * (unknown model, other block size, the chosen worker unknown here, no routable worker) is
 * skipped, not counted as a disagreement.
 */
export class ReplicaAgreement {
  private readonly ring: boolean[] = [];
  private next = 0;
  private readonly totals = { agree: 0, disagree: 0, skipped: 0 };

  constructor(
    private readonly decider: Pick<Decider, "planBlocks">,
    private readonly registry: Pick<WorkerRegistry, "get" | "blockSize">,
  ) {}

  /** Re-decides one sample and records the outcome. */
  judge(sample: DecisionSample): SampleOutcome {
    const outcome = this.redecide(sample);
    this.totals[outcome]++;
    if (outcome !== "skipped") this.record(outcome === "agree");
    return outcome;
  }

  /** Share of agreeing samples in the window; undefined before any. */
  share(): number | undefined {
    if (this.ring.length === 0) return undefined;
    return this.ring.filter(Boolean).length / this.ring.length;
  }

  /** Samples judged since start, by outcome. */
  counts(): Readonly<Record<SampleOutcome, number>> {
    return { ...this.totals };
  }

  private redecide(sample: DecisionSample): SampleOutcome {
    if (this.registry.get(sample.workerId) === undefined || sample.blockSize <= 0) return "skipped";
    // Another block size here means other hashes: the index cannot answer for this sample.
    if (this.registry.blockSize(sample.model) !== sample.blockSize) return "skipped";
    if (sample.localHashes.length !== sample.sequenceHashes.length) return "skipped";
    try {
      const plan = this.decider.planBlocks({ model: sample.model }, {
        isl: sample.isl,
        blockSize: sample.blockSize,
        hashes: { local: sample.localHashes as LocalBlockHash[], sequence: sample.sequenceHashes as SequenceHash[] },
        requestBlocks: requestBlockCount(sample.isl, sample.blockSize),
      });
      return plan.decision.workerId === sample.workerId ? "agree" : "disagree";
    } catch (err) {
      if (err instanceof KvmeshError) return "skipped";
      throw err;
    }
  }

  private record(agreed: boolean): void {
    if (this.ring.length < AGREEMENT_WINDOW) this.ring.push(agreed);
    else this.ring[this.next] = agreed;
    this.next = (this.next + 1) % AGREEMENT_WINDOW;
  }
}
