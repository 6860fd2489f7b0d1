import { expect } from "chai";
import { UNKNOWN_MODEL_LABEL, modelLabel } from "../../../services/frontend/src/metrics.js";
import { show } from "../../../services/frontend/src/openai/rules.js";

describe("frontend: bounded metric labels", () => {
  const served = new Set(["stories260K", "odd\u0000name\n"]);
  const isServed = (id: string): boolean => served.has(id);

  it("labels a served model by its name", () => expect(modelLabel("stories260K", isServed)).to.equal("stories260K"));
  it("labels every other name 'unknown', however long or strange", () => {
    for (const name of ["", "x".repeat(10_000), "a\u0000b", "stories260k", "stories260K "]) expect(modelLabel(name, isServed)).to.equal(UNKNOWN_MODEL_LABEL);
  });
  it("never puts a raw control character into a label", () => expect(modelLabel("odd\u0000name\n", isServed)).to.equal("odd_name_"));
});

describe("frontend: error messages show values briefly and safely", () => {
  it("shortens long values, names absent ones and survives a bigint inside an object", () => {
    expect(show("x".repeat(100))).to.have.length(40);
    expect(show(undefined)).to.equal("nothing");
    expect(show(Number.POSITIVE_INFINITY)).to.equal("Infinity");
    expect(show({ a: 1n })).to.equal("object");
  });
});
