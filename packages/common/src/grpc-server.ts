/**
 * Starts a service's gRPC server the same way everywhere: the service implementations (with
 * in-flight tracking, so a drain knows when streams are done), grpc.health.v1 (NOT_SERVING
 * until `setServing(true)`), reflection of what it serves, and a graceful `drain`.
 */
import { Server, ServerCredentials, status as GrpcStatus } from "@grpc/grpc-js";
import type { ServiceDefinition, UntypedServiceImplementation } from "@grpc/grpc-js";
import { HealthService } from "./grpc-health.js";
import { InFlightCalls } from "./in-flight-calls.js";
import { INTERNAL_MAX_MESSAGE_BYTES } from "./limits.js";
import type { Logger } from "./logger.js";
import { addReflection } from "./reflection.js";

/** One gRPC service to serve: ts-proto's `XService` definition and its `XServer` implementation. */
export interface GrpcServiceBinding {
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

/** Options of {@link startGrpcServer}. */
export interface StartGrpcServerOptions {
  /** `host:port`; port 0 binds an ephemeral port. */
  address: string;
  log: Logger;
  services: readonly GrpcServiceBinding[];
  /** Extra names for grpc.health.v1 besides "" and each served service's full name. */
  healthServiceNames?: readonly string[];
  /** Serve reflection of the served services, health and reflection itself (default true). */
  reflection?: boolean;
  /**
   * Largest request message accepted (RESOURCE_EXHAUSTED beyond, from the length prefix, before
   * the message is read). Doors into the mesh pass --max-body-bytes; default: the internal cap.
   */
  maxReceiveBytes?: number;
}

/** A running server. */
export interface GrpcServerHandle {
  /** The bound port. */
  readonly port: number;
  readonly server: Server;
  /** Aborted when a drain starts: long-lived streams may end themselves early on it. */
  readonly draining: AbortSignal;
  /** Number of service calls (not health/reflection) in progress. */
  readonly inFlight: number;
  /** Sets grpc.health.v1 SERVING / NOT_SERVING for the server and every service. */
  setServing(serving: boolean): void;
  /**
   * NOT_SERVING, refuse new service calls with UNAVAILABLE (callers retry another replica),
   * wait up to `graceMs` for in-flight calls, end the rest with UNAVAILABLE, then close the
   * listener and every connection. Health keeps answering (NOT_SERVING) during the grace period
   * so load balancers and `kvmesh healthcheck` see it. Idempotent; a bound function.
   */
  drain(graceMs?: number): Promise<void>;
}

/** The full service name (`kvmesh.v1.Worker`) of a definition, from its method paths. */
export function serviceNameOf(definition: ServiceDefinition): string {
  const first = Object.values(definition)[0];
  return first ? first.path.split("/")[1] : "";
}

/** Binds and starts the server; resolves once it listens. */
export async function startGrpcServer(options: StartGrpcServerOptions): Promise<GrpcServerHandle> {
  const { log } = options;
  const server = new Server({ "grpc.max_receive_message_length": options.maxReceiveBytes ?? INTERNAL_MAX_MESSAGE_BYTES, "grpc.keepalive_permit_without_calls": 1 });
  const calls = new InFlightCalls(log);
  for (const { definition, implementation } of options.services) server.addService(definition, calls.wrapService(definition, implementation));
  const names = [...options.services.map((s) => serviceNameOf(s.definition)), ...(options.healthServiceNames ?? [])];
  const health = new HealthService(names);
  server.addService(health.definition, health.implementation);
  if (options.reflection ?? true) addReflection(server, options.services.map((s) => serviceNameOf(s.definition)));
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(options.address, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });

  let drained: Promise<void> | undefined;
  const drain = (graceMs = 10_000): Promise<void> => {
    drained ??= (async () => {
      health.setAll(false);
      calls.startDraining();
      log.info({ in_flight: calls.size, grace_ms: graceMs }, "draining");
      const idle = await calls.waitIdle(graceMs);
      if (!idle) {
        log.warn({ in_flight: calls.size }, "grace period over: ending the remaining calls");
        calls.endAll({ code: GrpcStatus.UNAVAILABLE, details: "server shutting down" });
        await calls.waitIdle(500);
      }
      health.endWatches();
      await closeServer(server, 1000);
      log.info("drained");
    })();
    return drained;
  };

  return {
    port,
    server,
    get draining() {
      return calls.draining;
    },
    get inFlight() {
      return calls.size;
    },
    setServing: (serving) => (drained ? undefined : health.setAll(serving)),
    drain,
  };
}

/** tryShutdown (lets open connections close cleanly), forced after `timeoutMs`. */
async function closeServer(server: Server, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, timeoutMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
