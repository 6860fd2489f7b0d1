/**
 * Downloads one file into the blob store, resumably: bytes go to `<blob>.incomplete`, a later
 * attempt (in this call or after a crash) asks for the rest with an HTTP Range request, and
 * only a complete, checksum-verified file is renamed to its blob name.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { Logger } from "#common/logger.js";
import { ModelLoadError } from "../model-errors.js";
import { withBlobLock } from "./blob-lock.js";
import { hubFetch } from "./hub-fetch.js";
import type { HubSettings } from "./hub-settings.js";
import type { ProgressSink } from "./progress.js";

/** What to fetch and how to check it. */
export interface BlobRequest {
  readonly url: string;
  /** Path of the finished blob. */
  readonly blobPath: string;
  /** Repository path, for progress and messages. */
  readonly file: string;
  readonly size?: number;
  /** sha256 of the content (the hub gives it for LFS files). */
  readonly sha256?: string;
  /** git blob sha1 of the content (the hub's blobId of a non-LFS file). */
  readonly gitSha1?: string;
}

/** Collaborators of {@link downloadBlob}. */
export interface DownloadContext {
  readonly settings: HubSettings;
  readonly log: Logger;
  readonly progress: ProgressSink;
  /** Attempts per file when the connection breaks mid-body (default 3). */
  readonly attempts?: number;
}

async function digest(path: string, algorithm: "sha256" | "sha1", prefix?: string): Promise<string> {
  const hash = createHash(algorithm);
  if (prefix !== undefined) hash.update(prefix);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Throws ModelLoadError (and deletes the bytes) when size or checksum disagree with the hub. */
async function verify(partial: string, request: BlobRequest): Promise<void> {
  const size = statSync(partial).size;
  let problem: string | undefined;
  if (request.size !== undefined && size !== request.size) problem = `size ${size}, expected ${request.size}`;
  else if (request.sha256 && (await digest(partial, "sha256")) !== request.sha256) problem = `sha256 differs from the hub's ${request.sha256}`;
  else if (!request.sha256 && request.gitSha1 && (await digest(partial, "sha1", `blob ${size}\0`)) !== request.gitSha1) {
    problem = `git blob id differs from the hub's ${request.gitSha1}`;
  }
  if (problem === undefined) return;
  rmSync(partial, { force: true });
  throw new ModelLoadError(`downloaded ${request.file} is corrupt (${problem}); it was deleted, run again to refetch it`);
}

/** One GET from offset `have`; resolves when the body is written, rejects when it breaks. */
async function fetchInto(partial: string, request: BlobRequest, context: DownloadContext): Promise<void> {
  let have = existsSync(partial) ? statSync(partial).size : 0;
  if (request.size !== undefined && have > request.size) have = 0;
  if (request.size !== undefined && have === request.size) return;
  const headers: Record<string, string> = have > 0 ? { range: `bytes=${have}-` } : {};
  const response = await hubFetch(context.settings, request.url, headers, request.file, [416]);
  // 416: nothing left after `have` (a complete file whose rename was interrupted).
  if (response.status === 416) {
    await response.body?.cancel();
    return;
  }
  // 200 to a Range request: the server sent the whole file, so start over. A 206 from
  // elsewhere than asked cannot be appended either.
  const rangeStart = Number(/^bytes (\d+)-/.exec(response.headers.get("content-range") ?? "")?.[1] ?? Number.NaN);
  if (response.status !== 206) have = 0;
  else if (rangeStart !== have) {
    await response.body?.cancel();
    rmSync(partial, { force: true });
    throw new Error(`asked for bytes from ${have}, the hub sent a range from ${rangeStart}`);
  }
  context.progress.begin(request.file, request.size, have);
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      context.progress.advance(chunk.length);
      callback(null, chunk);
    },
  });
  const body = Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>);
  const sink = createWriteStream(partial, { flags: have > 0 ? "a" : "w" });
  try {
    await pipeline(body, counter, sink);
  } catch (err) {
    // pipeline can reject while a write is still in flight; the next attempt sizes the file
    // for its Range request, so wait until the stream has really closed.
    if (!sink.closed) await new Promise<void>((resolve) => sink.once("close", () => resolve()));
    throw err;
  }
  context.progress.end();
}

/**
 * Fetches `request.url` into `request.blobPath` unless that blob already exists. A broken
 * connection is retried from where it stopped, up to `attempts` times; the partial file stays
 * for the next run when all fail.
 */
export async function downloadBlob(request: BlobRequest, context: DownloadContext): Promise<void> {
  if (existsSync(request.blobPath)) return;
  mkdirSync(dirname(request.blobPath), { recursive: true });
  // Whoever held the lock before us may have finished the blob.
  await withBlobLock(request.blobPath, () => (existsSync(request.blobPath) ? Promise.resolve() : downloadLocked(request, context)));
}

async function downloadLocked(request: BlobRequest, context: DownloadContext): Promise<void> {
  const partial = `${request.blobPath}.incomplete`;
  const attempts = context.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      await fetchInto(partial, request, context);
      break;
    } catch (err) {
      if (err instanceof ModelLoadError) throw err;
      const have = existsSync(partial) ? statSync(partial).size : 0;
      if (attempt >= attempts) {
        throw new ModelLoadError(`download of ${request.file} broke off after ${have} bytes (${(err as Error).message}); run again to resume it`);
      }
      context.log.warn({ file: request.file, bytes: have, attempt, err: (err as Error).message }, "download interrupted, resuming");
    }
  }
  await verify(partial, request);
  renameSync(partial, request.blobPath);
}
