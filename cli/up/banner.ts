/** What `kvmesh up` prints once the mesh is healthy: where it is, what it serves, how to try it. */

/** The facts the banner states. */
export interface BannerFacts {
  readonly url: string;
  readonly model: string;
  readonly workers: ReadonlyArray<{ id: string; port: number }>;
  readonly logDir: string;
}

/** The banner text. */
export function startupBanner(facts: BannerFacts): string {
  const { url, model, workers, logDir } = facts;
  const chat = JSON.stringify({ model, messages: [{ role: "user", content: "Tell me a story." }], max_tokens: 64 });
  const completion = JSON.stringify({ model, prompt: "Once upon a time", max_tokens: 64, temperature: 0 });
  return [
    "",
    `kvmesh is up: ${url}  (OpenAI API at ${url}/v1)`,
    `model: ${model}`,
    `workers: ${workers.map((w) => `${w.id} (gRPC port ${w.port})`).join(", ")}`,
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
