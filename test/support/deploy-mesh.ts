// The topology of deploy/compose.yaml (mocker profile) as local processes: a real nats-server,
// the loopback Consul stand-in (test/support/consul-standin.ts: no Consul server can be
// installed here) as the agent, two mocker workers on stories260K with the compose chat
// template, a router reading KV events from NATS, a preprocessor and a frontend. Each command
// is the compose service's own, with only the container-specific values swapped for local
// ones: listen 127.0.0.1:0 (no --advertise-host), the stand-in and nats-server URLs, ephemeral
// metrics and HTTP ports, the model and template paths, and a 1 s discovery TTL.
import { join } from "node:path";
import { ConsulStandin } from "./consul-standin.js";
import { deployDir, loadComposeServices } from "./compose-file.js";
import { startNatsServer } from "./nats-server.js";
import type { NatsServerHandle } from "./nats-server.js";
import { startProcess } from "./process.js";
import type { TestProcess } from "./process.js";
import { repoRoot, storiesModelDir } from "./stories-model.js";
import { KVMESH_CLI } from "./worker-process.js";

/** A running local copy of the compose mesh; every address is 127.0.0.1:port. */
export interface DeployMesh {
  readonly consul: ConsulStandin;
  readonly nats: NatsServerHandle;
  /** `http://127.0.0.1:<port>` of the frontend's OpenAI REST API. */
  readonly url: string;
  readonly frontendGrpc: string;
  readonly preprocessor: string;
  readonly router: string;
  readonly workers: string[];
  readonly routerMetricsPort: number;
  readonly processes: TestProcess[];
  /** Stops every process (frontend first, workers last), nats-server and the stand-in. */
  stop(): Promise<void>;
}

/** Flags whose compose values only make sense inside the compose network. */
const LOCAL_FLAGS = ["--listen", "--advertise-host", "--consul-url", "--nats-url", "--metrics-port", "--http-port", "--model", "--chat-template"];

/** The compose service's command with the container-specific flags replaced by `local`. */
export function localCommand(service: string, local: Record<string, string>, env: Record<string, string> = {}): string[] {
  const command = loadComposeServices(env)[service].command!;
  // compose.yaml writes --flag=value, so dropping one element drops one flag and its value.
  const spaced = command.find((arg) => LOCAL_FLAGS.includes(arg));
  if (spaced) throw new Error(`${service}: write ${spaced}=value in compose.yaml`);
  const kept = command.filter((arg) => !LOCAL_FLAGS.some((flag) => arg.startsWith(`${flag}=`)));
  return [...kept, "--discovery-ttl", "1s", ...Object.entries(local).map(([flag, value]) => `${flag}=${value}`)];
}

function listeningRecord(proc: TestProcess): Record<string, unknown> {
  return JSON.parse(proc.lines.find((l) => l.includes('"msg":"listening"'))!) as Record<string, unknown>;
}

/** Starts the mesh; resolves once the frontend's /health is ready. */
export async function startDeployMesh(): Promise<DeployMesh> {
  const consul = await ConsulStandin.start();
  const nats = await startNatsServer();
  const processes: TestProcess[] = [];
  const common = { "--listen": "127.0.0.1:0", "--consul-url": consul.url, "--nats-url": nats.url };
  const start = async (service: string, local: Record<string, string>, env: Record<string, string> = {}): Promise<TestProcess> => {
    const proc = startProcess("node", [KVMESH_CLI, ...localCommand(service, { ...common, ...local }, env)], { cwd: repoRoot });
    processes.push(proc);
    await proc.waitForListening(30_000);
    return proc;
  };
  const workerFlags = { "--metrics-port": "0", "--model": storiesModelDir, "--chat-template": join(deployDir, "chat-template.jinja") };
  // The mocker runs faster than real time so the test does not wait on simulated steps.
  const workers = await Promise.all([1, 2].map(() => start("worker-mocker", workerFlags, { KVMESH_SPEEDUP_RATIO: "20" })));
  const router = await start("router", { "--metrics-port": "0" });
  const preprocessor = await start("preprocessor", { "--metrics-port": "0" });
  const frontend = await start("frontend", { "--http-port": "0" });
  const record = listeningRecord(frontend);
  const url = `http://127.0.0.1:${record.http_port as number}`;
  const deadline = Date.now() + 30_000;
  while (!(await fetch(`${url}/health`).then((r) => r.ok, () => false))) {
    if (Date.now() > deadline) throw new Error(`frontend /health not ready:\n${frontend.lines.join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const address = (proc: TestProcess): string => `127.0.0.1:${listeningRecord(proc).port as number}`;
  return {
    consul, nats, url, processes,
    frontendGrpc: address(frontend),
    preprocessor: address(preprocessor),
    router: address(router),
    workers: workers.map(address),
    routerMetricsPort: listeningRecord(router).metrics_port as number,
    stop: async () => {
      for (const proc of [...processes].reverse()) await proc.stop();
      await nats.stop();
      await consul.close();
    },
  };
}
