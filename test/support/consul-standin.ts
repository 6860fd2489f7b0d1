// No Consul server can be installed from the registries these machines reach, so this is a
// loopback stand-in of exactly the Consul HTTP endpoints the discovery backend calls. It keeps
// Consul's rules that the backend depends on: TTL checks start critical unless given a Status,
// a missed TTL turns the check critical (dropping the instance from `?passing` results),
// DeregisterCriticalServiceAfter reaps critical services, maintenance mode adds a critical
// check, unknown service/check ids are 404, blocking queries hold until X-Consul-Index moves
// or `wait` ends, and heartbeats that change nothing do not move the index.
// One deliberate difference: real Consul silently raises a DeregisterCriticalServiceAfter under
// one minute to one minute; the stand-in rejects it with 400 so the backend cannot rely on it.
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

type Status = "passing" | "warning" | "critical";

interface Check {
  CheckID: string;
  Name: string;
  Status: Status;
  Output: string;
  ServiceID: string;
  ttlMs?: number;
  deregisterAfterMs?: number;
  ttlTimer?: NodeJS.Timeout;
  reapTimer?: NodeJS.Timeout;
}

interface Service {
  ID: string;
  Service: string;
  Address: string;
  Port: number;
  Meta: Record<string, string>;
  checks: Map<string, Check>;
}

/** The fields of a check definition and a service registration the stand-in reads. */
type CheckDefinition = Partial<Record<"CheckID" | "Name" | "TTL" | "Status" | "DeregisterCriticalServiceAfter", unknown>>;
type RegisterBody = Partial<Record<"ID" | "Name" | "Address" | "Port" | "Meta", unknown>> & { Check?: CheckDefinition; Checks?: CheckDefinition[] };

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration ("1500ms", "1m30s") into milliseconds; undefined when malformed. */
export function parseGoDuration(text: string): number | undefined {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * DURATION_UNITS[p[2]], 0);
}

const META_KEY = /^[A-Za-z0-9_-]{1,128}$/;
const MAX_WAIT_MS = 600_000;

/** A running stand-in agent on 127.0.0.1; `url` goes to `--consul-url`. */
export class ConsulStandin {
  private readonly services = new Map<string, Service>();
  private readonly modifyIndex = new Map<string, bigint>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private raftIndex = 1n;
  /** Every request seen, as `METHOD path` (tests assert on what the backend called). */
  readonly requests: string[] = [];

  private constructor(private readonly server: Server, readonly url: string) {}

  /**
   * Starts an empty stand-in on 127.0.0.1, on port 0 unless a port is given (a test restarts
   * the "agent" on the same port, as a restarted Consul agent would come back, state lost).
   */
  static async start(port = 0): Promise<ConsulStandin> {
    const holder: { standin?: ConsulStandin } = {};
    const server = createServer((req, res) => void holder.standin!.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    const bound = (server.address() as AddressInfo).port;
    holder.standin = new ConsulStandin(server, `http://127.0.0.1:${bound}`);
    return holder.standin;
  }

  /** The bound port. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Ids of registered services (any health) with the given Consul name. */
  serviceIds(name: string): string[] {
    return [...this.services.values()].filter((s) => s.Service === name).map((s) => s.ID).sort();
  }

  /** Stops timers, releases held queries and closes every connection. */
  async close(): Promise<void> {
    for (const s of this.services.values()) for (const c of s.checks.values()) this.clearTimers(c);
    for (const set of this.waiters.values()) for (const wake of set) wake();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const path = url.pathname.split("/").map(decodeURIComponent);
    this.requests.push(`${req.method} ${path.join("/")}`);
    try {
      const body = await readBody(req);
      const route = `${req.method} /${path[1]}/${path[2]}/${path[3]}/${path[4] ?? ""}`;
      if (route === "PUT /v1/agent/service/register") return this.reply(res, 200, this.register(body));
      if (route === "PUT /v1/agent/service/deregister") return this.reply(res, 200, this.deregister(path[5]));
      if (route === "PUT /v1/agent/service/maintenance") return this.reply(res, 200, this.maintenance(path[5], url));
      if (req.method === "PUT" && path[2] === "agent" && path[3] === "check" && ["pass", "warn", "fail"].includes(path[4])) {
        const status = ({ pass: "passing", warn: "warning", fail: "critical" } as const)[path[4] as "pass" | "warn" | "fail"];
        return this.reply(res, 200, this.updateCheck(path[5], status, url.searchParams.get("note") ?? ""));
      }
      if (req.method === "GET" && path[2] === "health" && path[3] === "service" && path[4]) return await this.health(path[4], url, res);
      throw new HttpError(req.method === "GET" || req.method === "PUT" ? 404 : 405, "unsupported endpoint in the stand-in");
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      res.writeHead(status, { "content-type": "text/plain" }).end((err as Error).message);
    }
  }

  private reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(body === undefined ? "" : JSON.stringify(body));
  }

