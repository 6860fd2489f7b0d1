// Server reflection of each kvmesh server, asked the way grpcurl asks it: over
// grpc.reflection.v1 (and v1alpha), with a client built from upstream's reflection.proto (the
// copy in @grpc/reflection, not ours) and the answers decoded as google.protobuf
// FileDescriptorProtos. Each server must answer its own file by name and by symbol, with every
// import resolvable, the comments and `proto3_optional` of the .proto source, and list only the
// service it implements plus health and reflection.
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials, loadPackageDefinition } from "@grpc/grpc-js";
import type { ClientDuplexStream, ServiceClientConstructor } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { create, createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import type { FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { startProcess, stopAllProcesses } from "../support/process.js";
import type { TestProcess } from "../support/process.js";
import { repoRoot, requireStoriesModel, storiesModelDir } from "../support/stories-model.js";
import { KVMESH_CLI } from "../support/worker-process.js";

interface ReflectionResponse {
  message_response: string;
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  list_services_response?: { service: { name: string }[] };
  error_response?: { error_code: number; error_message: string };
}

/** A ServerReflection client of `pkg` (`grpc.reflection.v1`) from upstream's proto. */
function reflectionClient(pkg: string, address: string): { ServerReflectionInfo(): ClientDuplexStream<object, ReflectionResponse>; close(): void } {
  const version = pkg.split(".").at(-1)!;
  const file = join(repoRoot, "node_modules/@grpc/reflection/build/proto/grpc/reflection", version, "reflection.proto");
  const loaded = loadPackageDefinition(loadSync(file, { keepCase: true, oneofs: true, longs: String }));
  const Client = pkg.split(".").reduce((o: Record<string, unknown>, k) => o[k] as Record<string, unknown>, loaded as unknown as Record<string, unknown>).ServerReflection as unknown as ServiceClientConstructor;
  return new Client(address, credentials.createInsecure()) as never;
}

/** Sends each request on one stream and collects one answer per request. */
async function ask(pkg: string, address: string, requests: object[]): Promise<ReflectionResponse[]> {
  const client = reflectionClient(pkg, address);
  const call = client.ServerReflectionInfo();
  const answers: ReflectionResponse[] = [];
  const done = new Promise<void>((resolve, reject) => {
    call.on("data", (r: ReflectionResponse) => answers.push(r));
    call.on("end", resolve);
    call.on("error", reject);
  });
  for (const request of requests) call.write(request);
  call.end();
  await done;
  client.close();
  return answers;
}

const files = (r: ReflectionResponse): FileDescriptorProto[] => r.file_descriptor_response!.file_descriptor_proto.map((b) => fromBinary(FileDescriptorProtoSchema, b));

/** `got` ordered so that each file follows its imports (the order a FileDescriptorSet wants); throws on a missing import. */
function importsFirst(got: FileDescriptorProto[]): FileDescriptorProto[] {
  const out: FileDescriptorProto[] = [];
  const visit = (name: string): void => {
    if (out.some((f) => f.name === name)) return;
    const file = got.find((f) => f.name === name);
    if (!file) throw new Error(`import ${name} is not in the answer`);
    file.dependency.forEach(visit);
    out.push(file);
  };
  got.forEach((f) => visit(f.name));
  return out;
}

/** The first top-level message of a .proto text with an `optional` field, and that field. */
function firstOptional(text: string): { message: string; field: string } {
  for (const m of text.matchAll(/^message (\w+) \{([\s\S]*?)^\}/gm)) {
    const field = /^\s+optional \S+ (\w+) =/m.exec(m[2]);
    if (field) return { message: m[1], field: field[1] };
  }
  throw new Error("no optional field");
}

/** The leading comment of the service's first rpc as protoc records it (`//` stripped, one `\n` per line). */
function firstRpcComment(text: string): string {
  const lines = text.split("\n");
  const rpc = lines.findIndex((l) => /^\s+rpc /.test(l));
  const comment: string[] = [];
  for (let i = rpc - 1; /^\s+\/\//.test(lines[i]); i--) comment.unshift(lines[i].replace(/^\s+\/\//, ""));
  return comment.map((l) => `${l}\n`).join("");
}

const SERVERS = [
  { service: "worker", proto: "worker", name: "Worker" },
  { service: "router", proto: "router", name: "Router" },
  { service: "preprocessor", proto: "preprocessor", name: "Preprocessor" },
  { service: "frontend", proto: "frontend", name: "Frontend" },
] as const;

describe("gRPC server reflection from the descriptor set", function () {
  this.timeout(90_000);
  const addresses = new Map<string, string>();
  let dir: string;

  before(async function () {
    requireStoriesModel(this);
    dir = mkdtempSync(join(tmpdir(), "kvmesh-reflection-"));
    const common = ["--discovery-dir", dir, "--namespace", "reflection-test", "--discovery-ttl", "1s", "--listen", "127.0.0.1:0", "--metrics-port", "0"];
    const extra: Record<string, string[]> = {
      worker: ["--engine", "mocker", "--model", storiesModelDir],
      frontend: ["--http-port", "0", "--grpc-listen", "127.0.0.1:0"],
    };
    const started = await Promise.all(SERVERS.map(async ({ service }): Promise<[string, TestProcess]> => {
      const proc = startProcess("node", [KVMESH_CLI, service, ...common, ...(extra[service] ?? [])], { cwd: repoRoot });
      await proc.waitForListening(30_000);
      return [service, proc];
    }));
    for (const [service, proc] of started) {
      const line = proc.lines.find((l) => l.includes('"msg":"listening"'))!;
      addresses.set(service, `127.0.0.1:${(JSON.parse(line) as { port: number }).port}`);
    }
  });
  after(async () => {
    await stopAllProcesses();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const { service, proto, name } of SERVERS) {
    const fileName = `kvmesh/v1/${proto}.proto`;
    const text = readFileSync(join(repoRoot, "proto", fileName), "utf8");

    for (const pkg of ["grpc.reflection.v1", "grpc.reflection.v1alpha"]) {
      it(`${service} (${pkg}): lists kvmesh.v1.${name}, health and reflection, nothing else`, async () => {
        const [answer] = await ask(pkg, addresses.get(service)!, [{ list_services: "" }]);
        expect(answer.list_services_response!.service.map((s) => s.name).sort()).to.deep.equal(
          ["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection", `kvmesh.v1.${name}`]);
      });
    }

    it(`${service}: answers ${fileName} by file name with every import, comments and proto3_optional`, async () => {
      const [answer] = await ask("grpc.reflection.v1", addresses.get(service)!, [{ file_by_filename: fileName }]);
      const got = files(answer);
      expect(got[0].name).to.equal(fileName);
      const names = got.map((f) => f.name);
      for (const f of got) for (const dep of f.dependency) expect(names, `${f.name} imports ${dep}`).to.include(dep);
      expect(names).to.have.length(new Set(names).size);
      // The registry links every import and type reference within the answer alone, so it
      // throws on any file or type the answer lacks.
      expect(createFileRegistry(create(FileDescriptorSetSchema, { file: importsFirst(got) })).getService(`kvmesh.v1.${name}`)?.methods.length).to.be.greaterThan(0);

      const { message, field } = firstOptional(text);
      const descriptor = got[0].messageType.find((m) => m.name === message)!.field.find((f) => f.name === field)!;
      expect(descriptor.proto3Optional, `${message}.${field}`).to.equal(true);
      expect(got[0].messageType.find((m) => m.name === message)!.oneofDecl[descriptor.oneofIndex!].name).to.equal(`_${field}`);

      const firstRpc = got[0].sourceCodeInfo!.location.find((l) => l.path.join(",") === "6,0,2,0")!;
      expect(firstRpc.leadingComments).to.equal(firstRpcComment(text)).and.not.equal("");
    });

    it(`${service}: answers by symbol (service, method, message) and sends each import once per stream`, async () => {
      const [bySymbol, byMethod, again] = await ask("grpc.reflection.v1", addresses.get(service)!, [
        { file_containing_symbol: `kvmesh.v1.${name}` },
        { file_containing_symbol: `kvmesh.v1.${name}.${/^\s+rpc (\w+)/m.exec(text)![1]}` },
        { file_containing_symbol: `kvmesh.v1.${firstOptional(text).message}` },
      ]);
      expect(files(bySymbol)[0].name).to.equal(fileName);
      expect(files(bySymbol).length).to.be.greaterThan(1);
      // Later answers on the same stream carry the file itself and no import already sent.
      expect(files(byMethod).map((f) => f.name)).to.deep.equal([fileName]);
      expect(files(again).map((f) => f.name)).to.deep.equal([fileName]);
    });

    it(`${service}: describes grpc.health.v1.Health and answers NOT_FOUND for unknown names`, async () => {
      const [health, unknownFile, unknownSymbol] = await ask("grpc.reflection.v1alpha", addresses.get(service)!, [
        { file_containing_symbol: "grpc.health.v1.Health" },
        { file_by_filename: "kvmesh/v1/nope.proto" },
        { file_containing_symbol: "kvmesh.v1.Nope" },
      ]);
      expect(files(health).map((f) => f.name)).to.deep.equal(["grpc/health/v1/health.proto"]);
      expect(files(health)[0].service[0].method.map((m) => m.name)).to.deep.equal(["Check", "Watch"]);
      expect(unknownFile.error_response).to.deep.equal({ error_code: 5, error_message: "file kvmesh/v1/nope.proto not found" });
      expect(unknownSymbol.error_response).to.deep.equal({ error_code: 5, error_message: "symbol kvmesh.v1.Nope not found" });
    });
  }
});
