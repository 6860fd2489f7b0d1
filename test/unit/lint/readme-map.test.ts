// The root README's map of the code stays true: every `[file]` an arrow names exists, and makes
// the call the arrow names (Worker.Generate → `.generate(`, NATS → `publish`, a discovery watch
// → `.watch(`). Renaming or moving a file on the request path fails here until the map follows.
import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** The map section: from its heading to the next `## `. */
function mapSection(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("## Map of the code");
  expect(start, "README has a Map of the code section").to.be.greaterThan(-1);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

/** What a file making the call `label` must contain. */
function callText(label: string): string {
  if (label.startsWith("NATS")) return "publish";
  if (label === "watch") return ".watch(";
  const method = label.split(".").at(-1)!;
  return `.${method[0].toLowerCase()}${method.slice(1)}(`;
}

describe("README map of the code", () => {
  const arrows = [...mapSection().matchAll(/─([^─►]+)─►\s+\[([^\]]+)\]/g)].map((m) => ({ label: m[1].trim(), file: m[2] }));

  it("names a file for every call on the request path, KV events and worker discovery", () => {
    expect(arrows.map((a) => a.label)).to.include.members([
      "Preprocessor.Generate", "Router.Generate", "Worker.Generate", "Worker.StreamKvEvents", "Worker.DumpKvState", "Worker.GetModelCard", "watch",
    ]);
  });

  for (const { label, file } of arrows) {
    it(`${label}: ${file} exists and makes the call`, () => {
      const path = join(ROOT, file);
      expect(existsSync(path), `${file} exists`).to.equal(true);
      expect(readFileSync(path, "utf8")).to.include(callText(label));
    });
  }
});
