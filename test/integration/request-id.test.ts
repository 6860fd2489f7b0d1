// Issue 13 items 6 and 7 through a real mocker mesh: the client's x-request-id is a label,
// echoed back and never a uniqueness key (a hundred concurrent requests may share one); an id
// with control characters, non-ASCII or over 256 characters is a 400 (INVALID_ARGUMENT over
// gRPC) with param "x-request-id".
import { expect } from "chai";
import { request } from "node:http";
import * as grpc from "@grpc/grpc-js";
import { ERROR_PARAM_KEY } from "#common/grpc-errors.js";
import { MAX_CLIENT_REQUEST_ID_LENGTH } from "#common/request-id.js";
import { FrontendClient } from "#contracts/gen/kvmesh/v1/frontend.js";
import type { CompletionChunk } from "#contracts/gen/kvmesh/v1/frontend.js";
import { startMesh } from "../support/mesh.js";
import type { Mesh } from "../support/mesh.js";
import { stopAllProcesses } from "../support/process.js";
import { requireStoriesModel, storiesModelDir } from "../support/stories-model.js";

interface Answer { status: number; requestId: string | undefined; json: { id?: string; error?: { param: string | null; type: string } } }

/** POST /v1/completions with raw header bytes (node:http sends latin1 and tabs as given). */
function complete(url: string, requestId: string | undefined): Promise<Answer> {
  const body = JSON.stringify({ model: "stories260K", prompt: "Once upon a time", max_tokens: 3 });
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(requestId === undefined ? {} : { "x-request-id": requestId }) },
    }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, requestId: res.headers["x-request-id"] as string | undefined, json: JSON.parse(text) as Answer["json"] }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("request ids: the client's is a label, never a key", function () {
  this.timeout(120_000);
  let mesh: Mesh;
  let grpcPort: number;

  before(async function () {
    requireStoriesModel(this);
    mesh = await startMesh([["--engine", "mocker", "--model", storiesModelDir, "--speedup-ratio", "20", "--max-num-seqs", "256"]]);
    const frontend = await mesh.addService("frontend", ["--http-port", "0"]);
    const line = frontend.lines.find((l) => l.includes('"msg":"listening"'))!;
    grpcPort = (JSON.parse(line) as { port: number }).port;
  });
  after(() => stopAllProcesses());

  it("100 concurrent requests sharing one x-request-id all succeed, each echoing it", async () => {
    const answers = await Promise.all(Array.from({ length: 100 }, () => complete(mesh.url, "shared-id")));
    expect(answers.map((a) => a.status)).to.deep.equal(Array(100).fill(200));
    expect(new Set(answers.map((a) => a.requestId))).to.deep.equal(new Set(["shared-id"]));
    expect(new Set(answers.map((a) => a.json.id)).size, "each response has its own id").to.equal(100);
  });

  it("without x-request-id the mesh's own id is returned", async () => {
    const answer = await complete(mesh.url, undefined);
    expect(answer.status).to.equal(200);
    expect(answer.requestId).to.match(/^[0-9a-f-]{36}$/);
  });

  it(`an id of exactly ${MAX_CLIENT_REQUEST_ID_LENGTH} printable characters is accepted`, async () => {
    const id = `${"a".repeat(MAX_CLIENT_REQUEST_ID_LENGTH - 2)} ~`;
    const answer = await complete(mesh.url, id);
    expect(answer.status).to.equal(200);
    expect(answer.requestId).to.equal(id);
  });

  const bad: [string, string][] = [
    ["one character too long", "a".repeat(MAX_CLIENT_REQUEST_ID_LENGTH + 1)],
    ["a tab", "a\tb"],
    ["non-ASCII", "caf\u00e9"],
  ];
  for (const [name, id] of bad) {
    it(`an id with ${name} is a 400 with param x-request-id, and the next request succeeds`, async () => {
      const answer = await complete(mesh.url, id);
      expect(answer.status).to.equal(400);
      expect(answer.json.error).to.include({ param: "x-request-id", type: "invalid_request_error" });
      expect((await complete(mesh.url, "ok")).status).to.equal(200);
    });
  }

  it("over the gRPC Frontend: a shared id is echoed in the response metadata; one over the length cap is INVALID_ARGUMENT with param x-request-id", async () => {
    const client = new FrontendClient(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
    const run = (id: string) => new Promise<{ echoed?: unknown; chunks: number; error?: grpc.ServiceError }>((resolve) => {
      const metadata = new grpc.Metadata();
      metadata.set("x-request-id", id);
      const call = client.completion({ model: "stories260K", prompt: { $case: "text", text: "Once upon a time" }, options: { maxTokens: 3, stop: [], ignoreEos: false, logprobs: false } }, metadata);
      let echoed: unknown;
      let chunks = 0;
      call.on("metadata", (m: grpc.Metadata) => (echoed = m.get("x-request-id")[0]));
      call.on("data", (_c: CompletionChunk) => chunks++);
      call.on("error", (error: grpc.ServiceError) => resolve({ echoed, chunks, error }));
      call.on("end", () => resolve({ echoed, chunks }));
    });
    try {
      const shared = await Promise.all(Array.from({ length: 20 }, () => run("grpc-shared")));
      for (const r of shared) {
        expect(r.error?.message).to.equal(undefined);
        expect(r.echoed).to.equal("grpc-shared");
        expect(r.chunks).to.be.greaterThan(0);
      }
      // grpc-js will not send a tab in metadata: the length cap stands in for the bad ids here.
      const long = await run("a".repeat(MAX_CLIENT_REQUEST_ID_LENGTH + 1));
      expect(long.error?.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(long.error?.metadata.get(ERROR_PARAM_KEY)[0]).to.equal("x-request-id");
    } finally {
      client.close();
    }
  });
});