  private register(body: unknown): undefined {
    const b = (body ?? {}) as RegisterBody;
    if (typeof b.Name !== "string" || b.Name === "") throw new HttpError(400, "Missing service name");
    const name = b.Name;
    const meta = (b.Meta ?? {}) as Record<string, string>;
    for (const [k, v] of Object.entries(meta)) {
      if (!META_KEY.test(k) || k.startsWith("consul-") || typeof v !== "string" || v.length > 512) {
        throw new HttpError(400, `Invalid Service Meta: key "${k}"`);
      }
    }
    const id = typeof b.ID === "string" && b.ID !== "" ? b.ID : name;
    const defs: CheckDefinition[] = b.Check ? [b.Check] : Array.isArray(b.Checks) ? b.Checks : [];
    const checks = new Map<string, Check>();
    defs.forEach((def, i) => {
      const check = this.checkFromDefinition(def, id, defs.length === 1 ? `service:${id}` : `service:${id}:${i + 1}`);
      checks.set(check.CheckID, check);
    });
    const old = this.services.get(id);
    if (old) for (const c of old.checks.values()) this.clearTimers(c);
    const address = typeof b.Address === "string" ? b.Address : "";
    const port = typeof b.Port === "number" ? b.Port : 0;
    const service: Service = { ID: id, Service: name, Address: address, Port: port, Meta: meta, checks };
    this.services.set(id, service);
    for (const c of checks.values()) this.armTimers(c);
    if (old && old.Service !== name) this.bump(old.Service);
    this.bump(name);
    return undefined;
  }

  private checkFromDefinition(def: CheckDefinition, serviceId: string, defaultId: string): Check {
    if (typeof def.TTL !== "string") throw new HttpError(400, "the stand-in supports TTL checks only");
    const ttlMs = parseGoDuration(def.TTL);
    if (ttlMs === undefined || ttlMs <= 0) throw new HttpError(400, `Invalid check: TTL "${def.TTL}"`);
    let deregisterAfterMs: number | undefined;
    if (def.DeregisterCriticalServiceAfter !== undefined) {
      deregisterAfterMs = parseGoDuration(String(def.DeregisterCriticalServiceAfter));
      if (deregisterAfterMs === undefined || deregisterAfterMs < 60_000) {
        throw new HttpError(400, `DeregisterCriticalServiceAfter must be at least 1m, got "${def.DeregisterCriticalServiceAfter}"`);
      }
    }
    const status = def.Status ?? "critical"; // Consul starts a TTL check critical
    if (status !== "passing" && status !== "warning" && status !== "critical") throw new HttpError(400, `Invalid check status "${String(status)}"`);
    const checkId = typeof def.CheckID === "string" && def.CheckID !== "" ? def.CheckID : defaultId;
    const checkName = typeof def.Name === "string" ? def.Name : "";
    return { CheckID: checkId, Name: checkName, Status: status, Output: "", ServiceID: serviceId, ttlMs, deregisterAfterMs };
  }

  private deregister(id: string | undefined): undefined {
    const service = id === undefined ? undefined : this.services.get(id);
    if (!service) throw new HttpError(404, `Unknown service ID "${id}"`);
    for (const c of service.checks.values()) this.clearTimers(c);
    this.services.delete(service.ID);
    this.bump(service.Service);
    return undefined;
  }

