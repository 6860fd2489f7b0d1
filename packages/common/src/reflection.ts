/**
 * Server reflection of exactly the kvmesh.v1 protos (so `buf curl --list-methods` and grpcurl
 * work). grpc.health.v1 is served but not reflected: @grpc/reflection 1.0.4 must see one package.
 */
import type { Server } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { kvmeshProtoDir, kvmeshProtoFiles } from "./proto-path.js";

let cached: ReflectionService | undefined;

/** Adds reflection (v1 and v1alpha) of every kvmesh.v1 service to `server`. */
export function addReflection(server: Pick<Server, "addService">): void {
  if (!cached) {
    const pkg = loadSync(kvmeshProtoFiles(), { includeDirs: [kvmeshProtoDir()], keepCase: true, enums: String, longs: String, defaults: true, oneofs: true });
    cached = new ReflectionService(pkg);
  }
  cached.addToServer(server);
}
