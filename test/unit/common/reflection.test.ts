// The reflection answers without a server: symbol lookup over every kind of name in the
// committed descriptor set, the per-stream "send each import once" rule, and the error answers.
import { expect } from "chai";
import { answerReflection } from "#common/reflection-service.js";
import { kvmeshDescriptors } from "#common/reflection-descriptors.js";
import { reflectedServiceNames } from "#common/reflection.js";

const index = kvmeshDescriptors();

describe("reflection descriptor index", () => {
  const cases: [string, string | undefined][] = [
    ["kvmesh.v1.Router", "kvmesh/v1/router.proto"],
    ["kvmesh.v1.Router.Route", "kvmesh/v1/router.proto"],
    [".kvmesh.v1.RouteRequest", "kvmesh/v1/router.proto"],
    ["kvmesh.v1.RouteRequest.worker_id", "kvmesh/v1/router.proto"],
    ["kvmesh.v1.KvEvent.data", "kvmesh/v1/events.proto"],
    ["kvmesh.v1.FinishReason", "kvmesh/v1/common.proto"],
    // Enum values are scoped like C++: beside the enum, not inside it.
    ["kvmesh.v1.FINISH_REASON_STOP", "kvmesh/v1/common.proto"],
    ["kvmesh.v1.FinishReason.FINISH_REASON_STOP", undefined],
    ["grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"],
    ["grpc.health.v1.HealthCheckResponse.SERVING", "grpc/health/v1/health.proto"],
    ["grpc.reflection.v1alpha.ServerReflection", "grpc/reflection/v1alpha/reflection.proto"],
    ["kvmesh.v1", undefined],
    ["kvmesh.v1.Router.Nope", undefined],
    ["", undefined],
  ];
  for (const [symbol, file] of cases) {
    it(`finds "${symbol}" in ${file ?? "no file"}`, () => expect(index.fileContaining(symbol)?.name).to.equal(file));
  }

  it("keeps each file's imports and sends an import only once per stream, the asked file always", () => {
    const sent = new Set<string>();
    const router = index.file("kvmesh/v1/router.proto")!;
    expect(router.dependencies).to.deep.equal(["kvmesh/v1/common.proto", "kvmesh/v1/events.proto"]);
    expect(index.withDependencies(router, sent).map((f) => f.name)).to.deep.equal(["kvmesh/v1/router.proto", "kvmesh/v1/common.proto", "kvmesh/v1/events.proto"]);
    expect(index.withDependencies(router, sent).map((f) => f.name)).to.deep.equal(["kvmesh/v1/router.proto"]);
    const frontend = index.file("kvmesh/v1/frontend.proto")!;
    expect(index.withDependencies(frontend, sent).map((f) => f.name)).to.deep.equal(["kvmesh/v1/frontend.proto", "kvmesh/v1/preprocessor.proto"]);
  });
});

describe("reflection answers", () => {
  const services = reflectedServiceNames(["kvmesh.v1.Worker"]);
  const ask = (messageRequest: never) => answerReflection(index, services, { host: "", messageRequest }, new Set());

  it("lists the served services, then health and both reflection versions", () => {
    expect(services).to.deep.equal(["kvmesh.v1.Worker", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]);
    expect(ask({ case: "listServices", value: "*" } as never)).to.deep.equal({ case: "listServicesResponse", value: { service: services.map((name) => ({ name })) } });
  });

  it("answers extension numbers of a known message (none) and NOT_FOUND otherwise", () => {
    expect(ask({ case: "allExtensionNumbersOfType", value: "kvmesh.v1.RouteRequest" } as never)).to.deep.equal(
      { case: "allExtensionNumbersResponse", value: { baseTypeName: "kvmesh.v1.RouteRequest", extensionNumber: [] } });
    expect(ask({ case: "allExtensionNumbersOfType", value: "kvmesh.v1.Router" } as never)).to.deep.equal(
      { case: "errorResponse", value: { errorCode: 5, errorMessage: "type kvmesh.v1.Router not found" } });
    expect(ask({ case: "fileContainingExtension", value: { containingType: "kvmesh.v1.RouteRequest", extensionNumber: 100 } } as never)).to.deep.equal(
      { case: "errorResponse", value: { errorCode: 5, errorMessage: "extension 100 of kvmesh.v1.RouteRequest not found" } });
  });

  it("answers INVALID_ARGUMENT to a request with no message_request", () => {
    expect(ask({ case: undefined } as never)).to.deep.equal({ case: "errorResponse", value: { errorCode: 3, errorMessage: "no message_request set" } });
  });
});
