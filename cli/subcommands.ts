/** The subcommands of `kvmesh`. `run` is absent for services not built yet (they exit 2). */
export interface Subcommand {
  readonly name: string;
  readonly summary: string;
  /** Resolves to an exit code; a service that keeps running resolves to -1 and exits on SIGTERM. */
  readonly run?: (argv: string[]) => Promise<number>;
}

export const SUBCOMMANDS: readonly Subcommand[] = [
  {
    name: "frontend",
    summary: "OpenAI-compatible HTTP gateway and gRPC Frontend API",
    run: async (argv) => (await import("./frontend-command.js")).runFrontendCommand(argv),
  },
  {
    name: "preprocessor",
    summary: "chat templates, tokenization, detokenization, stop strings",
    run: async (argv) => (await import("../services/preprocessor/src/main.js")).runPreprocessor(argv),
  },
  {
    name: "router",
    summary: "KV-aware router and stream proxy",
    run: async (argv) => (await import("../services/router/src/main.js")).runRouter(argv),
  },
  {
    name: "worker",
    summary: "inference worker (onnx engine or mocker)",
    run: async (argv) => (await import("../services/worker/src/main.js")).runWorker(argv),
  },
  {
    name: "up",
    summary: "start the whole mesh locally (frontend, preprocessor, router, workers)",
    run: async (argv) => (await import("./up/up.js")).runUp(argv),
  },
  {
    name: "chat",
    summary: "interactive chat in the terminal against a running frontend",
    run: async (argv) => (await import("./chat.js")).runChat(argv),
  },
  {
    name: "model",
    summary: "model cache: pull <org/name> from the Hugging Face hub, list, create-tiny <dir>",
    run: async (argv) => (await import("./model-command.js")).runModelCommand(argv),
  },
  {
    name: "bench",
    summary: "load generator (shared-prefix, multi-turn, trace replay); `bench compare` runs routing policies side by side",
    run: async (argv) => (await import("./bench.js")).runBench(argv),
  },
  {
    name: "sim",
    summary: "trace replay against the router's decide code and simulated mocker workers, in simulated time",
    run: async (argv) => (await import("./sim.js")).runSim(argv),
  },
  {
    name: "healthcheck",
    summary: "probe a service's grpc.health.v1 (exit 0 only when SERVING)",
    run: async (argv) => (await import("#common/healthcheck.js")).runHealthcheck(argv),
  },
];