  private maintenance(id: string | undefined, url: URL): undefined {
    const service = id === undefined ? undefined : this.services.get(id);
    if (!service) throw new HttpError(404, `Unknown service ID "${id}"`);
    const enable = url.searchParams.get("enable");
    if (enable !== "true" && enable !== "false") throw new HttpError(400, "Missing value for enable");
    const checkId = `_service_maintenance:${service.ID}`;
    if (enable === "true" && !service.checks.has(checkId)) {
      const reason = url.searchParams.get("reason") ?? "";
      service.checks.set(checkId, { CheckID: checkId, Name: "Service Maintenance Mode", Status: "critical", Output: reason, ServiceID: service.ID });
      this.bump(service.Service);
    } else if (enable === "false" && service.checks.delete(checkId)) {
      this.bump(service.Service);
    }
    return undefined;
  }

  private updateCheck(checkId: string | undefined, status: Status, note: string): undefined {
    const found = [...this.services.values()].flatMap((s) => [...s.checks.values()]).find((c) => c.CheckID === checkId);
    if (!found) throw new HttpError(404, `Unknown check ID "${checkId}"`);
    if (found.ttlMs === undefined) throw new HttpError(500, `CheckID "${checkId}" does not have associated TTL`);
    this.setStatus(found, status, note);
    this.armTimers(found);
    return undefined;
  }

  private setStatus(check: Check, status: Status, output: string): void {
    const changed = check.Status !== status;
    check.Status = status;
    check.Output = output;
    // Like Consul, an unchanged status is not a catalog change: heartbeats do not wake watchers.
    if (changed) this.bump(this.services.get(check.ServiceID)!.Service);
  }

  private armTimers(check: Check): void {
    this.clearTimers(check);
    if (check.ttlMs !== undefined && check.Status !== "critical") {
      check.ttlTimer = setTimeout(() => {
        this.setStatus(check, "critical", "TTL expired");
        this.armTimers(check);
      }, check.ttlMs);
    }
    if (check.deregisterAfterMs !== undefined && check.Status === "critical") {
      check.reapTimer = setTimeout(() => {
        if (this.services.get(check.ServiceID)?.checks.get(check.CheckID) === check) this.deregister(check.ServiceID);
      }, check.deregisterAfterMs);
    }
  }

  private clearTimers(check: Check): void {
    clearTimeout(check.ttlTimer);
    clearTimeout(check.reapTimer);
  }

  private bump(name: string): void {
    this.raftIndex += 1n;
    this.modifyIndex.set(name, this.raftIndex);
    const set = this.waiters.get(name);
    this.waiters.delete(name);
    for (const wake of set ?? []) wake();
  }

  private async health(name: string, url: URL, res: ServerResponse): Promise<void> {
    const indexText = url.searchParams.get("index");
    if (indexText !== null && !/^\d+$/.test(indexText)) throw new HttpError(400, "Invalid index");
    const waitText = url.searchParams.get("wait");
    const waitMs = waitText === null ? 300_000 : parseGoDuration(waitText);
    if (waitMs === undefined) throw new HttpError(400, "Invalid wait time");
    const index = indexText === null ? 0n : BigInt(indexText);
    const current = (): bigint => this.modifyIndex.get(name) ?? 1n;
    if (index > 0n && current() <= index) {
      await new Promise<void>((resolve) => {
        const set = this.waiters.get(name) ?? new Set<() => void>();
        this.waiters.set(name, set);
        const wake = (): void => {
          clearTimeout(timer);
          set.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(waitMs, MAX_WAIT_MS));
        set.add(wake);
      });
    }
    const passingOnly = url.searchParams.has("passing") && url.searchParams.get("passing") !== "false";
    const entries = [...this.services.values()]
      .filter((s) => s.Service === name)
      .filter((s) => !passingOnly || [...s.checks.values()].every((c) => c.Status === "passing"))
      .map((s) => ({
        Node: { ID: "standin-node-id", Node: "standin", Address: "127.0.0.1", Datacenter: "dc1" },
        Service: { ID: s.ID, Service: s.Service, Tags: [], Address: s.Address, Port: s.Port, Meta: s.Meta },
        Checks: [
          { CheckID: "serfHealth", Name: "Serf Health Status", Status: "passing", ServiceID: "" },
          ...[...s.checks.values()].map((c) => ({ CheckID: c.CheckID, Name: c.Name, Status: c.Status, Output: c.Output, ServiceID: c.ServiceID })),
        ],
      }));
    this.reply(res, 200, entries, { "x-consul-index": current().toString(), "x-consul-knownleader": "true", "x-consul-lastcontact": "0" });
  }
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "Request decode failed");
  }
}
