import { expect } from "chai";
import { Metadata } from "@grpc/grpc-js";
import type { ServiceError } from "@grpc/grpc-js";
import type { KvmeshError } from "#common/errors.js";
import {
  CancelledError, Code, ContextLengthError, FailedPreconditionError, InternalError, InvalidArgumentError,
  ModelNotFoundError, NoWorkerError, OverloadedError, TimeoutError, UnauthenticatedError, UnsupportedParameterError,
} from "#common/errors.js";
import { ERROR_CLASS_KEY, fromGrpcError, toGrpcStatus } from "#common/grpc-errors.js";
import { HTTP_ERROR_TABLE, httpErrorForStatus, httpErrorOf } from "#common/http-errors.js";

/** What a grpc-js client sees for a status sent by a server. */
function asServiceError(status: { code: number; details: string; metadata: Metadata }): ServiceError {
  return Object.assign(new Error(`${status.code} ${status.details}`), status) as ServiceError;
}

interface Row {
  error: KvmeshError;
  grpc: number;
  http: number | undefined;
  type?: string;
  code?: string | null;
  param?: string | null;
  retryAfter?: string;
}

// ARCHITECTURE.md "Errors", one row per typed error.
const ROWS: Row[] = [
  { error: new InvalidArgumentError("temperature must be in [0, 2]", { param: "temperature" }), grpc: 3, http: 400, type: "invalid_request_error", code: null, param: "temperature" },
  { error: new FailedPreconditionError("the model has no chat template"), grpc: 9, http: 400, type: "invalid_request_error", code: null },
  { error: new ContextLengthError("prompt is 600 tokens, the context is 512", { param: "messages" }), grpc: 11, http: 400, type: "invalid_request_error", code: "context_length_exceeded", param: "messages" },
  { error: new ModelNotFoundError("the model `gpt-9` does not exist", { param: "model" }), grpc: 5, http: 404, type: "invalid_request_error", code: "model_not_found", param: "model" },
  { error: new UnsupportedParameterError("n > 1 is not supported", { param: "n" }), grpc: 12, http: 400, type: "invalid_request_error", code: "unsupported_parameter", param: "n" },
  { error: new OverloadedError("all workers are busy", { retryAfterSeconds: 2 }), grpc: 8, http: 503, type: "server_error", code: "overloaded", retryAfter: "2" },
  { error: new NoWorkerError("no routable worker for stories260K"), grpc: 14, http: 503, type: "server_error", code: "no_worker" },
  { error: new TimeoutError("request timed out after 30s"), grpc: 4, http: 504, type: "server_error", code: "timeout" },
  { error: new CancelledError("client went away"), grpc: 1, http: undefined },
  { error: new UnauthenticatedError("incorrect API key provided"), grpc: 16, http: 401, type: "invalid_request_error", code: "invalid_api_key" },
];

