import { join } from "node:path";
import type { ServiceInstance } from "./types.js";

/** What one instance file holds: the instance plus when it stops counting as live. */
export interface FileRecord {
  instance: ServiceInstance;
  /** Clock milliseconds after which the record is treated as gone. */
  expiresAt: number;
}

/**
 * Makes a namespace, service or instance id safe as one path segment: anything outside
 * `[A-Za-z0-9_-]` is percent-encoded, so distinct names never share a file and no name can
 * climb out of the registry (`..`) or collide with temp files (which start with `.`).
 */
export function pathSegment(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, (c) =>
    [...Buffer.from(c, "utf8")].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join(""),
  );
}

/** The directory holding every instance file of one service in one namespace. */
export function serviceDir(root: string, namespace: string, service: string): string {
  return join(root, pathSegment(namespace), pathSegment(service));
}

/** The file name of one instance inside its service directory. */
export function instanceFileName(instanceId: string): string {
  return `${pathSegment(instanceId)}.json`;
}

/** Whether a directory entry is an instance record (temp files start with `.` and end `.tmp`). */
export function isRecordFileName(name: string): boolean {
  return name.endsWith(".json") && !name.startsWith(".");
}

/** Serializes a record. */
export function encodeRecord(record: FileRecord): string {
  return JSON.stringify(record);
}

/**
 * Parses a record, or returns undefined for anything malformed (a foreign file, or a file from
 * an older format) so one bad file never hides the others.
 */
export function decodeRecord(text: string): FileRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { instance, expiresAt } = value as Partial<FileRecord>;
  if (typeof expiresAt !== "number" || typeof instance !== "object" || instance === null) return undefined;
  const i = instance as Partial<ServiceInstance>;
  const ok =
    typeof i.service === "string" &&
    typeof i.namespace === "string" &&
    typeof i.instanceId === "string" &&
    typeof i.address === "string" &&
    typeof i.port === "number" &&
    typeof i.meta === "object" &&
    i.meta !== null;
  return ok ? { instance: instance as ServiceInstance, expiresAt } : undefined;
}

/** Whether the record counts at time `now`: not expired and not draining. */
export function isListed(record: FileRecord, now: number): boolean {
  return record.expiresAt > now && record.instance.draining !== true;
}

/**
 * Whether a reader may delete the record. Only records expired for a further full TTL are
 * collected: an owner that is merely late refreshes long before that, and even if a stalled
 * owner loses its file this way, its next heartbeat writes the whole record again.
 */
export function isCollectable(record: FileRecord, now: number, ttlMs: number): boolean {
  return record.expiresAt + ttlMs <= now;
}
