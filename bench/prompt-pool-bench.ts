// Where the prompt pool's inline threshold comes from: for prompt sizes around it, how long the
// event loop is held by encoding inline, against the round trip of the same prompt through a
// warm pool thread (structured clone both ways included). Both tokenizers kvmesh ships tests
// with: stories260K (sentencepiece BPE, no pre-tokenizer: slow per byte) and the generated tiny
// model (byte-level BPE). The machine's load average is written next to the numbers.
// Run: npm run --silent build && node dist/bench/prompt-pool-bench.js   (writes bench/results/prompt-pool.md)
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { seededRandom } from "#common/seeded-random.js";
import { promptAssetsFrom } from "../services/preprocessor/src/prompt-assets.js";
import type { PromptModelData } from "../services/preprocessor/src/prompt-assets.js";
import { PromptPool } from "../services/preprocessor/src/tokenizer/prompt-pool.js";
import { tinyTokenizerConfigJson, tinyTokenizerJson, tinyVocab } from "#models/tiny/tiny-tokenizer.js";
import { repoRoot, storiesModelDir } from "../test/support/stories-model.js";

const SIZES = [256, 1024, 2048, 4096, 8192, 16384];
const REPS = 15;
const WORDS = ["Once", "upon", "a", "time", "there", "was", "little", "girl", "named", "Lily", "she", "liked", "to", "play"];

function text(bytes: number, seed: number): string {
  const random = seededRandom(seed);
  let out = "";
  while (out.length < bytes) out += WORDS[Math.floor(random() * WORDS.length)] + " ";
  return out.slice(0, bytes);
}

function models(): PromptModelData[] {
  const read = (file: string): string => readFileSync(join(storiesModelDir, file), "utf8");
  const vocab = tinyVocab();
  return [
    { name: "stories260K", contextLength: 1 << 20, tokenizerJson: read("tokenizer.json"), tokenizerConfigJson: read("tokenizer_config.json") },
    { name: "kvmesh-tiny-random", contextLength: 1 << 20, tokenizerJson: JSON.stringify(tinyTokenizerJson(vocab)), tokenizerConfigJson: JSON.stringify(tinyTokenizerConfigJson(vocab)) },
  ];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const pool = new PromptPool({ threads: 1 });
  const rows: string[] = [];
  for (const data of models()) {
    const inline = promptAssetsFrom(data);
    const model = pool.register(data);
    await pool.encode(model, { $case: "text", text: "warm up" });
    for (const size of SIZES) {
      const inlineMs: number[] = [];
      const poolMs: number[] = [];
      for (let rep = 0; rep < REPS; rep++) {
        const prompt = text(size, size * 100 + rep);
        let t = performance.now();
        inline.tokenizer.encode(prompt, true);
        inlineMs.push(performance.now() - t);
        t = performance.now();
        await pool.encode(model, { $case: "text", text: prompt });
        poolMs.push(performance.now() - t);
      }
      const [held, trip] = [median(inlineMs), median(poolMs)];
      rows.push(`| ${data.name} | ${size} | ${held.toFixed(2)} | ${trip.toFixed(2)} | ${(trip - held).toFixed(2)} |`);
      console.log(rows.at(-1));
    }
  }
  await pool.destroy();
  const report = [
    "# Prompt pool: inline encoding vs a pool round trip",
    "",
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} (shared machine: other jobs ran alongside).`,
    `Median of ${REPS} seeded English-like prompts per size; "inline" is the time the event loop is held.`,
    "",
    "| tokenizer | prompt bytes | inline ms (event loop held) | pool round trip ms (encoding included) | pool extra ms |",
    "|---|---:|---:|---:|---:|",
    ...rows,
    "",
    "Reading: the pool adds the \"extra\" column to the request that uses it, and holds the event loop",
    "for none of the \"inline\" column. Prompts from 4 KiB (`INLINE_PROMPT_BYTES`) go to the pool: from",
    "there, inline encoding holds the loop for milliseconds (byte-level BPE) to tens of milliseconds",
    "(stories260K's sentencepiece BPE without a pre-tokenizer) and grows with the prompt, while below",
    "it the hold is about the round trip's own cost. On a loaded machine the numbers are noisy.",
    "",
  ].join("\n");
  mkdirSync(join(repoRoot, "bench", "results"), { recursive: true });
  writeFileSync(join(repoRoot, "bench", "results", "prompt-pool.md"), report);
}

await main();
