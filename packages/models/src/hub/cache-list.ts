/** What the local model cache holds, as plain data for `kvmesh model list`. */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { tinyModelCacheDir } from "../tiny/create-tiny.js";
import { TINY_MODEL_NAME } from "../tiny/tiny-spec.js";
import { repoFromFolderName } from "./cache-layout.js";
import { variantsIn } from "./file-select.js";
import type { HubSettings } from "./hub-settings.js";

/** One snapshot (commit) of a cached repository. */
export interface CachedSnapshot {
  readonly commit: string;
  /** Branches and tags pointing at it (refs/*). */
  readonly refs: readonly string[];
  readonly files: readonly string[];
  /** ONNX variants present ("" is model.onnx). */
  readonly variants: readonly string[];
}

/** One cached model. */
export interface CachedModel {
  /** Repo id, or `kvmesh-tiny-random` for the generated model. */
  readonly name: string;
  readonly path: string;
  readonly snapshots: readonly CachedSnapshot[];
  /** Bytes of complete blobs (or files, for the generated model). */
  readonly sizeBytes: number;
  /** Bytes in `.incomplete` blobs: downloads a later pull resumes. */
  readonly partialBytes: number;
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)]))
    .sort();
}

function sizeOf(paths: readonly string[]): number {
  return paths.reduce((sum, path) => sum + (existsSync(path) ? statSync(path).size : 0), 0);
}

function cachedRepo(root: string, name: string): CachedModel {
  const refsDir = join(root, "refs");
  const refs = walk(refsDir).map((path) => ({ name: relative(refsDir, path), commit: readFileSync(path, "utf8").trim() }));
  const snapshotsDir = join(root, "snapshots");
  const commits = existsSync(snapshotsDir) ? readdirSync(snapshotsDir).sort() : [];
  const snapshots = commits.map((commit) => {
    const files = walk(join(snapshotsDir, commit)).map((path) => relative(join(snapshotsDir, commit), path).split("\\").join("/"));
    return { commit, refs: refs.filter((r) => r.commit === commit).map((r) => r.name), files, variants: variantsIn(files) };
  });
  const blobs = walk(join(root, "blobs"));
  return {
    name,
    path: root,
    snapshots,
    sizeBytes: sizeOf(blobs.filter((b) => !b.endsWith(".incomplete"))),
    partialBytes: sizeOf(blobs.filter((b) => b.endsWith(".incomplete"))),
  };
}

/** Every model repository in the hub cache (sorted by repo id), then the generated tiny model if present. */
export function listCachedModels(settings: HubSettings): CachedModel[] {
  const hub = settings.hubCache;
  const folders = existsSync(hub) ? readdirSync(hub).sort() : [];
  const models = folders
    .map((folder) => ({ folder, repo: repoFromFolderName(folder) }))
    .filter((entry): entry is { folder: string; repo: string } => entry.repo !== undefined)
    .map(({ folder, repo }) => cachedRepo(join(hub, folder), repo));
  const tiny = tinyModelCacheDir(settings.hfHome);
  if (existsSync(tiny)) {
    const files = walk(tiny).map((path) => relative(tiny, path).split("\\").join("/")).filter((f) => !f.startsWith("."));
    models.push({ name: TINY_MODEL_NAME, path: tiny, snapshots: [{ commit: "generated", refs: [], files, variants: variantsIn(files) }], sizeBytes: sizeOf(walk(tiny)), partialBytes: 0 });
  }
  return models;
}
