/**
 * A hub model in the local cache: served from the cache without any request when the
 * revision's files are there, otherwise resolved through the API and downloaded.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "#common/logger.js";
import { ModelLoadError } from "../model-errors.js";
import { normalizeOnnxVariant, onnxFileName } from "../onnx-variant.js";
import { RepoCache } from "./cache-layout.js";
import { downloadBlob } from "./download-blob.js";
import { REQUIRED_FILES, selectModelFiles } from "./file-select.js";
import { fetchRepoInfo } from "./hub-api.js";
import type { HubFile } from "./hub-api.js";
import type { HubSettings } from "./hub-settings.js";
import { defaultProgress } from "./progress.js";
import type { ProgressSink } from "./progress.js";

/** Options of {@link resolveHubModel}. */
export interface HubModelOptions {
  readonly settings: HubSettings;
  readonly log: Logger;
  /** Branch, tag or commit (default "main"). */
  readonly revision?: string;
  /** `--onnx-variant` (model.onnx when unset). */
  readonly onnxVariant?: string;
  /** Default: a bar on a TTY stderr, log lines otherwise. */
  readonly progress?: ProgressSink;
  /** Ask the hub what the revision is now even when the cache has it (`kvmesh model pull`); ignored offline. */
  readonly refresh?: boolean;
}

/** Files that must be in a snapshot for it to count as cached. */
function neededFiles(variant: string): string[] {
  return [...REQUIRED_FILES, `onnx/${onnxFileName(variant)}`];
}

/** The snapshot dir of `revision` if the cache holds its files, else the files missing. */
function cachedSnapshot(cache: RepoCache, revision: string, variant: string): { dir?: string; missing: string[] } {
  const commit = cache.commitFor(revision);
  if (commit === undefined) return { missing: [`refs/${revision}`] };
  const dir = cache.snapshotDir(commit);
  // existsSync follows the snapshot symlink, so a link to a deleted blob counts as missing.
  const missing = neededFiles(variant).filter((file) => !existsSync(join(dir, file)));
  return missing.length === 0 ? { dir, missing } : { missing };
}

/** Blob name: the sha256 for LFS files and the git blob id otherwise, as the hub's ETag is. */
function blobIdOf(file: HubFile, commit: string): string {
  return file.sha256 ?? file.blobId ?? createHash("sha256").update(`${commit}/${file.path}`).digest("hex");
}

/** JSON first, external data next, the .onnx last: a present .onnx implies its data arrived. */
function downloadOrder(path: string): number {
  if (path.endsWith(".json")) return 0;
  return path.endsWith(".onnx") ? 2 : 1;
}

async function downloadSnapshot(repo: string, revision: string, variant: string, options: HubModelOptions): Promise<string> {
  const { settings, log } = options;
  const info = await fetchRepoInfo(settings, repo, revision);
  const files = selectModelFiles(info.files, variant, repo).sort((a, b) => downloadOrder(a.path) - downloadOrder(b.path));
  const cache = new RepoCache(settings.hubCache, repo);
  const progress = options.progress ?? defaultProgress(log);
  const snapshot = cache.snapshotDir(info.commit);
  let fetched = 0;
  for (const file of files) {
    if (existsSync(join(snapshot, file.path))) continue;
    const blobId = blobIdOf(file, info.commit);
    const url = `${settings.endpoint}/${repo}/resolve/${info.commit}/${file.path}`;
    const gitSha1 = file.sha256 ? undefined : file.blobId;
    await downloadBlob({ url, blobPath: cache.blobPath(blobId), file: file.path, size: file.size, sha256: file.sha256, gitSha1 }, { settings, log, progress });
    cache.linkIntoSnapshot(info.commit, file.path, blobId);
    fetched++;
  }
  cache.writeRef(revision, info.commit);
  log.info({ repo, revision, commit: info.commit, files: files.length, fetched, dir: snapshot }, "model ready in cache");
  return snapshot;
}

/**
 * The local snapshot directory of `repo` at `revision` holding the worker's files. Uses the
 * cache without any request when complete (unless `refresh`); with HF_HUB_OFFLINE=1 a miss is a ModelLoadError
 * naming what is missing; otherwise downloads (resuming partial blobs).
 */
export async function resolveHubModel(repo: string, options: HubModelOptions): Promise<string> {
  const revision = options.revision ?? "main";
  const variant = normalizeOnnxVariant(options.onnxVariant);
  const cache = new RepoCache(options.settings.hubCache, repo);
  const cached = cachedSnapshot(cache, revision, variant);
  if (cached.dir !== undefined && (options.refresh !== true || options.settings.offline)) return cached.dir;
  if (options.settings.offline) {
    throw new ModelLoadError(
      `HF_HUB_OFFLINE=1 and ${repo}@${revision} (onnx/${onnxFileName(variant)}) is not in the cache ${cache.root} ` +
        `(missing: ${cached.missing.join(", ")}); run \`kvmesh model pull ${repo}\` with network access, or unset HF_HUB_OFFLINE`,
    );
  }
  return downloadSnapshot(repo, revision, variant, options);
}
