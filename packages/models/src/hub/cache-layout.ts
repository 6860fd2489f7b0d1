/**
 * The Hugging Face hub cache layout, shared with huggingface_hub and transformers so files
 * either tool fetched are reused:
 * `<hubCache>/models--<org>--<name>/{blobs/<id>, snapshots/<commit>/<file> → ../../blobs/<id>, refs/<revision>}`.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

/** A 40-hex git commit id. */
export function isCommitHash(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}

/** `org/name` → `models--org--name`. */
export function repoFolderName(repo: string): string {
  return `models--${repo.split("/").join("--")}`;
}

/** The inverse of {@link repoFolderName}, or undefined for a folder that is not a model repo. */
export function repoFromFolderName(folder: string): string | undefined {
  return folder.startsWith("models--") ? folder.slice("models--".length).split("--").join("/") : undefined;
}

/** Paths of one repository inside the hub cache. */
export class RepoCache {
  readonly root: string;

  constructor(hubCache: string, readonly repo: string) {
    this.root = join(hubCache, repoFolderName(repo));
  }

  blobPath(blobId: string): string {
    return join(this.root, "blobs", blobId);
  }

  snapshotDir(commit: string): string {
    return join(this.root, "snapshots", commit);
  }

  /** The commit a revision points to: itself for a commit hash, else refs/<revision>. */
  commitFor(revision: string): string | undefined {
    if (isCommitHash(revision)) return revision;
    const ref = join(this.root, "refs", revision);
    return existsSync(ref) ? readFileSync(ref, "utf8").trim() : undefined;
  }

  /** Records that `revision` resolved to `commit` (branch names may contain "/"). */
  writeRef(revision: string, commit: string): void {
    if (isCommitHash(revision)) return;
    const ref = join(this.root, "refs", revision);
    mkdirSync(dirname(ref), { recursive: true });
    writeFileSync(ref, commit);
  }

  /** Points snapshots/<commit>/<file> at the blob with a relative symlink, as huggingface_hub does. */
  linkIntoSnapshot(commit: string, file: string, blobId: string): void {
    const target = join(this.snapshotDir(commit), file);
    mkdirSync(dirname(target), { recursive: true });
    const staging = `${target}.link-${process.pid}`;
    rmSync(staging, { force: true });
    symlinkSync(relative(dirname(target), this.blobPath(blobId)), staging);
    renameSync(staging, target); // atomic replace of an older link
  }
}
