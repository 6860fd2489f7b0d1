// ActiveSequences counts active blocks from its requests' chains (sequences/active-chains.ts)
// instead of per-block reference counts. On real sequence hashes the two must agree: this
// replays seeded random admissions and frees of prompts that share prefixes of every length
// and compares with per-block reference counts done the plain way.
import { expect } from "chai";
import { hashBlocks } from "#common/kv-hash.js";
import type { SequenceHash } from "#common/kv-hash.js";
import { seededRng } from "../../../services/router/src/scheduling/rng.js";
import { ActiveSequences } from "../../../services/router/src/sequences/active-sequences.js";

const BS = 4;
const WORKERS = ["w1", "w2", "w3"];

/** Per worker, sequence hash → references: the definition ActiveSequences must match. */
class PlainRefs {
  readonly counts = new Map<string, Map<bigint, number>>();
  add(workerId: string, hashes: readonly bigint[]): void {
    const m = this.counts.get(workerId) ?? new Map<bigint, number>();
    this.counts.set(workerId, m);
    for (const x of hashes) m.set(x, (m.get(x) ?? 0) + 1);
  }
  free(workerId: string, hashes: readonly bigint[]): void {
    const m = this.counts.get(workerId)!;
    for (const x of hashes) {
      const c = m.get(x)! - 1;
      if (c === 0) m.delete(x);
      else m.set(x, c);
    }
  }
  distinct(workerId: string): number {
    return this.counts.get(workerId)?.size ?? 0;
  }
  shared(workerId: string, hashes: readonly bigint[]): number {
    const m = this.counts.get(workerId);
    return m === undefined ? 0 : hashes.filter((x) => m.has(x)).length;
  }
}

describe("router active sequences: chains agree with per-block reference counts", () => {
  it("over 2,000 seeded random admissions and frees of prompts sharing prefixes", () => {
    const rng = seededRng(11);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
    // A tree of prompts: each extends a random earlier one by 0..5 blocks, so prefixes of every length are shared.
    const prompts: number[][] = [Array.from({ length: 3 * BS }, () => Math.floor(rng() * 500))];
    for (let i = 0; i < 60; i++) {
      const base = pick(prompts);
      const keep = Math.floor(rng() * (base.length / BS + 1)) * BS;
      prompts.push([...base.slice(0, keep), ...Array.from({ length: Math.floor(rng() * 6) * BS + 1 }, () => Math.floor(rng() * 500))]);
    }
    const chains = prompts.map((p) => hashBlocks(p, BS).sequence as SequenceHash[]);
    const seqs = new ActiveSequences(() => 0);
    const plain = new PlainRefs();
    const live = new Map<string, { workerId: string; chain: SequenceHash[] }>();
    for (let step = 0; step < 2000; step++) {
      if (live.size > 0 && rng() < 0.45) {
        const [id, r] = pick([...live]);
        seqs.free(id);
        plain.free(r.workerId, r.chain);
        live.delete(id);
      } else {
        const id = `r${step}`;
        const workerId = pick(WORKERS);
        const chain = pick(chains);
        seqs.add({ requestId: id, workerId, sequenceHashes: chain, totalBlocks: chain.length, prefillTokens: 0 });
        plain.add(workerId, chain);
        live.set(id, { workerId, chain });
      }
      const query = pick(chains);
      for (const w of WORKERS) {
        expect(seqs.activeBlocks(w), `step ${step}: active blocks of ${w}`).to.equal(plain.distinct(w));
        expect(seqs.sharedBlocks(query).get(w) ?? 0, `step ${step}: shared blocks on ${w}`).to.equal(plain.shared(w, query));
      }
    }
    expect(live.size, "the walk kept requests in flight").to.be.greaterThan(5);
  });
});
