/**
 * grpc.health.v1 Check and Watch, loaded from the embedded health.proto (reflection describes
 * it from the descriptor set, which buf builds from the same file).
 */
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { ServerUnaryCall, ServerWritableStream, ServiceDefinition, UntypedServiceImplementation, sendUnaryData } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { healthProtoDir } from "./proto-path.js";

/** The serving states of grpc.health.v1 (as proto-loader gives enums: names). */
export type ServingStatus = "UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";

interface HealthRequest {
  service: string;
}
interface HealthResponse {
  status: ServingStatus;
}

/** The full name of the health service, as list_services reports it. */
export const HEALTH_SERVICE_NAME = "grpc.health.v1.Health";

let cached: ServiceDefinition | undefined;

/** The grpc.health.v1.Health service definition (also used by the healthcheck client). */
export function healthServiceDefinition(): ServiceDefinition {
  if (!cached) {
    const pkg = loadSync("grpc/health/v1/health.proto", { includeDirs: [healthProtoDir()], enums: String, defaults: true });
    cached = pkg[HEALTH_SERVICE_NAME] as ServiceDefinition;
  }
  return cached;
}

/** The health service of one server: a status per service name ("" is the whole server). */
export class HealthService {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Set<{ service: string; call: ServerWritableStream<HealthRequest, HealthResponse> }>();

  /** Starts every named service (and "") NOT_SERVING. */
  constructor(serviceNames: readonly string[]) {
    for (const name of ["", ...serviceNames]) this.statuses.set(name, "NOT_SERVING");
  }

  /** The service definition to add to a grpc-js server. */
  get definition(): ServiceDefinition {
    return healthServiceDefinition();
  }

  /** Sets every known service (and the server as a whole) SERVING or NOT_SERVING. */
  setAll(serving: boolean): void {
    for (const name of this.statuses.keys()) this.set(name, serving ? "SERVING" : "NOT_SERVING");
  }

  /** Sets one service's status and tells its watchers. */
  set(service: string, status: ServingStatus): void {
    this.statuses.set(service, status);
    for (const watcher of this.watchers) if (watcher.service === service) watcher.call.write({ status });
  }

  /** The status a Check answers for `service`, or undefined when unknown. */
  get(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  /** Ends every Watch stream (at shutdown, so they do not hold the server open). */
  endWatches(): void {
    for (const watcher of this.watchers) watcher.call.end();
    this.watchers.clear();
  }

  /** The handlers of Check and Watch. */
  get implementation(): UntypedServiceImplementation {
    return {
      Check: (call: ServerUnaryCall<HealthRequest, HealthResponse>, callback: sendUnaryData<HealthResponse>) => {
        const status = this.statuses.get(call.request.service);
        if (status === undefined) return callback({ code: GrpcStatus.NOT_FOUND, details: `unknown service "${call.request.service}"` });
        return callback(null, { status });
      },
      Watch: (call: ServerWritableStream<HealthRequest, HealthResponse>) => {
        const watcher = { service: call.request.service, call };
        this.watchers.add(watcher);
        call.write({ status: this.statuses.get(watcher.service) ?? "SERVICE_UNKNOWN" });
        call.once("cancelled", () => this.watchers.delete(watcher));
      },
    };
  }
}
