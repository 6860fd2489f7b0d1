// The workload of bench:router, built the same way in every process that needs it (the
// benchmark and its gRPC server process): seeded, so both sides index and route the same
// prompts. 64 workers × ~10,000 blocks; 4,096-token prompts (block size 16).
import { hashBlocks } from "#common/kv-hash.js";
import type { BlockHashes } from "#common/kv-hash.js";
import type { PromptBlockHashes } from "#contracts/gen/kvmesh/v1/common.js";
import { KvIndexer } from "../services/router/src/indexer/kv-indexer.js";
import type { KvEventBatchData } from "../services/router/src/indexer/types.js";
import { seededRng } from "../services/router/src/scheduling/rng.js";

/** Tokens per block. */
export const BS = 16;
/** Workers indexed. */
export const WORKERS = 64;
/** Tokens per routed prompt. */
export const PROMPT_TOKENS = 4096;
const PREFIXES = 8; // shared system prompts, 64 blocks each
const PREFIX_BLOCKS = 64;
const SEQS_PER_WORKER = 50; // each: a shared prefix + 192 own blocks → ~10,100 blocks a worker

/** A routed prompt and its block hashes, as the preprocessor would send them. */
export interface BenchPrompt {
  readonly tokenIds: number[];
  readonly blockHashes: PromptBlockHashes;
}

/** Everything the benchmark indexes and routes. */
export interface RouterWorkload {
  readonly workerIds: string[];
  /** Each worker's events filling its cache. */
  readonly batches: KvEventBatchData[];
  readonly storedBlocks: number;
  /** Half cached somewhere in full, half sharing only a 64-block prefix. */
  readonly prompts: BenchPrompt[];
}

/** The PromptBlockHashes of hashes computed by common/kv-hash.ts. */
export function asSupplied(h: BlockHashes): PromptBlockHashes {
  return { blockSize: BS, localHashes: h.local, sequenceHashes: h.sequence };
}

/** The seeded workload (the same in every process). */
export function buildRouterWorkload(seed = 2024): RouterWorkload {
  const rng = seededRng(seed);
  const randomTokens = (n: number): number[] => Array.from({ length: n }, () => Math.floor(rng() * 32000));
  const workerIds = Array.from({ length: WORKERS }, (_, w) => `worker-${String(w).padStart(2, "0")}`);
  const prefixes = Array.from({ length: PREFIXES }, () => randomTokens(PREFIX_BLOCKS * BS));
  const prefixHashes = prefixes.map((p) => hashBlocks(p, BS));
  const batches: KvEventBatchData[] = [];
  const cached: number[][] = [];
  for (let w = 0; w < WORKERS; w++) {
    const events: KvEventBatchData["events"][number][] = [];
    let id = 0n;
    for (let p = 0; p < PREFIXES; p++) {
      const h = prefixHashes[p];
      events.push({ eventId: ++id, data: { $case: "stored", stored: { blocks: h.local.map((localHash, i) => ({ localHash, sequenceHash: h.sequence[i] })) } } });
    }
    for (let s = 0; s < SEQS_PER_WORKER; s++) {
      const tokens = [...prefixes[s % PREFIXES], ...randomTokens(PROMPT_TOKENS - PREFIX_BLOCKS * BS)];
      const h = hashBlocks(tokens, BS, prefixHashes[s % PREFIXES]);
      if (s % 10 === 0) cached.push(tokens);
      const blocks = h.local.slice(PREFIX_BLOCKS).map((localHash, i) => ({ localHash, sequenceHash: h.sequence[PREFIX_BLOCKS + i] }));
      events.push({ eventId: ++id, data: { $case: "stored", stored: { parentSequenceHash: h.sequence[PREFIX_BLOCKS - 1], blocks } } });
    }
    batches.push({ workerId: workerIds[w], epoch: 1n, events });
  }
  const storedBlocks = batches.reduce((n, b) => n + b.events.reduce((m, e) => m + (e.data?.$case === "stored" ? e.data.stored.blocks.length : 0), 0), 0);
  const tokenLists = cached.flatMap((p, i) => [p, [...prefixes[i % PREFIXES], ...randomTokens(PROMPT_TOKENS - PREFIX_BLOCKS * BS)]]);
  const prompts = tokenLists.map((tokenIds) => ({ tokenIds, blockHashes: asSupplied(hashBlocks(tokenIds, BS)) }));
  return { workerIds, batches, storedBlocks, prompts };
}

/** A fresh index holding the workload's events. */
export function indexOf(workload: RouterWorkload): KvIndexer {
  const index = new KvIndexer();
  for (const batch of workload.batches) index.applyEvents(batch.workerId, batch.events);
  return index;
}
