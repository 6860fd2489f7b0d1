/**
 * Live heap of the worker's KV block pools as their caches fill (issue 13: the soak's worker
 * RSS grew with its caches). Builds `--pools` pools of `--num-blocks` blocks (the mocker hosts
 * 4 workers in one process, 16384 blocks each by default), then fills every block of every
 * pool with a cached hash the way requests do (allocate a request's blocks, cache them as a
 * chain of random uint64 hashes, free them tail first), then churns as many blocks again
 * (evicting and re-caching). Prints the heap in use after a full GC at each stage, so run it
 * with --expose-gc:
 *   node --expose-gc dist/bench/soak/pool-heap.js [--pools 4] [--num-blocks 16384] [--blocks-per-request 18]
 * A count, not a timing: machine load does not move it.
 */
import type { LocalBlockHash, SequenceHash } from "#common/kv-hash.js";
import { defineFlags, loadServiceConfig } from "#common/config/index.js";
import { seededUint32 } from "#common/seeded-random.js";
import { BlockPool } from "../../services/worker/src/engine/block-pool.js";
import { KvEventRecorder } from "../../services/worker/src/engine/kv-events.js";

const FLAGS = defineFlags([
  { name: "pools", type: "int", min: 1, default: 4, help: "block pools (workers in one mocker process)" },
  { name: "num-blocks", type: "int", min: 1, default: 16384, help: "blocks per pool (the mocker's default)" },
  { name: "blocks-per-request", type: "int", min: 1, default: 18, help: "blocks a request allocates, caches and frees (288 tokens of 16)" },
]);

const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

/** Memory in use right after a full GC, MiB: the V8 heap, and ArrayBuffers (typed arrays' storage, outside it). */
function live(): { heap: number; arrayBuffers: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with node --expose-gc");
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: mib(m.heapUsed), arrayBuffers: mib(m.arrayBuffers) };
}

/** Runs `blocks` blocks' worth of requests through `pool`, each caching a fresh hash chain. */
function run(pool: BlockPool, blocks: number, perRequest: number, next: () => number): void {
  const u64 = (): bigint => (BigInt(next()) << 32n) | BigInt(next());
  for (let done = 0; done < blocks; done += perRequest) {
    const ids = pool.allocate(Math.min(perRequest, pool.numFree)) as number[];
    let parent: SequenceHash | undefined;
    for (const id of ids) {
      const sequence = u64() as SequenceHash;
      pool.cache(id, { sequence, local: u64() as LocalBlockHash, parent });
      parent = sequence;
    }
    pool.free(ids.reverse());
  }
}

function main(flags: { pools: number; numBlocks: number; blocksPerRequest: number }): void {
  const next = seededUint32(13);
  const events = new KvEventRecorder();
  const before = live();
  const pools = Array.from({ length: flags.pools }, () => new BlockPool(flags.numBlocks, events));
  const empty = live();
  for (const pool of pools) run(pool, flags.numBlocks, flags.blocksPerRequest, next);
  const full = live();
  const cached = pools.reduce((n, p) => n + p.counts().cachedFree, 0);
  for (const pool of pools) run(pool, flags.numBlocks, flags.blocksPerRequest, next);
  const churned = live();
  console.log(JSON.stringify({ ...flags, cachedBlocks: cached, liveMiB: { before, empty, full, churned } }));
  const perBlock = (a: number, b: number, n: number): number => Math.round(((b - a) * 2 ** 20) / n);
  console.log(`V8 heap grown by filling: ${perBlock(empty.heap, full.heap, cached)} bytes per cached block; ` +
    `preallocated at start: ${perBlock(before.heap + before.arrayBuffers, empty.heap + empty.arrayBuffers, flags.pools * flags.numBlocks)} bytes per block`);
}

const loaded = loadServiceConfig({ service: "bench:pool-heap", spec: FLAGS, argv: process.argv.slice(2), out: console.log, err: console.error });
if (loaded.config === undefined) process.exitCode = loaded.exitCode;
else main(loaded.config);
