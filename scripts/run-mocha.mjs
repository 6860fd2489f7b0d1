#!/usr/bin/env node
// Runs the compiled mocha suite and ends with the one line CI reads: `N passed, N failed`.
// Mocha's own summary is not that line, so the counts are taken from its runner events.
// Arguments: directories or files under dist/test to run (default: all of dist/test).
import Mocha from "mocha";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function testFiles(path) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).sort().flatMap((name) => {
    const child = join(path, name);
    return statSync(child).isDirectory() ? testFiles(child) : name.endsWith(".test.js") ? [child] : [];
  });
}

const roots = process.argv.length > 2 ? process.argv.slice(2) : ["dist/test"];
const mocha = new Mocha({ timeout: 60000, reporter: "spec" });
for (const root of roots) for (const file of testFiles(root)) mocha.addFile(file);

await mocha.loadFilesAsync();
let passed = 0;
let failed = 0;
const runner = mocha.run(() => {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
});
runner.on("pass", () => passed++);
runner.on("fail", () => failed++);
