/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha, the same messages under two package
 * names) answered from a {@link DescriptorIndex}. Ours rather than @grpc/reflection's: that one
 * rebuilds descriptors from a proto-loader definition, which loses imports, comments and
 * `proto3_optional`, and lists whatever the definition holds instead of what the server serves.
 * Behaviour follows grpc-go's server: a file answer is the file and then those of its transitive
 * imports not yet sent on the stream; an unknown name is an error_response NOT_FOUND.
 */
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { ServerDuplexStream, ServiceDefinition, UntypedServiceImplementation } from "@grpc/grpc-js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import type { DescriptorIndex } from "./reflection-descriptors.js";

/** The reflection packages served; each has the same ServerReflection service. */
export const REFLECTION_PACKAGES = ["grpc.reflection.v1", "grpc.reflection.v1alpha"] as const;

/** The fields of a decoded ServerReflectionRequest that this server reads. */
interface ReflectionRequest {
  host: string;
  messageRequest:
    | { case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType" | "listServices"; value: string }
    | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
    | { case: undefined; value?: undefined };
}

type ResponseInit = MessageInitShape<DescMessage>;

/** Answers one request (pure: the stream's `sent` set is its only state). */
export function answerReflection(index: DescriptorIndex, services: readonly string[], request: ReflectionRequest, sent: Set<string>): ResponseInit {
  const notFound = (what: string): ResponseInit => ({ case: "errorResponse", value: { errorCode: GrpcStatus.NOT_FOUND, errorMessage: `${what} not found` } });
  const files = (file: ReturnType<DescriptorIndex["file"]>, what: string): ResponseInit =>
    file ? { case: "fileDescriptorResponse", value: { fileDescriptorProto: index.withDependencies(file, sent).map((f) => f.bytes) } } : notFound(what);
  const { case: kind, value } = request.messageRequest;
  switch (kind) {
    case "fileByFilename":
      return files(index.file(value), `file ${value}`);
    case "fileContainingSymbol":
      return files(index.fileContaining(value), `symbol ${value}`);
    case "fileContainingExtension":
      // The set declares no extensions (it holds no descriptor.proto to extend).
      return notFound(`extension ${value.extensionNumber} of ${value.containingType}`);
    case "allExtensionNumbersOfType":
      return index.hasMessage(value) ? { case: "allExtensionNumbersResponse", value: { baseTypeName: value, extensionNumber: [] } } : notFound(`type ${value}`);
    case "listServices":
      return { case: "listServicesResponse", value: { service: services.map((name) => ({ name })) } };
    default:
      return { case: "errorResponse", value: { errorCode: GrpcStatus.INVALID_ARGUMENT, errorMessage: "no message_request set" } };
  }
}

/** The ServerReflection definitions (v1 and v1alpha) with their handler, listing `services`. */
export function reflectionServices(index: DescriptorIndex, services: readonly string[]): { definition: ServiceDefinition; implementation: UntypedServiceImplementation }[] {
  return REFLECTION_PACKAGES.map((pkg) => {
    const requestType = messageType(index, `${pkg}.ServerReflectionRequest`);
    const responseType = messageType(index, `${pkg}.ServerReflectionResponse`);
    const definition: ServiceDefinition = {
      ServerReflectionInfo: {
        path: `/${pkg}.ServerReflection/ServerReflectionInfo`,
        requestStream: true,
        responseStream: true,
        requestSerialize: (message: unknown) => Buffer.from(toBinary(requestType, message as never)),
        requestDeserialize: (bytes: Buffer) => fromBinary(requestType, bytes),
        responseSerialize: (message: unknown) => Buffer.from(toBinary(responseType, message as never)),
        responseDeserialize: (bytes: Buffer) => fromBinary(responseType, bytes),
      },
    };
    const ServerReflectionInfo = (call: ServerDuplexStream<ReflectionRequest, unknown>): void => {
      const sent = new Set<string>();
      call.on("data", (request: ReflectionRequest) => {
        const messageResponse = answerReflection(index, services, request, sent);
        call.write(create(responseType, { validHost: request.host, originalRequest: request as never, messageResponse }));
      });
      call.on("end", () => call.end());
      call.on("error", () => undefined); // a client that goes away ends the stream; nothing to clean up
    };
    return { definition, implementation: { ServerReflectionInfo } };
  });
}

function messageType(index: DescriptorIndex, typeName: string): DescMessage {
  const type = index.registry.getMessage(typeName);
  if (!type) throw new Error(`descriptor set lacks ${typeName}: run npm run gen`);
  return type;
}
