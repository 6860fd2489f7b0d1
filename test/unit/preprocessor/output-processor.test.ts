// The output side on stories260K: router messages in, text deltas out; stop strings end the
// stream at the token that completes them, stop tokens' text is left out, usage and logprobs.
import { expect } from "chai";
import { FinishReason } from "#contracts/gen/kvmesh/v1/common.js";
import type { GenerateResponse, Usage } from "#contracts/gen/kvmesh/v1/common.js";
import { OutputProcessor } from "../../../services/preprocessor/src/stream/output-processor.js";
import type { OutputProcessorOptions } from "../../../services/preprocessor/src/stream/output-processor.js";
import { requireStoriesModel } from "../../support/stories-model.js";
import { storiesTokenizer } from "./stories-tokenizer.js";

const ids = (text: string): number[] => storiesTokenizer().encode(text, false);
const message = (tokenIds: number[], extra: Partial<GenerateResponse> = {}): GenerateResponse => ({ tokenIds, index: 0, logprobs: [], workerId: "w1", migrations: 0, ...extra });
const LENGTH = FinishReason.FINISH_REASON_LENGTH;
const STOP = FinishReason.FINISH_REASON_STOP;

interface Case {
  name: string;
  // Thunks, like messages: the tokenizer is read only once the model was found.
  options?: () => Partial<OutputProcessorOptions>;
  messages: () => GenerateResponse[];
  texts: string[];
  finish: FinishReason;
  stopString?: string;
  usage?: () => Usage;
  /** Token ids of the last message. */
  lastIds?: () => number[];
}

const PROMPT = [1, 403, 407]; // <s> Once upon
const usage = (completion: number, cached = 0): Usage => ({ promptTokens: PROMPT.length, completionTokens: completion, cachedTokens: cached });

const CASES: Case[] = [
  {
    name: "a stop string ends the stream: cached tokens come from the first message",
    options: () => ({ stopStrings: ["dog"] }),
    messages: () => [message(ids("a big"), { cachedTokens: 48 }), message(ids("dog ran")), message(ids("more"))],
    texts: [" a big", " "],
    finish: STOP,
    stopString: "dog",
    usage: () => usage(ids("a big").length + ids("dog").length, 48),
  },
  {
    name: "text through to a length finish; usage passes through",
    messages: () => [message(ids("a time")), message(ids("there was"), { finishReason: LENGTH, usage: usage(4, 16) })],
    texts: [" a time", " there was"],
    finish: LENGTH,
    usage: () => usage(4, 16),
  },
  {
    name: "a stop string inside one message ends it at the completing token",
    options: () => ({ stopStrings: ["big"] }),
    messages: () => [message(ids("a big dog ran"))],
    texts: [" a "],
    finish: STOP,
    stopString: "big",
    lastIds: () => {
      // Up to and including the token that completed "big".
      const all = ids("a big dog ran");
      const tok = storiesTokenizer();
      const n = all.findIndex((_, i) => tok.decode([...PROMPT, ...all.slice(0, i + 1)], true).includes("big"));
      return all.slice(0, n + 1);
    },
  },
  {
    name: "a stop string split across messages; cached tokens of an earlier message are kept",
    options: () => ({ stopStrings: ["dog"] }),
    messages: () => {
      const all = ids("a big dog");
      return [message(all.slice(0, all.length - 1), { usage: usage(0, 32) }), message(all.slice(all.length - 1)), message(ids("more"))];
    },
    texts: [" a big ", ""],
    finish: STOP,
    stopString: "dog",
    usage: () => usage(ids("a big dog").length, 32),
  },
  {
    name: "a stop string at the very start emits nothing",
    options: () => ({ stopStrings: [" Hello"] }),
    messages: () => [message(ids("Hello there"))],
    texts: [""],
    finish: STOP,
    stopString: " Hello",
  },
  {
    name: "include_stop_str_in_output keeps the stop string",
    options: () => ({ stopStrings: ["big"], includeStopStrInOutput: true }),
    messages: () => [message(ids("a big dog"))],
    texts: [" a big"],
    finish: STOP,
    stopString: "big",
  },
  {
    name: "stop strings are not looked for before min_tokens",
    options: () => ({ stopStrings: ["dog"], minTokens: ids("a dog ran").length }),
    messages: () => [message(ids("a dog ran a dog too"))],
    texts: [" a dog ran a "],
    finish: STOP,
    stopString: "dog",
  },
  {
    name: "a held-back prefix is released when the stream ends",
    options: () => ({ stopStrings: ["dogs"] }),
    messages: () => [message(ids("a dog"), { finishReason: LENGTH, usage: usage(2) })],
    texts: [" a dog"],
    finish: LENGTH,
  },
  {
    name: "the stop token that ended the stream has no text (eos shown with skip_special_tokens false)",
    options: () => ({ stopTokenIds: [2, 1], skipSpecialTokens: false }),
    messages: () => [message([...ids("a dog"), 2], { finishReason: STOP, usage: usage(3) })],
    texts: [" a dog"],
    finish: STOP,
    usage: () => usage(3),
  },
  {
    name: "an eos token in mid-stream is special and skipped by default",
    messages: () => [message([...ids("a"), 2, ...ids("dog")], { finishReason: LENGTH, usage: usage(3) })],
    texts: [" a dog"],
    finish: LENGTH,
  },
  {
    name: "an incomplete character at the end of the stream comes out as the full decode does",
    messages: () => [message(ids("日").slice(0, 2)), message([], { finishReason: LENGTH, usage: usage(2) })],
    texts: [" ", "\uFFFD"],
    finish: LENGTH,
  },
];

