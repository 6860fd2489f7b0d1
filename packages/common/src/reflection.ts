/**
 * Server reflection of what one server serves (so `buf curl --list-methods` and grpcurl work
 * with no proto files): its own kvmesh.v1 services, grpc.health.v1.Health and reflection
 * itself, each described by the real descriptor set (reflection-descriptors.ts).
 */
import type { Server } from "@grpc/grpc-js";
import { HEALTH_SERVICE_NAME } from "./grpc-health.js";
import { kvmeshDescriptors } from "./reflection-descriptors.js";
import { REFLECTION_PACKAGES, reflectionServices } from "./reflection-service.js";

/** The names list_services answers for a server serving `serviceNames`: them, health, reflection. */
export function reflectedServiceNames(serviceNames: readonly string[]): string[] {
  return [...serviceNames, HEALTH_SERVICE_NAME, ...REFLECTION_PACKAGES.map((pkg) => `${pkg}.ServerReflection`)];
}

/** Adds reflection (v1 and v1alpha) listing `serviceNames` (full names, `kvmesh.v1.Worker`) to `server`. */
export function addReflection(server: Pick<Server, "addService">, serviceNames: readonly string[]): void {
  const index = kvmeshDescriptors();
  const names = reflectedServiceNames(serviceNames);
  for (const name of names) if (!index.fileContaining(name)) throw new Error(`no descriptor for service ${name}: run npm run gen`);
  for (const { definition, implementation } of reflectionServices(index, names)) server.addService(definition, implementation);
}
