import { expect } from "chai";
import { echoTokenId } from "../../../services/worker/src/runners/echo-token.js";
import { createMockRunner } from "../../../services/worker/src/runners/mock-runner.js";
import { EngineRequest } from "../../../services/worker/src/engine/request.js";
import { DEFAULT_SAMPLING } from "../../../services/worker/src/sampling/sampling-params.js";

const key = (outputIndex: number, echo: number[]) => ({ seed: 0n, requestKey: "r", outputIndex, echo: { echoTokenIds: echo } });

describe("worker: echo engine tokens", () => {
  const cases: Array<[string, number, number[], number[], number]> = [
    ["the first echo token", 0, [7, 8, 9], [2], 7],
    ["the last echo token", 2, [7, 8, 9], [2], 9],
    ["eos one past the end", 3, [7, 8, 9], [2, 1], 2],
    ["eos well past the end", 10, [7, 8, 9], [2], 2],
    ["the echo over again without eos ids", 4, [7, 8, 9], [], 8],
  ];
  for (const [what, index, echo, eos, expected] of cases) {
    it(`gives ${what}`, () => expect(echoTokenId(key(index, echo), eos)).to.equal(expected));
  }

  it("fails clearly with nothing to echo and no eos", () => {
    expect(() => echoTokenId(key(0, []), [])).to.throw(RangeError, /nothing to echo/);
  });

  function request(tokenIds: number[], resumeFromIndex: number, echoTokenIds?: number[]): EngineRequest {
    return new EngineRequest({ requestId: "r", tokenIds, sampling: DEFAULT_SAMPLING, stop: { maxTokens: undefined, minTokens: 0, stopTokenIds: [], ignoreEos: false }, seed: 0n, resumeFromIndex, arrival: 0, echoTokenIds }, 4);
  }

  it("echoes the prompt without resumed tokens, so a migrated echo continues where it was", () => {
    expect(request([5, 6, 7], 0).echoTokenIds).to.deep.equal([5, 6, 7]);
    // Migration: the last two input tokens were generated (echoes of 5 and 6).
    expect(request([5, 6, 7, 5, 6], 2).echoTokenIds).to.deep.equal([5, 6, 7]);
    expect(request([5, 6, 7], 0, [9, 9]).echoTokenIds).to.deep.equal([9, 9]);
    expect(request([5, 6, 7], 0, []).echoTokenIds).to.deep.equal([5, 6, 7]);
  });

  it("the echo runner answers each row from its own request, the mocker from its hash", async () => {
    const options = { numBlocks: 8, blockSize: 4, vocabSize: 100, eosTokenIds: [2], speedupRatio: Infinity };
    const echo = createMockRunner({ ...options, echo: true });
    const mocker = createMockRunner(options);
    const row = (outputIndex: number, tokens: number[]) => ({ newTokenIds: [1], numComputedTokens: 3, blockIds: [0], needsLogits: true, mockToken: key(outputIndex, tokens) });
    const rows = [row(1, [40, 41, 42]), row(3, [50])];
    expect(await echo.execute(rows, 0)).to.deep.equal([{ tokenId: 41 }, { tokenId: 2 }]);
    const hashed = await mocker.execute(rows, 0);
    expect(hashed).to.not.deep.equal([{ tokenId: 41 }, { tokenId: 2 }]);
  });
});
