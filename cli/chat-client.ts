/**
 * The HTTP side of `kvmesh chat`: streams one chat completion from the frontend and turns every
 * failure into one readable line that names the URL and the cause (never raw JSON, never a bare
 * "fetch failed").
 */

/** A failure `kvmesh chat` prints as one line. */
export class ChatError extends Error {}

/** One streamed answer. */
export interface Answer {
  readonly text: string;
  /** OpenAI's finish_reason of the last chunk ("stop", "length", ...); undefined when cut short. */
  readonly finishReason: string | undefined;
}

/** Where to ask and with which key. */
export interface ChatEndpoint {
  readonly url: string;
  readonly apiKey?: string;
}

function headersOf(endpoint: ChatEndpoint): Record<string, string> {
  return { "content-type": "application/json", ...(endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {}) };
}

/** The innermost cause of a network failure ("connect ECONNREFUSED 127.0.0.1:8000"). */
function networkCause(err: unknown): string {
  let cause: unknown = err;
  while (cause instanceof Error && cause.cause !== undefined) cause = cause.cause;
  if (cause instanceof AggregateError && cause.errors.length > 0) cause = cause.errors[0];
  return cause instanceof Error ? cause.message : String(cause);
}

/** fetch, with a network failure as a ChatError naming `target` and the cause. Aborts pass through. */
async function request(target: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(target, init);
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new ChatError(`cannot reach ${target}: ${networkCause(err)}`);
  }
}

/** An HTTP error answer as one line: status, OpenAI code and message. */
async function httpFailure(target: string, res: Response): Promise<ChatError> {
  const body = await res.text().catch(() => "");
  let detail = body.trim().split("\n")[0].slice(0, 200);
  try {
    const json = JSON.parse(body) as { error?: { message?: string; code?: string | null } };
    if (json.error?.message) detail = `${json.error.code ? `${json.error.code}: ` : ""}${json.error.message}`;
  } catch {
    // Not JSON (a proxy's page): its first line is the best we have.
  }
  return new ChatError(`${target} answered ${res.status}${detail ? `: ${detail}` : ""}`);
}

/** The first model of /v1/models. */
export async function firstModel(endpoint: ChatEndpoint): Promise<string> {
  const target = `${endpoint.url}/v1/models`;
  const res = await request(target, { headers: headersOf(endpoint) });
  if (!res.ok) throw await httpFailure(target, res);
  const models = (await res.json()) as { data: Array<{ id: string }> };
  if (models.data.length === 0) throw new ChatError(`no model is served at ${endpoint.url} yet`);
  return models.data[0].id;
}

/** Streams one answer, writing each delta to `out`; aborting `signal` cancels the request. */
export async function streamAnswer(endpoint: ChatEndpoint, body: object, out: (text: string) => void, signal?: AbortSignal): Promise<Answer> {
  const target = `${endpoint.url}/v1/chat/completions`;
  const res = await request(target, { method: "POST", headers: headersOf(endpoint), body: JSON.stringify({ ...body, stream: true }), signal });
  if (!res.ok || !res.body) throw await httpFailure(target, res);
  try {
    return await readEvents(res.body as unknown as AsyncIterable<Uint8Array>, target, out);
  } catch (err) {
    if (err instanceof ChatError || (err as Error).name === "AbortError") throw err;
    throw new ChatError(`the answer from ${target} broke off: ${networkCause(err)}`);
  }
}

/** The SSE events of a chat stream, deltas written to `out` as they come. */
async function readEvents(body: AsyncIterable<Uint8Array>, target: string, out: (text: string) => void): Promise<Answer> {
  let text = "";
  let finishReason: string | undefined;
  let buffer = "";
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end).replace(/^data: /, "");
      buffer = buffer.slice(end + 2);
      if (event === "[DONE]") return { text, finishReason };
      const json = JSON.parse(event) as { error?: { message: string; code?: string | null }; choices?: Array<{ delta?: { content?: string }; finish_reason?: string | null }> };
      if (json.error) throw new ChatError(`the answer from ${target} failed: ${json.error.code ? `${json.error.code}: ` : ""}${json.error.message}`);
      const choice = json.choices?.[0];
      const delta = choice?.delta?.content ?? "";
      if (choice?.finish_reason) finishReason = choice.finish_reason;
      text += delta;
      out(delta);
    }
  }
  return { text, finishReason };
}
