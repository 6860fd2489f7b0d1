// Streamed chunks spliced from a per-request template are byte for byte what stringifying the
// whole chunk object gives, for every kind of chunk (the template covers text-only ones).
import { expect } from "chai";
import { FinishReason } from "#contracts/gen/kvmesh/v1/common.js";
import type { PreprocessResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { ChunkText } from "../../../services/frontend/src/openai/chunk-text.js";
import { chunkJson } from "../../../services/frontend/src/openai/responses.js";
import type { ChunkOptions, ResponseMeta } from "../../../services/frontend/src/openai/responses.js";

const message = (m: Partial<PreprocessResponse>): PreprocessResponse => ({ text: "", tokenIds: [1], logprobs: [], workerId: "w1", migrations: 0, toolCalls: [], ...m });
const usage = { promptTokens: 3, completionTokens: 2, cachedTokens: 1 };
const lp = { token: " a", logprob: -0.5, tokenBytes: Buffer.from(" a"), top: [{ token: " b", logprob: -1, tokenBytes: Buffer.from(" b") }] };

const TEXTS = ["", " a", 'quote " and \\ backslash', "new\nline\ttab", "unicode 日本 🐕 \u2028", "\u0000\u001f", "\uD800 lone"];
const MESSAGES: Array<[string, Partial<PreprocessResponse>]> = [
  ["text only", {}],
  ["last (finish and usage)", { finishReason: FinishReason.FINISH_REASON_STOP, usage, workerId: "w\"2", migrations: 1 }],
  ["logprobs", { logprobs: [lp] }],
  ["running usage", { usage }],
  ["tool-call piece", { toolCalls: [{ index: 0, id: "call_1", name: "f", arguments: "{" }] }],
  ["reasoning", { reasoningText: "hmm" }],
];
const OPTIONS: ChunkOptions[] = [
  { first: false, logprobs: false, textOffset: 0 },
  { first: true, logprobs: false, textOffset: 0 },
  { first: false, logprobs: true, textOffset: 4 },
  { first: false, logprobs: false, textOffset: 0, usage: true },
  { first: false, logprobs: false, textOffset: 0, sawToolCalls: true },
];

describe("ChunkText", () => {
  for (const kind of ["chat", "completions"] as const) {
    const meta: ResponseMeta = { id: `${kind}-"id"\\1`, created: 1_700_000_000, model: 'model "x"/日本', kind };
    for (const [name, fields] of MESSAGES) {
      it(`${kind}: ${name} chunks equal the stringified chunk object, for every text and option`, () => {
        const chunks = new ChunkText(meta);
        for (const text of TEXTS) {
          for (const options of OPTIONS) {
            const m = message({ ...fields, text });
            expect(chunks.of(m, options)).to.equal(JSON.stringify(chunkJson(meta, m, options)));
          }
        }
      });
    }
  }

  it("a text-only chunk is the template with the text spliced in (parses back to the chunk)", () => {
    const meta: ResponseMeta = { id: "cmpl-1", created: 5, model: "m", kind: "completions" };
    const text = new ChunkText(meta).of(message({ text: ' "x"' }), { first: false, logprobs: false, textOffset: 0 });
    expect(text).to.equal('{"id":"cmpl-1","object":"text_completion","created":5,"model":"m","choices":[{"index":0,"text":" \\"x\\"","logprobs":null,"finish_reason":null}]}');
    expect(JSON.parse(text)).to.deep.equal(chunkJson(meta, message({ text: ' "x"' }), { first: false, logprobs: false, textOffset: 0 }));
  });
});
