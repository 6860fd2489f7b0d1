/**
 * The descriptor set that reflection serves: packages/contracts/kvmesh.binpb, built by
 * `npm run gen` (buf, with source info) from proto/kvmesh/v1 and packages/common/proto (health,
 * reflection). Each file is served as buf wrote it: its own imports, comments and
 * `proto3_optional` flags, which a descriptor rebuilt from parsed .proto text loses.
 */
import { readFileSync } from "node:fs";
import { createFileRegistry, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { FileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import type { DescriptorProto, EnumDescriptorProto, FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { descriptorSetPath } from "./proto-path.js";

/** One file of the set: its name, its imports and its serialized FileDescriptorProto. */
export interface DescriptorFile {
  readonly name: string;
  readonly dependencies: readonly string[];
  readonly bytes: Uint8Array;
}

/** Every file of a descriptor set, found by file name or by any fully-qualified symbol in it. */
export class DescriptorIndex {
  private readonly files = new Map<string, DescriptorFile>();
  private readonly symbols = new Map<string, string>();
  private readonly messageNames = new Set<string>();
  /** The set as a registry of descriptors (reflection decodes its own messages with it). */
  readonly registry: FileRegistry;

  /** Indexes a serialized google.protobuf.FileDescriptorSet. */
  constructor(setBytes: Uint8Array) {
    const set = fromBinary(FileDescriptorSetSchema, setBytes);
    this.registry = createFileRegistry(set);
    for (const file of set.file) {
      this.files.set(file.name, { name: file.name, dependencies: file.dependency, bytes: toBinary(FileDescriptorProtoSchema, file) });
      this.indexFile(file);
    }
  }

  /** The file named `name` (`kvmesh/v1/router.proto`), or undefined. */
  file(name: string): DescriptorFile | undefined {
    return this.files.get(name);
  }

  /** The file declaring `symbol` (a message, field, enum, enum value, service or method), or undefined. */
  fileContaining(symbol: string): DescriptorFile | undefined {
    const name = this.symbols.get(symbol.replace(/^\./, ""));
    return name === undefined ? undefined : this.files.get(name);
  }

  /** Whether `typeName` is a message of the set. */
  hasMessage(typeName: string): boolean {
    return this.messageNames.has(typeName.replace(/^\./, ""));
  }

  /** `file` first, then every file it imports transitively that is not in `sent` (which this adds to). */
  withDependencies(file: DescriptorFile, sent: Set<string>): DescriptorFile[] {
    const out = [file];
    sent.add(file.name);
    const queue = [...file.dependencies];
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const dependency = this.files.get(name);
      if (!dependency || sent.has(name)) continue;
      sent.add(name);
      out.push(dependency);
      queue.push(...dependency.dependencies);
    }
    return out;
  }

  private indexFile(file: FileDescriptorProto): void {
    const scope = file.package ? `${file.package}.` : "";
    const add = (symbol: string): void => void this.symbols.set(symbol, file.name);
    for (const message of file.messageType) this.indexMessage(scope, message, add);
    for (const en of file.enumType) indexEnum(scope, en, add);
    for (const ext of file.extension) add(`${scope}${ext.name}`);
    for (const service of file.service) {
      add(`${scope}${service.name}`);
      for (const method of service.method) add(`${scope}${service.name}.${method.name}`);
    }
  }

  private indexMessage(scope: string, message: DescriptorProto, add: (symbol: string) => void): void {
    const name = `${scope}${message.name}`;
    add(name);
    this.messageNames.add(name);
    for (const field of message.field) add(`${name}.${field.name}`);
    for (const oneof of message.oneofDecl) add(`${name}.${oneof.name}`);
    for (const ext of message.extension) add(`${name}.${ext.name}`);
    for (const nested of message.nestedType) this.indexMessage(`${name}.`, nested, add);
    for (const en of message.enumType) indexEnum(`${name}.`, en, add);
  }
}

/** An enum and its values; as in C++, the values live in the enum's enclosing scope. */
function indexEnum(scope: string, en: EnumDescriptorProto, add: (symbol: string) => void): void {
  add(`${scope}${en.name}`);
  for (const value of en.value) add(`${scope}${value.name}`);
}

let cached: DescriptorIndex | undefined;

/** The index of packages/contracts/kvmesh.binpb, read once per process. */
export function kvmeshDescriptors(): DescriptorIndex {
  cached ??= new DescriptorIndex(readFileSync(descriptorSetPath()));
  return cached;
}
