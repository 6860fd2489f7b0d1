// Stop strings over streamed text: held-back prefixes, matches split across deltas,
// overlapping candidates, a stop at the very start, and include_stop_str_in_output.
import { expect } from "chai";
import { StopStringMatcher } from "../../../services/preprocessor/src/detokenizer/stop-strings.js";

interface Case {
  name: string;
  stops: string[];
  chunks: string[];
  include?: boolean;
  /** Text emitted for each chunk. */
  emitted: string[];
  stop?: string;
  /** What flush() releases at the end (only when no stop was reached). */
  flushed?: string;
}

const CASES: Case[] = [
  { name: "split across deltas", stops: ["STOP"], chunks: ["Hello ST", "O", "P more"], emitted: ["Hello ", "", ""], stop: "STOP" },
  { name: "a held prefix that does not complete is released", stops: ["STOP"], chunks: ["ST", "ART", "!"], emitted: ["", "START", "!"], flushed: "" },
  { name: "held text comes out on flush", stops: ["STOP"], chunks: ["go ST"], emitted: ["go "], flushed: "ST" },
  { name: "stop at the very start", stops: ["<end>"], chunks: ["<end>rest"], emitted: [""], stop: "<end>" },
  { name: "stop at the very start, one character at a time", stops: ["<end>"], chunks: ["<", "e", "n", "d", ">"], emitted: ["", "", "", "", ""], stop: "<end>" },
  { name: "self-overlapping prefix (aab in aaab)", stops: ["aab"], chunks: ["a", "a", "a", "b"], emitted: ["", "", "a", ""], stop: "aab" },
  { name: "overlapping candidates: the earliest wins", stops: ["bcd", "abc"], chunks: ["xab", "cd"], emitted: ["x", ""], stop: "abc" },
  { name: "earliest start, not first in the list", stops: ["world", "lo"], chunks: ["hello world"], emitted: ["hel"], stop: "lo" },
  { name: "same start: the longer one", stops: ["ab", "abc"], chunks: ["xabc"], emitted: ["x"], stop: "abc" },
  { name: "include_stop_str_in_output", stops: ["STOP"], chunks: ["a ST", "OP b"], include: true, emitted: ["a ", "STOP"], stop: "STOP" },
  { name: "emoji stop string", stops: ["🎉"], chunks: ["a", "🎉b"], emitted: ["a", ""], stop: "🎉" },
  { name: "multiline stop", stops: ["\n\n"], chunks: ["line\n", "\nnext"], emitted: ["line", ""], stop: "\n\n" },
  { name: "no stop strings: straight through", stops: [], chunks: ["a", "b"], emitted: ["a", "b"], flushed: "" },
  { name: "empty stop strings are ignored", stops: [""], chunks: ["a"], emitted: ["a"], flushed: "" },
  { name: "text after the stop is dropped", stops: ["X"], chunks: ["aXb", "more"], emitted: ["a", ""], stop: "X" },
];

describe("preprocessor stop strings", () => {
  for (const c of CASES) {
    it(c.name, () => {
      const matcher = new StopStringMatcher(c.stops, c.include ?? false);
      const results = c.chunks.map((chunk) => matcher.push(chunk));
      expect(results.map((r) => r.text)).to.deep.equal(c.emitted);
      expect(results.map((r) => r.stop).find((s) => s !== undefined)).to.equal(c.stop);
      if (c.flushed !== undefined) expect(matcher.flush()).to.equal(c.flushed);
      if (c.stop !== undefined) expect(matcher.flush()).to.equal("");
    });
  }

  it("never emits any part of the stop string, however the text is split (every split point)", () => {
    const text = "The end is near. END of story";
    for (let cut = 0; cut <= text.length; cut++) {
      for (let cut2 = cut; cut2 <= text.length; cut2++) {
        const matcher = new StopStringMatcher(["END"]);
        const parts = [text.slice(0, cut), text.slice(cut, cut2), text.slice(cut2)].map((p) => matcher.push(p));
        expect(parts.map((p) => p.text).join("")).to.equal("The end is near. ");
        expect(parts.some((p) => p.stop === "END")).to.equal(true);
      }
    }
  });
});
