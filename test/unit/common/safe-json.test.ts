import { expect } from "chai";
import { Code } from "#common/errors.js";
import { MAX_JSON_DEPTH } from "#common/limits.js";
import { parseJsonSafely } from "#common/safe-json.js";

const nested = (depth: number, open = "[", close = "]"): string => `${open.repeat(depth)}${close.repeat(depth)}`;

function failure(fn: () => unknown): { code?: number; param?: string; message?: string } | undefined {
  try {
    fn();
  } catch (err) {
    return err as { code?: number; param?: string; message?: string };
  }
  return undefined;
}

describe("common: safe JSON parsing", () => {
  it(`accepts nesting of exactly ${MAX_JSON_DEPTH} and rejects ${MAX_JSON_DEPTH + 1}`, () => {
    expect(() => parseJsonSafely(nested(MAX_JSON_DEPTH))).not.to.throw();
    const err = failure(() => parseJsonSafely(nested(MAX_JSON_DEPTH + 1)));
    expect(err?.code).to.equal(Code.INVALID_ARGUMENT);
    expect(err?.message).to.include("deeper than 64");
    expect(err?.param).to.equal(undefined);
  });

  it("rejects 100,000 levels (objects and arrays mixed) without overflowing the stack, naming the param", () => {
    const text = `{"a":${'[{"b":'.repeat(50_000)}1${"}]".repeat(50_000)}}`;
    const err = failure(() => parseJsonSafely(text, { param: "tools" }));
    expect(err?.code).to.equal(Code.INVALID_ARGUMENT);
    expect(err?.param).to.equal("tools");
  });

  it("does not count brackets inside strings, nor escaped quotes as string ends", () => {
    const text = JSON.stringify({ s: "[".repeat(500) + '\\"{{{' + "\"".repeat(3), t: ["]]]"] });
    expect(parseJsonSafely(text)).to.deep.equal(JSON.parse(text));
  });

  it("turns invalid JSON into a 400 naming the param", () => {
    const err = failure(() => parseJsonSafely("{nope", { param: "chat_template_kwargs" }));
    expect(err?.code).to.equal(Code.INVALID_ARGUMENT);
    expect(err?.param).to.equal("chat_template_kwargs");
    expect(err?.message).to.include("not valid JSON");
  });

  const seeds: Array<[string, unknown]> = [
    ["18446744073709551615", 18446744073709551615n],
    ["18446744073709551616", 18446744073709551616n],
    ["-9223372036854775808", -9223372036854775808n],
    ["9007199254740993", 9007199254740993n],
    ["7", 7n],
    ["1.5", 1.5],
    ["1e3", 1000],
    ['"7"', "7"],
    ["null", null],
  ];
  for (const [literal, expected] of seeds) {
    it(`keeps a top-level seed ${literal} exact`, () => {
      const body = parseJsonSafely(`{"x":{"seed":1},"seed" : ${literal},"y":[1]}`, { exactIntegerKeys: ["seed"] }) as Record<string, unknown>;
      expect(body.seed).to.deep.equal(expected);
      expect(body.x).to.deep.equal({ seed: 1 }); // only the top level
    });
  }

  it("takes the last of duplicate keys, as JSON.parse does, and finds escaped key spellings", () => {
    const body = parseJsonSafely('{"seed":1,"se\\u0065d":18446744073709551615}', { exactIntegerKeys: ["seed"] }) as Record<string, unknown>;
    expect(body.seed).to.equal(18446744073709551615n);
  });
});
