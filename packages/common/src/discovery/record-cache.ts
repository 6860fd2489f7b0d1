/**
 * The file backend's records of each service directory, re-read only when the directory may
 * have changed. Every change to a directory (a record renamed in, a record removed) updates its
 * mtime, so a poll that finds the mtime it saw before reads no file: one stat instead of a
 * readdir and an open/read/close per instance, four times a second in every process (the file
 * reads were ~5% of each service's CPU in bench:mesh's short-request profile). Expiry needs no
 * read: liveness is re-evaluated from the cached expiresAt on every list.
 */
import { statSync } from "node:fs";
import { isCollectable } from "./file-record.js";
import type { FileRecord } from "./file-record.js";
import { readRecords } from "./file-store.js";

/**
 * File-system timestamps come from a coarse kernel clock (a few ms on Linux): a change in the
 * same tick as the stat before a read may leave the mtime unchanged. A directory whose mtime
 * was this close to its last read is read again (git's "racily clean" rule). Short, because
 * every heartbeat changes the directory (4 instances at a 10 s TTL: one change every ~0.8 s).
 * On a file system with coarser timestamps a missed change is seen at the directory's next
 * change (a heartbeat: TTL/3) or, for a removal nobody follows, at the record's expiry.
 */
const RACY_MS = 100;

interface Snapshot {
  readonly mtimeMs: number;
  /** Wall-clock time the records were read (after the stat that saw mtimeMs). */
  readonly readAtMs: number;
  readonly records: FileRecord[];
}

/** Cached directory reads of one discovery client. */
export class RecordCache {
  private readonly snapshots = new Map<string, Snapshot>();

  /** The records of `dir` (see readRecords); collects long-expired ones as a full read does. */
  async read(dir: string, now: number, ttlMs: number): Promise<FileRecord[]> {
    // Synchronous on purpose: a local directory's stat takes microseconds, while the promise
    // version's thread-pool round trip cost more CPU than the stat itself (bench:mesh profile).
    const mtimeMs = statMtimeMs(dir);
    const last = this.snapshots.get(dir);
    if (last !== undefined && mtimeMs === last.mtimeMs && mtimeMs < last.readAtMs - RACY_MS && !last.records.some((r) => isCollectable(r, now, ttlMs))) {
      return last.records;
    }
    const readAtMs = Date.now();
    const records = await readRecords(dir, now, ttlMs);
    if (mtimeMs === undefined) this.snapshots.delete(dir);
    else this.snapshots.set(dir, { mtimeMs, readAtMs, records });
    return records;
  }
}

/** The directory's mtime; undefined when it does not exist (yet). */
function statMtimeMs(dir: string): number | undefined {
  const info = statSync(dir, { throwIfNoEntry: false });
  return info?.mtimeMs;
}
