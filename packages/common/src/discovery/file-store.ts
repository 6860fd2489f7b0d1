import { randomBytes } from "node:crypto";
import { readdir, readFile, stat, unlink } from "node:fs/promises";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeRecord, encodeRecord, instanceFileName, isCollectable, isRecordFileName } from "./file-record.js";
import type { FileRecord } from "./file-record.js";

/** Temp files older than this were left by a writer killed mid-write. */
const STALE_TEMP_MS = 60_000;

/**
 * Writes a record atomically: a uniquely named temp file in the same directory, then rename.
 * Readers therefore see the old record or the new one, never half a file, and since each
 * instance owns its own file no two processes ever rewrite the same file (no lost updates).
 *
 * Synchronous on purpose (a few small local syscalls, ~0.1 ms every TTL/3): as five awaited
 * steps, each waiting its turn in a busy event loop, a heartbeat took 1.7–3.4 s to land during
 * the soak's bursts of 2,000 streams (logged as "discovery heartbeat late"), long enough for
 * readers to see the record lapse ("no preprocessor is available").
 */
export function writeRecord(dir: string, record: FileRecord): void {
  mkdirSync(dir, { recursive: true });
  const target = join(dir, instanceFileName(record.instance.instanceId));
  const temp = join(dir, `.${process.pid}-${randomBytes(6).toString("hex")}.tmp`);
  try {
    writeFileSync(temp, encodeRecord(record));
    renameSync(temp, target);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** Removes an instance's record; a record already gone is fine. */
export async function removeRecord(dir: string, instanceId: string): Promise<void> {
  await unlink(join(dir, instanceFileName(instanceId))).catch(ignoreMissing);
}

/**
 * Reads every record of a service directory and garbage-collects records long expired (see
 * {@link isCollectable}) and stale temp files. Every race with other processes (a file renamed
 * over, removed, or collected by another reader meanwhile) is tolerated: that file is skipped.
 */
export async function readRecords(dir: string, now: number, ttlMs: number): Promise<FileRecord[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    ignoreMissing(err);
    return [];
  }
  const records = await Promise.all(
    names.map(async (name): Promise<FileRecord | undefined> => {
      const path = join(dir, name);
      if (!isRecordFileName(name)) {
        if (name.endsWith(".tmp")) await removeStaleTemp(path);
        return undefined;
      }
      const text = await readFile(path, "utf8").catch(ignoreMissing);
      const record = text === undefined ? undefined : decodeRecord(text);
      if (record && isCollectable(record, now, ttlMs)) {
        await unlink(path).catch(ignoreMissing);
        return undefined;
      }
      return record;
    }),
  );
  return records.filter((r): r is FileRecord => r !== undefined);
}

async function removeStaleTemp(path: string): Promise<void> {
  const info = await stat(path).catch(ignoreMissing);
  // File mtimes are wall-clock time, so this compares with Date.now, not the injected clock.
  if (info && info.mtimeMs < Date.now() - STALE_TEMP_MS) await unlink(path).catch(ignoreMissing);
}

/** Swallows "no such file" (another process got there first) and rethrows anything else. */
function ignoreMissing(err: unknown): undefined {
  if ((err as NodeJS.ErrnoException)?.code === "ENOENT") return undefined;
  throw err;
}