describe("errors: the one table", () => {
  for (const row of ROWS) {
    const name = row.error.constructor.name;

    it(`${name} → gRPC ${row.grpc} and back unchanged`, () => {
      const status = toGrpcStatus(row.error);
      expect(status.code).to.equal(row.grpc);
      expect(status.details).to.equal(row.error.message);
      const back = fromGrpcError(asServiceError(status));
      expect(back).to.be.instanceOf(row.error.constructor);
      expect(back.message).to.equal(row.error.message);
      expect(back.param).to.equal(row.error.param);
      if (row.error instanceof OverloadedError) expect((back as OverloadedError).retryAfterSeconds).to.equal(row.error.retryAfterSeconds);
    });

    it(`${name} → HTTP ${row.http ?? "none"}`, () => {
      const http = httpErrorOf(row.error);
      if (row.http === undefined) return expect(http).to.equal(undefined);
      expect(http).to.deep.equal({
        status: row.http,
        headers: row.retryAfter ? { "retry-after": row.retryAfter } : {},
        body: { error: { message: row.error.message, type: row.type, param: row.param ?? null, code: row.code } },
      });
    });
  }

  it("passes an error through a chain of services unchanged (worker → router → preprocessor → frontend)", () => {
    for (const row of ROWS) {
      const atWorker = toGrpcStatus(row.error);
      // The router and preprocessor each forward the failed call's error as-is.
      const atRouter = toGrpcStatus(asServiceError(atWorker));
      const atPreprocessor = toGrpcStatus(fromGrpcError(asServiceError(atRouter)));
      expect(atPreprocessor.code).to.equal(atWorker.code);
      expect(atPreprocessor.details).to.equal(atWorker.details);
      expect(atPreprocessor.metadata.getMap()).to.deep.equal(atWorker.metadata.getMap());
      expect(httpErrorOf(asServiceError(atPreprocessor))).to.deep.equal(httpErrorOf(row.error));
    }
  });

  const unexpected: Array<[string, unknown]> = [
    ["a plain Error", new Error("ENOENT: /secret/path\n    at readFile (node:fs:1:1)")],
    ["an InternalError", new InternalError("index corrupted at /var/lib")],
    ["a string", "boom"],
    ["a Node system error with a string code", Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })],
  ];
  for (const [name, err] of unexpected) {
    it(`maps ${name} to INTERNAL with a generic message and no stack`, () => {
      const status = toGrpcStatus(err);
      expect(status).to.include({ code: Code.INTERNAL, details: "internal error" });
      expect(JSON.stringify(status.metadata.getMap())).not.to.match(/secret|at readFile|corrupted|ECONNREFUSED/);
      expect(httpErrorOf(err)).to.deep.equal({ status: 500, headers: {}, body: { error: { message: "internal error", type: "server_error", param: null, code: null } } });
    });
  }

  it("maps every gRPC code without a row to 500 server_error", () => {
    for (let code = 0; code <= 16; code++) {
      if (code === Code.CANCELLED) continue;
      const http = httpErrorForStatus(code, "detail")!;
      const row = HTTP_ERROR_TABLE[code as Code];
      if (row && code !== Code.INTERNAL) expect(http.body.error.message).to.equal("detail");
      else expect(http).to.deep.include({ status: 500, body: { error: { message: "internal error", type: "server_error", param: null, code: null } } });
    }
    expect(httpErrorForStatus(Code.CANCELLED, "gone")).to.equal(undefined);
  });

  const byCode: Array<[number, new (...args: never[]) => KvmeshError]> = [
    [Code.CANCELLED, CancelledError], [Code.INVALID_ARGUMENT, InvalidArgumentError], [Code.FAILED_PRECONDITION, FailedPreconditionError],
    [Code.OUT_OF_RANGE, ContextLengthError], [Code.NOT_FOUND, ModelNotFoundError], [Code.UNIMPLEMENTED, UnsupportedParameterError],
    [Code.RESOURCE_EXHAUSTED, OverloadedError], [Code.UNAVAILABLE, NoWorkerError], [Code.DEADLINE_EXCEEDED, TimeoutError],
    [Code.UNAUTHENTICATED, UnauthenticatedError],
    [Code.UNKNOWN, InternalError], [Code.DATA_LOSS, InternalError], [Code.INTERNAL, InternalError],
  ];
  for (const [code, ctor] of byCode) {
    it(`recreates ${ctor.name} from a bare status code ${code} (no kvmesh trailers, e.g. from grpc-js itself)`, () => {
      const err = fromGrpcError(asServiceError({ code, details: "x", metadata: new Metadata() }));
      expect(err).to.be.instanceOf(ctor);
      if (ctor === InternalError) expect(err.message).to.equal("internal error");
    });
  }

  it("trusts the code over a class trailer that disagrees with it", () => {
    const metadata = new Metadata();
    metadata.set(ERROR_CLASS_KEY, "FailedPreconditionError");
    expect(fromGrpcError(asServiceError({ code: Code.NOT_FOUND, details: "gone", metadata }))).to.be.instanceOf(ModelNotFoundError);
    const agreeing = new Metadata();
    agreeing.set(ERROR_CLASS_KEY, "FailedPreconditionError");
    expect(fromGrpcError(asServiceError({ code: Code.FAILED_PRECONDITION, details: "no template", metadata: agreeing }))).to.be.instanceOf(FailedPreconditionError);
  });
});