describe("preprocessor output processor (stories260K)", () => {
  before(function () {
    requireStoriesModel(this);
  });

  for (const c of CASES) {
    it(c.name, () => {
      const processor = new OutputProcessor({ tokenizer: storiesTokenizer(), promptTokenIds: PROMPT, skipSpecialTokens: true, stopStrings: [], includeStopStrInOutput: false, ...c.options?.() });
      const outputs = [];
      for (const m of c.messages()) {
        const out = processor.push(m);
        outputs.push(out);
        if (out.done) break;
      }
      expect(outputs.map((o) => o.response.text)).to.deep.equal(c.texts);
      const last = outputs.at(-1)!;
      expect(last.done).to.equal(true);
      expect(outputs.slice(0, -1).every((o) => !o.done && o.response.finishReason === undefined)).to.equal(true);
      expect(last.response.finishReason).to.equal(c.finish);
      expect(last.response.stopString).to.equal(c.stopString);
      if (c.usage) expect(last.response.usage).to.deep.equal(c.usage());
      if (c.lastIds) expect(last.response.tokenIds).to.deep.equal(c.lastIds());
      expect(last.response.workerId).to.equal("w1");
    });
  }

  it("puts the running usage on every message before the last (continuous_usage_stats)", () => {
    const processor = new OutputProcessor({ tokenizer: storiesTokenizer(), promptTokenIds: PROMPT, skipSpecialTokens: true, stopStrings: [], includeStopStrInOutput: false });
    const first = processor.push(message(ids("a time"), { cachedTokens: 16 }));
    const second = processor.push(message(ids("there")));
    const last = processor.push(message(ids("was"), { finishReason: LENGTH, usage: usage(99, 16) }));
    const n = ids("a time").length;
    expect(first.response.usage).to.deep.equal(usage(n, 16));
    expect(second.response.usage).to.deep.equal(usage(n + ids("there").length, 16));
    expect(last.response.usage, "the worker's final usage wins").to.deep.equal(usage(99, 16));
  });

  it("keeps the router's latest routing record on every message from the first that has one, to a stop-string end", () => {
    const processor = new OutputProcessor({ tokenizer: storiesTokenizer(), promptTokenIds: PROMPT, skipSpecialTokens: true, stopStrings: ["dog"], includeStopStrInOutput: false });
    const first = { predictedCachedTokens: 48, availableCachedTokens: 64, cachedTokens: 48, predictedTtftMs: 12 };
    const moved = { predictedCachedTokens: 0, availableCachedTokens: 0, cachedTokens: 0 };
    const out = [
      processor.push(message(ids("a"))),
      processor.push(message(ids("big"), { cachedTokens: 48, routing: first })),
      processor.push(message(ids("cat"))),
      processor.push(message(ids("sat"), { routing: moved })),
      processor.push(message(ids("dog ran"))),
    ];
    expect(out.map((o) => o.response.routing)).to.deep.equal([undefined, first, first, moved, moved]);
    expect(out.at(-1)!.done).to.equal(true);
  });

  it("spells logprobs: token text, bytes, and partial characters as bytes:\\xNN", () => {
    const processor = new OutputProcessor({ tokenizer: storiesTokenizer(), promptTokenIds: PROMPT, skipSpecialTokens: true, stopStrings: [], includeStopStrInOutput: false });
    const [a, e6] = [ids("a")[0], 3 + 0xe6];
    const out = processor.push(message([a, e6], { logprobs: [{ tokenId: a, logprob: -0.5, top: [{ tokenId: e6, logprob: -2 }] }, { tokenId: e6, logprob: -1, top: [] }] }));
    expect(out.response.logprobs.map((l) => [l.token, [...l.tokenBytes], l.logprob])).to.deep.equal([[" a", [0x20, 0x61], -0.5], ["bytes:\\xe6", [0xe6], -1]]);
    expect(out.response.logprobs[0].top.map((t) => t.token)).to.deep.equal(["bytes:\\xe6"]);
  });
});
