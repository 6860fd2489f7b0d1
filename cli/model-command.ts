/**
 * `kvmesh model pull <repo> [--revision R] [--onnx-variant V]`, `kvmesh model list` and
 * `kvmesh model create-tiny <dir>`: the model cache from the command line.
 */
import { ConfigError, defineFlags, formatHelp, parseArgv } from "#common/config/index.js";
import { createLogger } from "#common/logger.js";
import { listCachedModels } from "#models/hub/cache-list.js";
import { hubSettingsFromEnv } from "#models/hub/hub-settings.js";
import { ModelLoadError } from "#models/model-errors.js";
import { resolveModel } from "#models/resolve-model.js";
import { writeTinyModel } from "#models/tiny/create-tiny.js";
import { formatModelList } from "./model-list-format.js";

const PULL_FLAGS = defineFlags([
  { name: "revision", type: "string", default: "main", env: "KVMESH_REVISION", help: "branch, tag or commit of the repository" },
  { name: "onnx-variant", type: "string", help: "ONNX file to fetch: model.onnx (default), model_fp16.onnx, model_q4.onnx, ..." },
  { name: "log-level", type: "enum", default: "info", choices: ["trace", "debug", "info", "warn", "error", "fatal", "silent"], help: "level of the progress log lines (stderr)" },
]);

const USAGE = [
  "usage: kvmesh model pull <org/name> [--revision R] [--onnx-variant V]   download into the Hugging Face cache",
  "       kvmesh model list                                                what the cache holds",
  "       kvmesh model create-tiny <dir>                                   write the generated kvmesh-tiny-random model",
  "",
  "env: HF_ENDPOINT (default https://huggingface.co), HF_TOKEN, HF_HOME, HF_HUB_OFFLINE=1",
].join("\n");

/** Where the command prints (console by default). */
export interface ModelCommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
}

const DEFAULT_IO: ModelCommandIo = { out: console.log, err: console.error, env: process.env };

async function pull(argv: readonly string[], io: ModelCommandIo): Promise<number> {
  const { config, positionals } = parseArgv(PULL_FLAGS, argv, io.env);
  if (positionals.length !== 1) throw new ConfigError([`pull takes one repository id, got ${positionals.length}`]);
  // Logs go to stderr so stdout carries only the snapshot path (scripts can use it).
  const log = createLogger({ service: "model", level: config.logLevel, destination: { write: (line: string) => void process.stderr.write(line) } });
  // A pull asks the hub for the revision's current commit; a worker start does not.
  const dir = await resolveModel(positionals[0], { log, revision: config.revision, onnxVariant: config.onnxVariant, env: io.env, refresh: true });
  io.out(dir);
  return 0;
}

async function dispatch(verb: string | undefined, rest: readonly string[], io: ModelCommandIo): Promise<number> {
  switch (verb) {
    case "pull":
      return pull(rest, io);
    case "list":
      if (rest.length > 0) throw new ConfigError([`list takes no arguments, got ${rest.join(" ")}`]);
      io.out(formatModelList(listCachedModels(hubSettingsFromEnv(io.env))));
      return 0;
    case "create-tiny":
      if (rest.length !== 1) throw new ConfigError(["create-tiny takes one directory"]);
      io.out(writeTinyModel(rest[0]));
      return 0;
    default:
      io.err(verb === undefined ? USAGE : `kvmesh model: unknown command "${verb}"\n${USAGE}`);
      return 2;
  }
}

/** Runs `kvmesh model ...`; resolves to the exit code (0 ok, 1 model error, 2 usage error). */
export async function runModelCommand(argv: readonly string[], io: ModelCommandIo = DEFAULT_IO): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === "--help" || verb === "-h" || rest.includes("--help") || rest.includes("-h")) {
    io.out(verb === "pull" ? formatHelp(PULL_FLAGS, USAGE) : USAGE);
    return 0;
  }
  try {
    return await dispatch(verb, rest, io);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`kvmesh model: ${err.message}\n${USAGE}`);
      return 2;
    }
    if (err instanceof ModelLoadError) {
      io.err(`kvmesh model: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
