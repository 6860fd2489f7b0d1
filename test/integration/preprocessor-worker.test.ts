// The preprocessor in front of a real onnx worker on stories260K (through a forwarding stand-in
// router): the card's tokenizer detokenizes real greedy output exactly, token-id and text
// prompts agree, and a stop string taken from that output ends the stream there.
import { expect } from "chai";
import type { ServiceError } from "@grpc/grpc-js";
import { FileDiscovery } from "#common/discovery/index.js";
import { createClient } from "#common/grpc-client.js";
import { FinishReason } from "#contracts/gen/kvmesh/v1/common.js";
import { PreprocessorClient } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import type { PreprocessRequest, PreprocessResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import type { FakeRouter } from "../support/fake-router.js";
import { startForwardingRouter } from "../support/forwarding-router.js";
import { startProcess, stopAllProcesses } from "../support/process.js";
import { loadStoriesTokenizer, repoRoot, requireStoriesModel, storiesModelDir } from "../support/stories-model.js";
import { KVMESH_CLI, startWorkerProcess } from "../support/worker-process.js";
import { streamMessages } from "../support/stream-messages.js";

describe("preprocessor with a real onnx worker (stories260K)", function () {
  this.timeout(120_000);
  let discovery: FileDiscovery;
  let router: FakeRouter;
  let client: PreprocessorClient;

  before(async function () {
    requireStoriesModel(this);
    const worker = await startWorkerProcess(["--model", storiesModelDir, "--num-kv-blocks", "128"]);
    discovery = new FileDiscovery({ namespace: "kvmesh", dir: worker.registryDir, ttlMs: 1000 });
    router = await startForwardingRouter(discovery, "router-fwd", worker.addresses[0]);
    const proc = startProcess("node", [KVMESH_CLI, "preprocessor", "--discovery-dir", worker.registryDir, "--discovery-ttl", "1s"], { cwd: repoRoot });
    client = createClient(PreprocessorClient, `127.0.0.1:${await proc.waitForListening(20_000)}`);
  });
  after(async () => {
    client?.close();
    await stopAllProcesses();
    await router?.stop();
    await discovery?.close();
  });

  function generate(request: Partial<PreprocessRequest>): Promise<{ messages: PreprocessResponse[]; error?: ServiceError }> {
    const full: PreprocessRequest = { requestId: "", model: "stories260K", stopStrings: [], includeStopStrInOutput: false, ...request };
    return streamMessages<PreprocessResponse>(client.generate(full));
  }

  const PROMPT = "Once upon a time";
  const stop = { maxTokens: 48, stopTokenIds: [], ignoreEos: false };
  let greedy = "";
  let greedyTokens = 0;

  it("streams real greedy output whose text is exactly the tokenizer's decode of its tokens", async () => {
    const { messages, error } = await generate({ requestId: "real-1", prompt: { $case: "text", text: PROMPT }, stop });
    expect(error).to.equal(undefined);
    const tok = loadStoriesTokenizer();
    const prompt = tok.encode(PROMPT).ids;
    const ids = messages.flatMap((m) => m.tokenIds);
    greedy = messages.map((m) => m.text).join("");
    greedyTokens = ids.length;
    const last = messages.at(-1)!;
    // The eos token that may end the stream is special: skipped in the text either way.
    const full = tok.decode([...prompt, ...ids], { skip_special_tokens: true });
    expect(PROMPT + greedy).to.equal(full);
    expect(greedy).to.not.include("\uFFFD");
    expect(greedy.length).to.be.greaterThan(10);
    expect([FinishReason.FINISH_REASON_STOP, FinishReason.FINISH_REASON_LENGTH]).to.include(last.finishReason);
    expect(last.usage?.promptTokens).to.equal(prompt.length);
    expect(last.usage?.completionTokens).to.equal(ids.length);
    expect(router.calls.find((c) => c.request.requestId === "real-1")!.request.tokenIds).to.deep.equal(prompt);
  });

  it("a token-id prompt gives the same greedy text", async () => {
    const tokenIds = loadStoriesTokenizer().encode(PROMPT).ids;
    const { messages, error } = await generate({ prompt: { $case: "tokens", tokens: { tokenIds } }, stop });
    expect(error).to.equal(undefined);
    expect(messages.map((m) => m.text).join("")).to.equal(greedy);
  });

  // (That the router call is cancelled is checked deterministically with the fake router, whose
  // stream stays open; a real worker may have finished already.)
  it("a stop string from the greedy output ends the stream before it, with usage counted to there", async () => {
    const words = greedy.trim().split(/\s+/);
    const stopString = ` ${words[Math.min(3, words.length - 1)]}`;
    const { messages, error } = await generate({ requestId: "real-stop", prompt: { $case: "text", text: PROMPT }, stop, stopStrings: [stopString] });
    expect(error).to.equal(undefined);
    expect(messages.map((m) => m.text).join("")).to.equal(greedy.slice(0, greedy.indexOf(stopString)));
    const last = messages.at(-1)!;
    expect(last.stopString).to.equal(stopString);
    expect(last.finishReason).to.equal(FinishReason.FINISH_REASON_STOP);
    expect(last.usage?.completionTokens).to.equal(messages.flatMap((m) => m.tokenIds).length);
    expect(last.usage?.completionTokens).to.be.lessThan(greedyTokens);
  });
});
