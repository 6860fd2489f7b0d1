/** The hub's model-info API: which commit a revision is, and which files it holds. */
import { ModelLoadError } from "../model-errors.js";
import { hubFetch } from "./hub-fetch.js";
import type { HubSettings } from "./hub-settings.js";

/** One file of a repository revision. */
export interface HubFile {
  /** Path inside the repository (`onnx/model.onnx`). */
  readonly path: string;
  readonly size?: number;
  /** The git blob id (sha1) of the file, or of its LFS pointer when `sha256` is set. */
  readonly blobId?: string;
  /** sha256 of the content, given for LFS files. */
  readonly sha256?: string;
}

/** A resolved revision. */
export interface RepoInfo {
  readonly commit: string;
  readonly files: readonly HubFile[];
}

interface Sibling {
  rfilename?: unknown;
  size?: unknown;
  blobId?: unknown;
  lfs?: { sha256?: unknown; size?: unknown } | null;
}

function asFile(sibling: Sibling): HubFile | undefined {
  if (typeof sibling.rfilename !== "string") return undefined;
  const lfs = sibling.lfs ?? undefined;
  const size = typeof lfs?.size === "number" ? lfs.size : typeof sibling.size === "number" ? sibling.size : undefined;
  return {
    path: sibling.rfilename,
    size,
    blobId: typeof sibling.blobId === "string" ? sibling.blobId : undefined,
    sha256: typeof lfs?.sha256 === "string" ? lfs.sha256 : undefined,
  };
}

/** `GET /api/models/<repo>/revision/<revision>?blobs=true`. Throws ModelLoadError for 401/403/404 and unreachable hubs. */
export async function fetchRepoInfo(settings: HubSettings, repo: string, revision: string): Promise<RepoInfo> {
  const url = `${settings.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}?blobs=true`;
  const response = await hubFetch(settings, url, {}, `${repo}@${revision}`);
  const body = (await response.json()) as { sha?: unknown; siblings?: unknown };
  if (typeof body.sha !== "string" || !Array.isArray(body.siblings)) {
    throw new ModelLoadError(`the hub at ${settings.endpoint} answered ${url} without a commit sha and file list`);
  }
  const files = (body.siblings as Sibling[]).map(asFile).filter((f): f is HubFile => f !== undefined);
  return { commit: body.sha, files };
}
