// What every in-process stand-in of a kvmesh service does the same way: serve one gRPC service
// on 127.0.0.1:0 (health SERVING, silent logs) and register it in discovery like a real replica.
import type { Discovery, Registration } from "#common/discovery/index.js";
import { startGrpcServer } from "#common/grpc-server.js";
import type { GrpcServerHandle, GrpcServiceBinding } from "#common/grpc-server.js";
import { createLogger } from "#common/logger.js";

/** A serving, registered stand-in. */
export interface RegisteredFake {
  readonly port: number;
  readonly server: GrpcServerHandle;
  readonly registration: Registration;
  /** Deregisters, then drains the server for up to `graceMs` (default 100). */
  stop(graceMs?: number): Promise<void>;
}

/** What to serve and how to register it. */
export interface RegisteredFakeOptions {
  readonly discovery: Discovery;
  /** Discovery service name: router, worker, preprocessor. */
  readonly service: string;
  readonly instanceId: string;
  readonly binding: GrpcServiceBinding;
  readonly meta?: Record<string, string>;
  /** Serve kvmesh.v1 reflection (default true). */
  readonly reflection?: boolean;
}

/** Starts the server, marks it SERVING and registers it. */
export async function startRegisteredFake(options: RegisteredFakeOptions): Promise<RegisteredFake> {
  const log = createLogger({ service: `fake-${options.service}`, level: "silent" });
  const server = await startGrpcServer({ address: "127.0.0.1:0", log, services: [options.binding], reflection: options.reflection });
  server.setServing(true);
  const registration = await options.discovery.register({
    service: options.service, instanceId: options.instanceId, address: "127.0.0.1", port: server.port, meta: options.meta ?? {},
  });
  return {
    port: server.port, server, registration,
    stop: async (graceMs = 100) => {
      await registration.deregister();
      await server.drain(graceMs);
    },
  };
}
