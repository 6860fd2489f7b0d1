/** The `kvmesh up` flags of one policy's mesh in `kvmesh bench compare`. */

/** What the mesh flags depend on. */
export interface MeshArgsInput {
  readonly policy: string;
  readonly engine: string;
  readonly workers: number;
  readonly speedupRatio: number;
  readonly model: string;
  readonly blockSize: number;
  readonly workload: string;
  /** --num-kv-blocks as given (undefined: the workload's default). */
  readonly numKvBlocks: number | undefined;
  /** KV blocks per worker when a shared-prefix compare leaves --num-kv-blocks unset. */
  readonly sharedPrefixKvBlocks: number;
  /** The mesh's own discovery registry. */
  readonly discoveryDir: string;
  /** --up-args, split into words: last, so they win over everything above. */
  readonly upArgs: readonly string[];
}

/**
 * Shared-prefix runs get a bounded cache unless told otherwise; multi-turn histories and trace
 * prompts (up to 123K tokens) would not fit it, so those keep the worker's own default.
 */
export function meshArgs(input: MeshArgsInput): string[] {
  const kvBlocks = input.numKvBlocks ?? (input.workload === "shared-prefix" ? input.sharedPrefixKvBlocks : undefined);
  return [
    "--engine", input.engine, "--workers", String(input.workers), "--speedup-ratio", String(input.speedupRatio),
    "--router-mode", input.policy, "--http-port", "0", "--model", input.model, "--block-size", String(input.blockSize),
    ...(kvBlocks === undefined ? [] : ["--num-kv-blocks", String(kvBlocks)]),
    "--discovery-dir", input.discoveryDir, ...input.upArgs,
  ];
}
