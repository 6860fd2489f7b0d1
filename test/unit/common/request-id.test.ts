// The client's x-request-id: which values are a label, which are a 400 (param x-request-id).
import { expect } from "chai";
import { InvalidArgumentError } from "#common/errors.js";
import { clientRequestId, MAX_CLIENT_REQUEST_ID_LENGTH, newRequestId } from "#common/request-id.js";

describe("clientRequestId", () => {
  const accepted: [string, unknown, string | undefined][] = [
    ["absent", undefined, undefined],
    ["empty", "", undefined],
    ["one character", "a", "a"],
    ["printable ASCII with spaces and symbols", "req 42/~!", "req 42/~!"],
    [`exactly ${MAX_CLIENT_REQUEST_ID_LENGTH} characters`, "x".repeat(MAX_CLIENT_REQUEST_ID_LENGTH), "x".repeat(MAX_CLIENT_REQUEST_ID_LENGTH)],
  ];
  for (const [name, value, expected] of accepted) {
    it(`accepts ${name}`, () => expect(clientRequestId(value)).to.equal(expected));
  }
  const refused: [string, unknown][] = [
    [`${MAX_CLIENT_REQUEST_ID_LENGTH + 1} characters`, "x".repeat(MAX_CLIENT_REQUEST_ID_LENGTH + 1)],
    ["a tab", "a\tb"],
    ["a newline", "a\nb"],
    ["NUL", "a\u0000b"],
    ["DEL", "a\u007fb"],
    ["non-ASCII", "caf\u00e9"],
    ["an emoji", "id-\u{1F600}"],
    ["not text (a repeated header as an array)", ["a", "b"]],
  ];
  for (const [name, value] of refused) {
    it(`refuses ${name} with param x-request-id`, () => {
      const err = (() => {
        try {
          clientRequestId(value);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).to.be.instanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).param).to.equal("x-request-id");
    });
  }
  it("the mesh's own ids are unique", () => {
    expect(new Set(Array.from({ length: 1000 }, newRequestId)).size).to.equal(1000);
  });
});
