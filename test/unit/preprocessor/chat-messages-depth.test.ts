import { expect } from "chai";
import { Code } from "#common/errors.js";
import { MAX_JSON_DEPTH } from "#common/limits.js";
import { parseJsonField, toTemplateMessages } from "../../../services/preprocessor/src/chat-template/chat-messages.js";

// The Preprocessor is a door into the mesh of its own (gRPC callers may skip the frontend), so
// its JSON text fields get the same depth limit as an HTTP body.
describe("preprocessor: JSON text fields are depth-limited", () => {
  const nested = (depth: number): string => `${"[".repeat(depth)}${"]".repeat(depth)}`;

  it(`accepts ${MAX_JSON_DEPTH} levels of tools and rejects ${MAX_JSON_DEPTH + 1} naming the field`, () => {
    expect(() => parseJsonField(nested(MAX_JSON_DEPTH), "tools")).not.to.throw();
    let thrown: { code?: number; param?: string } | undefined;
    try {
      parseJsonField(nested(MAX_JSON_DEPTH + 1), "tools");
    } catch (err) {
      thrown = err as typeof thrown;
    }
    expect(thrown).to.deep.include({ code: Code.INVALID_ARGUMENT, param: "tools" });
  });

  it("rejects content parts nested 100,000 deep with a 400, not a stack overflow", () => {
    const parts = `[{"type":"text","text":"a","x":${nested(100_000)}}]`;
    let thrown: { code?: number; param?: string } | undefined;
    try {
      toTemplateMessages([{ role: "user", contentPartsJson: parts }]);
    } catch (err) {
      thrown = err as typeof thrown;
    }
    expect(thrown).to.deep.include({ code: Code.INVALID_ARGUMENT, param: "messages[0].content" });
  });
});
