// Issue 13's big-prompt criterion as a measurement: small-request latency (p50/p99) on a
// `kvmesh up` mocker mesh (stories260K, context 131072), first alone, then while 4 clients keep
// sending the longest prompt that passes the byte pre-check (131072 × 7 = 917,504 bytes), in the
// same run. Done when: p99 with the big clients ≤ 2 × p99 without. Machine load is recorded.
// Run: npm run --silent build && node dist/bench/big-prompts-bench.js [seconds per phase, default 20]
// Writes bench/results/big-prompts/{results.json,summary.md}.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { launchMesh, stopAllMeshes } from "./compare/mesh-launcher.js";
import { repoRoot, storiesModelDir } from "../test/support/stories-model.js";

const CONTEXT_LENGTH = 131072;
const BIG_PROMPT_BYTES = CONTEXT_LENGTH * 7;
const PHASE_S = Number(process.argv[2] ?? 20);

interface Phase {
  name: string;
  latenciesMs: number[];
  errors: number;
  bigAnswers: Record<string, number>;
  loadAverage: number[];
}

const percentile = (xs: number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

async function complete(url: string, prompt: string, signal?: AbortSignal): Promise<number> {
  const res = await fetch(`${url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "stories260K", prompt, max_tokens: 4 }),
    signal,
  });
  await res.text();
  return res.status;
}

/** Small requests back to back (2 in flight) for PHASE_S seconds, with `bigClients` big senders alongside. */
async function phase(url: string, name: string, bigClients: number): Promise<Phase> {
  const stop = new AbortController();
  const result: Phase = { name, latenciesMs: [], errors: 0, bigAnswers: {}, loadAverage: [] };
  const big = "Once upon a time there was a little girl named Lily. ".repeat(BIG_PROMPT_BYTES / 53 + 1).slice(0, BIG_PROMPT_BYTES);
  const bigLoop = async (): Promise<void> => {
    while (!stop.signal.aborted) {
      const status = await complete(url, big, stop.signal).catch(() => "aborted");
      if (!stop.signal.aborted) result.bigAnswers[status] = (result.bigAnswers[status] ?? 0) + 1;
    }
  };
  const bigs = Array.from({ length: bigClients }, bigLoop);
  await new Promise((resolve) => setTimeout(resolve, bigClients > 0 ? 1000 : 0));
  const until = performance.now() + PHASE_S * 1000;
  const smallLoop = async (): Promise<void> => {
    while (performance.now() < until) {
      const started = performance.now();
      const status = await complete(url, "Once upon a time").catch(() => 0);
      if (status === 200) result.latenciesMs.push(performance.now() - started);
      else result.errors++;
    }
  };
  await Promise.all([smallLoop(), smallLoop()]);
  result.loadAverage = loadavg();
  stop.abort();
  await Promise.all(bigs);
  return result;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "kvmesh-big-prompts-"));
  const mesh = await launchMesh({
    command: [process.execPath, join(repoRoot, "dist", "cli", "kvmesh.js"), "up"],
    args: ["--engine", "mocker", "--model", storiesModelDir, "--context-length", String(CONTEXT_LENGTH), "--http-port", "0", "--discovery-dir", dir, "--namespace", `bench-big-${process.pid}`],
    readyTimeoutMs: 120_000,
  });
  try {
    const phases = [await phase(mesh.url, "small requests alone", 0), await phase(mesh.url, "with 4 big-prompt clients", 4)];
    const rows = phases.map((p) => {
      const line = `| ${p.name} | ${p.latenciesMs.length} | ${p.errors} | ${percentile(p.latenciesMs, 50).toFixed(1)} | ${percentile(p.latenciesMs, 99).toFixed(1)} | ${JSON.stringify(p.bigAnswers)} | ${p.loadAverage.map((l) => l.toFixed(1)).join(" ")} |`;
      console.log(line);
      return line;
    });
    const ratio = percentile(phases[1].latenciesMs, 99) / percentile(phases[0].latenciesMs, 99);
    const out = join(repoRoot, "bench", "results", "big-prompts");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "results.json"), JSON.stringify({ contextLength: CONTEXT_LENGTH, bigPromptBytes: BIG_PROMPT_BYTES, phaseSeconds: PHASE_S, cpus: cpus().length, phases }, null, 2) + "\n");
    writeFileSync(
      join(out, "summary.md"),
      [
        "# Small requests while big prompts are tokenized",
        "",
        `\`kvmesh up --engine mocker\` (1 worker, stories260K, context ${CONTEXT_LENGTH}); small requests: "Once upon a time", max_tokens 4, 2 in flight, ${PHASE_S} s per phase;`,
        `big prompts: ${BIG_PROMPT_BYTES} bytes of text (the longest that passes the byte pre-check), 4 clients back to back. ${cpus().length} CPUs; load average at the end of each phase below.`,
        "",
        "| phase | small answered 200 | small errors | p50 ms | p99 ms | big answers (status: count) | load average |",
        "|---|---:|---:|---:|---:|---|---|",
        ...rows,
        "",
        `p99 with / without the big clients: ${ratio.toFixed(2)}× (issue 13 asks ≤ 2×).`,
        ...(Object.keys(phases[1].bigAnswers).length === 0 ? ["", "No big prompt finished within the phase: each takes longer than that to tokenize on a pool thread here (they are cancelled at its end)."] : []),
        "",
      ].join("\n"),
    );
    console.log(`p99 ratio ${ratio.toFixed(2)}`);
  } finally {
    await mesh.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.once("SIGINT", () => void stopAllMeshes().then(() => process.exit(130)));
await main();
