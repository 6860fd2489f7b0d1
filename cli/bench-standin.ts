/** `kvmesh bench standin`: the loopback stand-in server, until SIGTERM / SIGINT. */
import { basename } from "node:path";
import { loadServiceConfig } from "#common/config/index.js";
import { createPrefixCacheSim } from "../bench/standin/prefix-cache-sim.js";
import { startStandin } from "../bench/standin/server.js";
import { STANDIN_FLAGS } from "./bench-flags.js";

/** Serves until a signal; resolves -1 (the process exits from the signal handler). */
export async function runBenchStandin(argv: string[]): Promise<number> {
  const loaded = loadServiceConfig({ service: "bench standin", spec: STANDIN_FLAGS, argv, env: process.env, out: console.log, err: console.error });
  if (loaded.config === undefined) return loaded.exitCode;
  const c = loaded.config;
  const model = c.modelName ?? (c.model ? basename(c.model.replace(/\/+$/, "")) : "standin");
  const sim = c.simulateCache ? createPrefixCacheSim(c.workers, c.blockSize, c.routerMode) : undefined;
  const server = await startStandin({ model, maxModelLen: c.maxModelLen, sim }, c.httpPort);
  console.log(`kvmesh bench standin: serving ${model} at http://127.0.0.1:${server.port} (workers ${c.workers}, router-mode ${c.routerMode}, cache ${c.simulateCache ? "simulated" : "off"})`);
  const stop = (): void => void server.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  return -1;
}
