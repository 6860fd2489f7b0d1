import { expect } from "chai";
import { FinishReason } from "#contracts/gen/kvmesh/v1/common.js";
import type { PreprocessResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { chunkJson, kvmeshExtension, wholeResponseJson } from "../../../services/frontend/src/openai/responses.js";

const meta = { id: "cmpl-1", created: 1, model: "m", kind: "completions" as const };
const msg = (extra: Partial<PreprocessResponse> = {}): PreprocessResponse => ({ text: "x", tokenIds: [1], logprobs: [], workerId: "w1", migrations: 0, toolCalls: [], ...extra });
const usage = { promptTokens: 100, completionTokens: 4, cachedTokens: 96 };
const record = { predictedCachedTokens: 96, availableCachedTokens: 96, cachedTokens: 96, predictedTtftMs: 3.5 };

describe("frontend: the kvmesh extension carries the routing record", () => {
  it("names the worker, migrations, predictions and the delivered count (usage's)", () => {
    expect(kvmeshExtension(msg({ routing: record, usage: { ...usage, cachedTokens: 80 } }))).to.deep.equal({
      worker_id: "w1", migrations: 0, predicted_cached_tokens: 96, predicted_ttft_ms: 3.5, available_cached_tokens: 96, cached_tokens: 80,
    });
  });

  it("sends predicted_ttft_ms as null when the router mode does not predict it", () => {
    const { predictedTtftMs: _ttft, ...kv } = record;
    expect(kvmeshExtension(msg({ routing: kv, usage }))).to.include({ predicted_ttft_ms: null, predicted_cached_tokens: 96 });
  });

  it("sends nulls without a record; the delivered count falls back to the record, then null", () => {
    expect(kvmeshExtension(msg())).to.deep.equal({ worker_id: "w1", migrations: 0, predicted_cached_tokens: null, predicted_ttft_ms: null, available_cached_tokens: null, cached_tokens: null });
    expect(kvmeshExtension(msg({ routing: record }))).to.include({ cached_tokens: 96 });
    expect(kvmeshExtension(msg({ routing: { ...record, predictedCachedTokens: 0 } }))).to.include({ predicted_cached_tokens: 0 });
  });

  it("rides only the last chunk of a stream, and the whole response", () => {
    const options = { first: false, logprobs: false, textOffset: 0 };
    expect(chunkJson(meta, msg({ routing: record, usage }), options)).to.not.have.property("kvmesh");
    const last = msg({ routing: record, usage, finishReason: FinishReason.FINISH_REASON_LENGTH });
    expect(chunkJson(meta, last, options)).to.have.nested.property("kvmesh.predicted_ttft_ms", 3.5);
    expect(wholeResponseJson(meta, [msg(), last], false)).to.have.nested.property("kvmesh.predicted_cached_tokens", 96);
  });
});
