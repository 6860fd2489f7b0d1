/**
 * Resident memory and open file descriptors of a process tree, read from /proc (Linux): the
 * soak's evidence that no process leaks memory or sockets under sustained load.
 */
import { readdirSync, readFileSync } from "node:fs";
import type { HeapSample } from "./heap-sampler.js";

/** One process at one moment. */
export interface ProcSample {
  readonly pid: number;
  /** The service it runs (`frontend`, `router`, `worker`...), from its command line. */
  readonly name: string;
  readonly rssBytes: number;
  readonly fds: number;
  /** Its V8 heap, when it serves /metrics and answered the scrape. */
  readonly heap?: HeapSample;
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined; // the process exited between listing and reading
  }
}

/** The parent pid of `pid`, from /proc/<pid>/stat (field 4, after the parenthesised name). */
function parentOf(pid: number): number | undefined {
  const stat = readOr(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

/** `root` and every descendant of it. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const parent = parentOf(pid);
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** The kvmesh service a command line runs: the word after `kvmesh.js`, else the executable. */
export function serviceName(cmdline: string): string {
  const args = cmdline.split("\0").filter((a) => a !== "");
  const cli = args.findIndex((a) => a.endsWith("kvmesh.js"));
  return cli >= 0 && args[cli + 1] ? args[cli + 1] : (args[0] ?? "?");
}

/** VmRSS of a /proc/<pid>/status text, in bytes (0 for a kernel thread or zombie, which has none). */
export function vmRssBytes(status: string): number {
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

/** Resident bytes of `pid` (one small /proc read: cheap enough to run every second); undefined once it exited. */
export function rssOf(pid: number): number | undefined {
  const status = readOr(`/proc/${pid}/status`);
  return status === undefined ? undefined : vmRssBytes(status);
}

/** RSS and fd count of each live process of `pids`. */
export function sample(pids: readonly number[]): ProcSample[] {
  const out: ProcSample[] = [];
  for (const pid of pids) {
    const status = readOr(`/proc/${pid}/status`);
    const cmdline = readOr(`/proc/${pid}/cmdline`);
    if (status === undefined || cmdline === undefined) continue;
    let fds = 0;
    try {
      fds = readdirSync(`/proc/${pid}/fd`).length;
    } catch {
      continue;
    }
    out.push({ pid, name: serviceName(cmdline), rssBytes: vmRssBytes(status), fds });
  }
  return out;
}
