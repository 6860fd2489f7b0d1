/**
 * One downloader per blob: workers started together (`kvmesh up --workers N`, or several
 * mocker workers in one process) must not append to the same `.incomplete` file at once.
 * In-process callers queue on a promise; other processes see `<blob>.lock` holding the
 * owner's pid, and wait while that pid is alive (a lock left by a dead process is taken over).
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

const inProcess = new Map<string, Promise<unknown>>();

function ownerAlive(lockPath: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(lockPath, "utf8").trim());
  } catch {
    return false; // vanished between our open and read: free
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return pid === process.pid;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // alive, owned by someone else
  }
}

async function acquire(lockPath: string, pollMs: number): Promise<void> {
  for (;;) {
    try {
      const fd = openSync(lockPath, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    if (!ownerAlive(lockPath)) rmSync(lockPath, { force: true });
    else await sleep(pollMs);
  }
}

/** Runs `fn` holding the lock of `blobPath` (its directory must exist). */
export async function withBlobLock<T>(blobPath: string, fn: () => Promise<T>, pollMs = 200): Promise<T> {
  const previous = inProcess.get(blobPath) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(async () => {
    const lockPath = `${blobPath}.lock`;
    await acquire(lockPath, pollMs);
    try {
      return await fn();
    } finally {
      rmSync(lockPath, { force: true });
    }
  });
  inProcess.set(blobPath, run);
  try {
    return await run;
  } finally {
    if (inProcess.get(blobPath) === run) inProcess.delete(blobPath);
  }
}
