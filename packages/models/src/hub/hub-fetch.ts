/** fetch against the hub with the token attached and hub failures turned into ModelLoadError. */
import { ModelLoadError } from "../model-errors.js";
import type { HubSettings } from "./hub-settings.js";

function networkCode(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === "string") return cause.code;
  return typeof cause?.message === "string" ? cause.message : (err as Error).message;
}

/**
 * GETs `url` with `Authorization: Bearer HF_TOKEN` when set. Resolves only for 2xx (or a
 * status in `accept`); `what` names the repo or file in error messages.
 */
export async function hubFetch(settings: HubSettings, url: string, headers: Record<string, string>, what: string, accept: readonly number[] = []): Promise<Response> {
  const allHeaders: Record<string, string> = { "user-agent": "kvmesh", ...headers };
  if (settings.token) allHeaders.authorization = `Bearer ${settings.token}`;
  let response: Response;
  try {
    response = await fetch(url, { headers: allHeaders, redirect: "follow" });
  } catch (err) {
    throw new ModelLoadError(
      `cannot reach the Hugging Face hub at ${settings.endpoint} for ${what} (${networkCode(err)}); ` +
        `check the network and HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use only models already in the cache (${settings.hubCache})`,
    );
  }
  if (response.ok || accept.includes(response.status)) return response;
  await response.body?.cancel();
  if (response.status === 404) {
    throw new ModelLoadError(`${what} not found on the hub at ${settings.endpoint} (404): check the repository id and revision`);
  }
  if (response.status === 401 || response.status === 403) {
    const hint = settings.token ? "HF_TOKEN was sent but is not allowed to read it" : "it may not exist, or be gated or private (set HF_TOKEN)";
    throw new ModelLoadError(`the hub at ${settings.endpoint} refused ${what} (${response.status}): ${hint}`);
  }
  throw new ModelLoadError(`the hub at ${settings.endpoint} answered ${response.status} ${response.statusText} for ${what}`);
}
