/**
 * One service of `kvmesh up` as a child process: its output goes to a log file (warnings and
 * errors are echoed), its pino lines are parsed so `up` can wait for "listening", and it is
 * stopped by pid (SIGTERM, then SIGKILL after the grace period).
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import type { WriteStream } from "node:fs";
import { forEachLine, hasExited, terminate } from "#common/child-process.js";
import { PARENT_PIPE_ENV } from "#common/shutdown.js";

/** A started service. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  /**
   * The parsed "listening" / "metrics listening" records so far (a start's readiness and the
   * ports it printed): the only ones `up` reads. Every other line goes to the log file only, so
   * a mesh that runs for days does not keep each of its log lines in memory.
   */
  readonly records: Array<Record<string, unknown>>;
  /** The last lines, for a report when it dies. */
  readonly tail: string[];
  /** Resolves with `count` "listening" records; rejects if the child exits first or after `timeoutMs`. */
  waitListening(count: number, timeoutMs: number): Promise<Array<Record<string, unknown>>>;
  /** SIGTERM, SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs: number): Promise<void>;
  readonly exited: Promise<number | null>;
}

const ECHO_LEVELS = new Set(["warn", "error", "fatal"]);
/** Messages of the records kept in {@link Child.records}. */
const KEPT_MESSAGES = new Set(["listening", "metrics listening"]);

/** A pino `err` field as one line (pino serialises errors as objects with a message). */
function errorText(err: unknown): string {
  return typeof err === "object" && err !== null && "message" in err ? String((err as { message: unknown }).message) : String(err);
}

/** Node options of every service `up` starts: the V8 heap limit (`--service-heap-mb`; 0: node's own). */
export function serviceNodeArgs(heapMb: number): string[] {
  return heapMb > 0 ? [`--max-old-space-size=${heapMb}`] : [];
}

/** Starts `node <nodeArgs> <cli> <args>` with its output in `logFile`. */
export function startChild(name: string, cli: string, args: readonly string[], logFile: string, echo: (line: string) => void, nodeArgs: readonly string[] = []): Child {
  // Its own process group: Ctrl-C reaches `up` alone, which then stops the services in order.
  // Its stdin is a pipe from `up` that nothing writes: when `up` dies, even by SIGKILL, the pipe
  // closes and the service shuts down by itself (PARENT_PIPE_ENV).
  const child = spawn(process.execPath, [...nodeArgs, cli, ...args], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, [PARENT_PIPE_ENV]: "stdin" }, detached: true });
  // Never leave a service behind when `up` exits.
  const reap = (): void => void (!hasExited(child) && child.kill("SIGKILL"));
  process.once("exit", reap);
  const log: WriteStream = createWriteStream(logFile, { flags: "a" });
  const records: Array<Record<string, unknown>> = [];
  const tail: string[] = [];
  const listeners = new Set<() => void>();
  // "close" comes after the last output line ("exit" may come before it): only then may the log end.
  child.once("close", () => log.end());
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => {
    resolve(code);
    listeners.forEach((l) => l());
  }));
  forEachLine(child.stdout, onLine);
  forEachLine(child.stderr, onLine);
  function onLine(line: string): void {
    log.write(`${line}\n`);
    tail.push(line);
    if (tail.length > 30) tail.shift();
    let record: Record<string, unknown> | undefined;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      echo(`[${name}] ${line}`);
    }
    if (record) {
      if (KEPT_MESSAGES.has(String(record.msg))) records.push(record);
      if (ECHO_LEVELS.has(String(record.level))) echo(`[${name}] ${String(record.level)}: ${String(record.msg)}${record.err ? ` (${errorText(record.err)})` : ""}`);
    }
    listeners.forEach((l) => l());
  }
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));
  return {
    name, process: child, records, tail, exited,
    waitListening: (count, timeoutMs) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(() => reject(new Error(`${name} did not start within ${timeoutMs} ms`))), timeoutMs);
      const check = (): void => {
        const listening = records.filter((r) => r.msg === "listening");
        if (listening.length >= count) done(() => resolve(listening));
        else if (exitCode !== undefined || child.exitCode !== null) done(() => reject(new Error(`${name} exited (${child.exitCode}) before listening:\n${tail.join("\n")}`)));
      };
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    }),
    stop: async (graceMs) => {
      if (hasExited(child)) return;
      await terminate(child, exited, graceMs);
    },
  };
}
