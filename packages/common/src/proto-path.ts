/**
 * Where the .proto files are at run time. tsc does not copy them into dist/, so both the source
 * tree and dist/ find them by walking up from this module to the repository root.
 */
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));

/** The nearest ancestor of this module (itself included) holding `relative`, joined with it. */
function findUp(relative: string): string {
  for (let dir = HERE; ; dir = dirname(dir)) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`cannot find ${relative} above ${HERE}`);
  }
}

/** The include dir of the kvmesh protos (it holds `kvmesh/v1/*.proto`); KVMESH_PROTO_DIR overrides. */
export function kvmeshProtoDir(): string {
  const override = process.env.KVMESH_PROTO_DIR;
  return override ? override : dirname(dirname(findUp(join("proto", "kvmesh", "v1"))));
}

/** Every kvmesh.v1 proto, relative to {@link kvmeshProtoDir} (`kvmesh/v1/worker.proto`), sorted. */
export function kvmeshProtoFiles(): string[] {
  const dir = join(kvmeshProtoDir(), "kvmesh", "v1");
  return readdirSync(dir).filter((name) => name.endsWith(".proto")).sort().map((name) => `kvmesh/v1/${name}`);
}

/** The include dir of the embedded grpc.health.v1 proto (it holds `grpc/health/v1/health.proto`). */
export function healthProtoDir(): string {
  return findUp(join("packages", "common", "proto"));
}

/** The descriptor set reflection serves (`packages/contracts/kvmesh.binpb`, written by `npm run gen`); KVMESH_DESCRIPTOR_SET overrides. */
export function descriptorSetPath(): string {
  return process.env.KVMESH_DESCRIPTOR_SET || findUp(join("packages", "contracts", "kvmesh.binpb"));
}
