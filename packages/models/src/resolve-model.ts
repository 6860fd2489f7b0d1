/**
 * The worker's `--model` argument → a local model directory: an existing directory as is, a
 * Hugging Face repo id through the hub cache (downloading once), nothing → the generated
 * `kvmesh-tiny-random`.
 */
import { existsSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import type { Logger } from "#common/logger.js";
import { resolveHubModel } from "./hub/hub-model.js";
import { hubSettingsFromEnv } from "./hub/hub-settings.js";
import type { ProgressSink } from "./hub/progress.js";
import { ModelLoadError } from "./model-errors.js";
import { ensureTinyModel } from "./tiny/create-tiny.js";
import { TINY_MODEL_NAME } from "./tiny/tiny-spec.js";

/** Options of {@link resolveModel}. */
export interface ResolveModelOptions {
  readonly log: Logger;
  /** Hub revision for repo ids (default "main"). */
  readonly revision?: string;
  /** `--onnx-variant`: which ONNX file a repo download fetches. */
  readonly onnxVariant?: string;
  /** HF_ENDPOINT, HF_TOKEN, HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Download progress (default: a bar on a TTY stderr, log lines otherwise). */
  readonly progress?: ProgressSink;
  /** Repo ids: re-resolve the revision on the hub even when cached (fetching only new files). */
  readonly refresh?: boolean;
}

const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*)?$/;

/** True for `org/name` or `name` (hub ids), false for paths such as `./x` or `/a/b/c`. */
export function isRepoId(value: string): boolean {
  return REPO_ID.test(value) && !value.includes("..") && !value.endsWith(".git");
}

/**
 * Resolves `--model` to a directory for loadModelDir. Throws ModelLoadError when it is neither
 * an existing directory nor a repo id, or when the hub, the cache or the download fails.
 */
export async function resolveModel(modelArg: string | undefined, options: ResolveModelOptions): Promise<string> {
  const settings = hubSettingsFromEnv(options.env ?? process.env);
  const arg = modelArg?.trim();
  if (!arg || arg === TINY_MODEL_NAME) return ensureTinyModel(settings.hfHome);
  if (existsSync(arg)) {
    if (!statSync(arg).isDirectory()) throw new ModelLoadError(`--model ${arg} is a file; give a model directory or a Hugging Face repo id`);
    return resolve(arg);
  }
  if (!isRepoId(arg)) throw new ModelLoadError(`--model ${arg}: no such directory, and not a Hugging Face repo id (org/name)`);
  const { log, revision, onnxVariant, progress, refresh } = options;
  return resolveHubModel(arg, { settings, log, revision, onnxVariant, progress, refresh });
}

/** The default served model name (`--model-name` unset): the repo id, the tiny model's name, or the directory's basename. */
export function defaultModelName(modelArg: string | undefined, dir: string): string {
  const arg = modelArg?.trim();
  if (!arg) return TINY_MODEL_NAME;
  return existsSync(arg) ? basename(dir) : arg;
}
