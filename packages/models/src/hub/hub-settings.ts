/** The Hugging Face environment variables kvmesh honours, read once into plain data. */
import { homedir } from "node:os";
import { join } from "node:path";

/** Where and how to reach the hub, and where its cache lives. */
export interface HubSettings {
  /** HF_ENDPOINT without a trailing slash (default https://huggingface.co). */
  readonly endpoint: string;
  /** HF_TOKEN, sent as `Authorization: Bearer`. */
  readonly token?: string;
  /** HF_HOME (default $XDG_CACHE_HOME/huggingface or ~/.cache/huggingface). */
  readonly hfHome: string;
  /** HF_HUB_CACHE (default HF_HOME/hub): the models--org--name folders. */
  readonly hubCache: string;
  /** HF_HUB_OFFLINE=1: never touch the network, use the cache only. */
  readonly offline: boolean;
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && ["1", "true", "yes", "on"].includes(value.trim().toLowerCase());
}

/** Reads HF_ENDPOINT, HF_TOKEN, HF_HOME, HF_HUB_CACHE and HF_HUB_OFFLINE the way huggingface_hub does. */
export function hubSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): HubSettings {
  const hfHome = env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "huggingface");
  const token = env.HF_TOKEN?.trim();
  return {
    endpoint: (env.HF_ENDPOINT || "https://huggingface.co").replace(/\/+$/, ""),
    token: token ? token : undefined,
    hfHome,
    hubCache: env.HF_HUB_CACHE || join(hfHome, "hub"),
    offline: truthy(env.HF_HUB_OFFLINE),
  };
}
