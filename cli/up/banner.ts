/** What `kvmesh up` prints once the mesh is healthy: where it is, what it serves, how to try it. */

/** One service process, as the banner lists it. */
export interface BannerService {
  readonly name: string;
  readonly pid: number | undefined;
  readonly metricsPort: number | undefined;
}

/** The facts the banner states. */
export interface BannerFacts {
  readonly url: string;
  readonly model: string;
  readonly workers: ReadonlyArray<{ id: string; port: number }>;
  readonly services: readonly BannerService[];
  /** The mesh line (namespace, registry, own or joined). */
  readonly mesh: string;
  readonly logDir: string;
}

/** `  router        pid 1234  metrics http://127.0.0.1:9102/metrics`. */
function serviceLine(s: BannerService, host: string): string {
  const metrics = s.metricsPort === undefined ? "no metrics (--metrics-port)" : `metrics http://${host}:${s.metricsPort}/metrics`;
  return `  ${s.name.padEnd(14)}pid ${String(s.pid ?? "?").padEnd(8)}${metrics}`;
}

/** The banner text. */
export function startupBanner(facts: BannerFacts): string {
  const { url, model, workers, logDir } = facts;
  const host = new URL(url).hostname;
  const chat = JSON.stringify({ model, messages: [{ role: "user", content: "Tell me a story." }], max_tokens: 64 });
  const completion = JSON.stringify({ model, prompt: "Once upon a time", max_tokens: 64, temperature: 0 });
  return [
    "",
    `kvmesh is up: ${url}  (OpenAI API at ${url}/v1)`,
    `model: ${model}`,
    `workers: ${workers.map((w) => `${w.id} (gRPC port ${w.port})`).join(", ")}`,
    facts.mesh,
    "services (restarted with backoff if one exits):",
    ...facts.services.map((s) => serviceLine(s, host)),
    `logs: ${logDir}`,
    "",
    "try:",
    `  curl ${url}/v1/completions -H 'content-type: application/json' -d '${completion}'`,
    `  curl ${url}/v1/chat/completions -H 'content-type: application/json' -d '${chat}'   (models with a chat template)`,
    `  kvmesh chat --url ${url}`,
    "",
    "Ctrl-C stops the mesh.",
    "",
  ].join("\n");
}
