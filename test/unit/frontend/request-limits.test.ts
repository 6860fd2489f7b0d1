import { expect } from "chai";
import { Code } from "#common/errors.js";
import { FLOAT32_MAX, INT32_MAX, UINT32_MAX } from "#common/limits.js";
import { parseJsonSafely } from "#common/safe-json.js";
import { checkJsonContentType } from "../../../services/frontend/src/http/body.js";
import { parseChatRequest, parseCompletionRequest } from "../../../services/frontend/src/openai/schemas.js";

const chat = (extra: object): Record<string, unknown> => ({ model: "m", messages: [{ role: "user", content: "hi" }], ...extra });
const completion = (extra: object): Record<string, unknown> => ({ model: "m", prompt: "hi", ...extra });

function rejection(fn: () => unknown): { code?: number; param?: string; message?: string } | undefined {
  try {
    fn();
  } catch (err) {
    return err as { code?: number; param?: string; message?: string };
  }
  return undefined;
}

describe("frontend: numeric ranges end where the proto field ends", () => {
  // [field, largest accepted, smallest rejected above it, smallest accepted, largest rejected below it]
  const ranges: Array<[string, number, number, number, number]> = [
    ["max_tokens", UINT32_MAX, UINT32_MAX + 1, 1, 0],
    ["max_completion_tokens", UINT32_MAX, UINT32_MAX + 1, 1, 0],
    ["min_tokens", UINT32_MAX, UINT32_MAX + 1, 0, -1],
    ["top_k", INT32_MAX, INT32_MAX + 1, -1, -2],
    ["temperature", 2, 2.000001, 0, -0.000001],
    ["top_p", 1, 1.000001, 1e-9, 0],
    ["presence_penalty", 2, 2.01, -2, -2.01],
    ["frequency_penalty", 2, 2.01, -2, -2.01],
    ["repetition_penalty", FLOAT32_MAX, 1e308, 1e-9, 0],
  ];
  for (const [field, max, overMax, min, underMin] of ranges) {
    it(`${field}: accepts ${min} and ${max}, rejects ${underMin} and ${overMax} naming the field`, () => {
      for (const ok of [min, max]) expect(rejection(() => parseChatRequest(chat({ [field]: ok }))), `${field} ${ok}`).to.equal(undefined);
      for (const bad of [underMin, overMax]) {
        const err = rejection(() => parseChatRequest(chat({ [field]: bad })));
        expect(err?.code, `${field} ${bad}`).to.equal(Code.INVALID_ARGUMENT);
        expect(err?.param).to.equal(field);
        expect(err?.message).to.include(field);
      }
    });
  }

  it("rejects 2^60 as out of range rather than a lost integer", () => {
    expect(rejection(() => parseChatRequest(chat({ max_tokens: 2 ** 60 })))?.message).to.include(`<= ${UINT32_MAX}`);
  });

  it("takes null as absent, and rejects strings, booleans and non-integers", () => {
    expect(parseChatRequest(chat({ max_tokens: null, temperature: null, seed: null })).request.sampling?.temperature).to.equal(undefined);
    for (const bad of ["5", true, [5], { v: 5 }, 1.5]) {
      const err = rejection(() => parseCompletionRequest(completion({ max_tokens: bad })));
      expect(err?.code, JSON.stringify(bad)).to.equal(Code.INVALID_ARGUMENT);
      expect(err?.param).to.equal("max_tokens");
    }
  });

  it("checks every stop token id and prompt token id against uint32", () => {
    expect(rejection(() => parseChatRequest(chat({ stop_token_ids: [1, UINT32_MAX + 1] })))?.param).to.equal("stop_token_ids[1]");
    expect(parseChatRequest(chat({ stop_token_ids: [0, UINT32_MAX] })).request.stop?.stopTokenIds).to.deep.equal([0, UINT32_MAX]);
    expect(rejection(() => parseCompletionRequest(completion({ prompt: [1, UINT32_MAX + 1] })))?.code).to.equal(Code.INVALID_ARGUMENT);
    expect(rejection(() => parseCompletionRequest(completion({ prompt: [1, -1] })))?.param).to.equal("prompt");
  });
});

describe("frontend: seeds over the whole int64/uint64 range, exactly", () => {
  const bodyWithSeed = (literal: string): Record<string, unknown> =>
    parseJsonSafely(`{"model":"m","prompt":"hi","seed":${literal}}`, { exactIntegerKeys: ["seed"] }) as Record<string, unknown>;
  const accepted: Array<[string, bigint]> = [
    ["0", 0n],
    ["18446744073709551615", 18446744073709551615n],
    ["9007199254740993", 9007199254740993n],
    ["-1", 18446744073709551615n],
    ["-9223372036854775808", 9223372036854775808n],
  ];
  for (const [literal, wire] of accepted) {
    it(`seed ${literal} travels as ${wire}`, () => {
      expect(parseCompletionRequest(bodyWithSeed(literal)).request.sampling?.seed).to.equal(wire);
    });
  }
  for (const literal of ["18446744073709551616", "-9223372036854775809", "1.5", '"7"', "1e30"]) {
    it(`seed ${literal} is a 400 naming seed`, () => {
      const err = rejection(() => parseCompletionRequest(bodyWithSeed(literal)));
      expect(err?.code).to.equal(Code.INVALID_ARGUMENT);
      expect(err?.param).to.equal("seed");
    });
  }
});

describe("frontend: JSON content types", () => {
  for (const ok of [undefined, "application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8", 'application/json; charset="utf-8"']) {
    it(`accepts ${String(ok)}`, () => expect(() => checkJsonContentType(ok)).not.to.throw());
  }
  for (const bad of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/jsonp", ""]) {
    it(`refuses ${JSON.stringify(bad)}`, () => expect(() => checkJsonContentType(bad)).to.throw(/Content-Type must be application\/json/));
  }
});
