/**
 * CPU time of processes from /proc/<pid>/stat (utime + stime, in clock ticks of 10 ms on Linux:
 * USER_HZ is 100 on every architecture Node runs on), for CPU-per-token accounting.
 */
import { readFileSync } from "node:fs";

const USER_HZ = 100;

/** utime + stime of `pid` in µs. */
export function cpuMicros(pid: number): number {
  return statCpuMicros(readFileSync(`/proc/${pid}/stat`, "utf8"));
}

/** utime + stime in µs from the text of a /proc/<pid>/stat file. */
export function statCpuMicros(stat: string): number {
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1e6) / USER_HZ;
}

/** Sum of {@link cpuMicros} over `pids`. */
export function totalCpuMicros(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
}
