// bench:mesh hops — where the added latency of one request goes: the same 1-token request sent
// straight to the worker, to the router's Generate, to the preprocessor's Generate and through
// the frontend over HTTP, sequentially and interleaved in blocks (drift hits every path alike).
// Each path's p50 minus the one below it is what that hop adds.
// Run: npm run --silent build && node dist/bench/mesh-hops.js [--requests 500]
import { loadavg } from "node:os";
import type { ClientReadableStream } from "@grpc/grpc-js";
import { defineFlags, loadServiceConfig } from "#common/config/index.js";
import { createClient } from "#common/grpc-client.js";
import { PreprocessorClient } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { RouterClient } from "#contracts/gen/kvmesh/v1/router.js";
import { fetchModelInfo } from "./loadgen/model-info.js";
import { DirectWorkers } from "./mesh/direct-client.js";
import { startBenchMesh } from "./mesh/mesh-processes.js";
import type { ServiceProcess } from "./mesh/mesh-processes.js";
import { promptSource, sender } from "./mesh/phases.js";
import { summarize } from "./stats/percentiles.js";

const FLAGS = defineFlags([
  { name: "requests", type: "int", min: 10, default: 500, help: "sequential 1-token requests per path" },
  { name: "block", type: "int", min: 1, default: 25, help: "requests per path before the next path's turn" },
]);

const STOP = { maxTokens: 1, stopTokenIds: [], ignoreEos: true };

/** Milliseconds until the call ends; NaN when it fails. */
function timed(call: ClientReadableStream<unknown>): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    call.on("data", () => undefined);
    call.on("error", () => resolve(Number.NaN));
    call.on("end", () => resolve(performance.now() - t0));
  });
}

const grpcAddress = (s: ServiceProcess): string => `127.0.0.1:${s.listening[0].port as number}`;

async function main(): Promise<number> {
  const loaded = loadServiceConfig({ service: "bench:mesh hops", spec: FLAGS, argv: process.argv.slice(2), out: console.log, err: console.error });
  if (loaded.config === undefined) return loaded.exitCode;
  const { requests, block } = loaded.config;
  const mesh = await startBenchMesh(1, 10_000);
  const model = (await fetchModelInfo(mesh.url)).id;
  const direct = new DirectWorkers(mesh.workerAddresses, model);
  const router = createClient(RouterClient, grpcAddress(mesh.router));
  const preprocessor = createClient(PreprocessorClient, grpcAddress(mesh.preprocessor));
  try {
    const vocabSize = await direct.vocabSize();
    const prompt = promptSource(5, vocabSize);
    const http = sender({ url: mesh.url, model, direct, vocabSize }, "mesh", 5, 1);
    let seq = 0;
    const paths: Array<[string, (i: number) => Promise<number>]> = [
      ["worker (direct Worker.Generate)", async (i) => (await direct.generate(prompt(i), 1)).e2eMs],
      ["router (Router.Generate)", (i) => timed(router.generate({ requestId: `hops-${seq++}`, model, tokenIds: prompt(i), sampling: { temperature: 0 }, stop: STOP }))],
      ["preprocessor (Preprocessor.Generate, token ids)", (i) => timed(preprocessor.generate({
        requestId: `hops-${seq++}`, model, prompt: { $case: "tokens", tokens: { tokenIds: prompt(i) } }, sampling: { temperature: 0 }, stop: STOP,
        stopStrings: [], includeStopStrInOutput: false,
      }))],
      ["frontend (HTTP /v1/completions, streaming)", async (i) => (await http(i)).e2eMs],
    ];
    const samples = paths.map((): number[] => []);
    for (let start = 0; start < requests + block; start += block) {
      // The first block of each path warms it up and is dropped.
      for (const [p, [, send]] of paths.entries()) {
        for (let i = start; i < start + block; i++) {
          const ms = await send(i);
          if (start > 0 && Number.isFinite(ms)) samples[p].push(ms);
        }
      }
    }
    console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join("/")}\n`);
    console.log("| path | n | p50 ms | p90 ms | p99 ms | added p50 ms |\n|---|---|---|---|---|---|");
    let below: number | undefined;
    for (const [p, [name]] of paths.entries()) {
      const s = summarize(samples[p]);
      console.log(`| ${name} | ${samples[p].length} | ${s.p50.toFixed(2)} | ${s.p90.toFixed(2)} | ${s.p99.toFixed(2)} | ${below === undefined ? "" : (s.p50 - below).toFixed(2)} |`);
      below = s.p50;
    }
  } finally {
    router.close();
    preprocessor.close();
    direct.close();
    await mesh.stop();
  }
  return 0;
}

process.exitCode = await main();
