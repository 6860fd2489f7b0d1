/**
 * `kvmesh chat`: a terminal chat against a running frontend. Streams tokens as they come,
 * keeps the conversation, `/reset` starts over, `/exit` (or Ctrl-D) leaves.
 */
import { createInterface } from "node:readline/promises";
import { defineFlags, loadServiceConfig } from "#common/config/index.js";

const CHAT_FLAGS = defineFlags([
  { name: "url", type: "string", default: "http://127.0.0.1:8000", help: "the frontend's base URL" },
  { name: "model", type: "string", help: "model to chat with (default: the first of /v1/models)" },
  { name: "system", type: "string", help: "a system message that opens the conversation" },
  { name: "max-tokens", type: "int", min: 1, default: 256, help: "max_tokens of each answer" },
  { name: "temperature", type: "number", min: 0, max: 2, help: "sampling temperature (default: the model's)" },
]);

interface Message {
  role: "system" | "user" | "assistant";
  content: string;
}

/** Streams one answer, writing each delta to `out`; returns the whole text. */
export async function streamAnswer(url: string, body: object, out: (text: string) => void): Promise<string> {
  const res = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...body, stream: true }) });
  if (!res.ok || !res.body) throw new Error(`${res.status}: ${await res.text()}`);
  let text = "";
  let buffer = "";
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end).replace(/^data: /, "");
      buffer = buffer.slice(end + 2);
      if (event === "[DONE]") return text;
      const json = JSON.parse(event) as { error?: { message: string }; choices?: Array<{ delta?: { content?: string } }> };
      if (json.error) throw new Error(json.error.message);
      const delta = json.choices?.[0]?.delta?.content ?? "";
      text += delta;
      out(delta);
    }
  }
  return text;
}

async function firstModel(url: string): Promise<string> {
  const res = await fetch(`${url}/v1/models`);
  const models = (await res.json()) as { data: Array<{ id: string }> };
  if (models.data.length === 0) throw new Error(`no model is served at ${url} yet`);
  return models.data[0].id;
}

/** Runs the chat loop on stdin/stdout; resolves with the exit code. */
export async function runChat(argv: string[]): Promise<number> {
  const loaded = loadServiceConfig({ service: "chat", spec: CHAT_FLAGS, argv, env: process.env, out: console.log, err: console.error });
  if (loaded.config === undefined) return loaded.exitCode;
  const { url, system, maxTokens, temperature } = loaded.config;
  const model = loaded.config.model ?? (await firstModel(url));
  const opening: Message[] = system ? [{ role: "system", content: system }] : [];
  let history = [...opening];
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  process.stdout.write(`chatting with ${model} at ${url} — /reset starts over, /exit leaves\n`);
  try {
    for (;;) {
      let line: string;
      try {
        line = (await rl.question("> ")).trim();
      } catch {
        break; // stdin closed (Ctrl-D)
      }
      if (line === "/exit") break;
      if (line === "/reset") {
        history = [...opening];
        process.stdout.write("(conversation reset)\n");
        continue;
      }
      if (line === "") continue;
      history.push({ role: "user", content: line });
      try {
        const answer = await streamAnswer(url, { model, messages: history, max_tokens: maxTokens, ...(temperature === undefined ? {} : { temperature }) }, (t) => process.stdout.write(t));
        history.push({ role: "assistant", content: answer });
        process.stdout.write("\n");
      } catch (err) {
        history.pop();
        process.stdout.write(`\n[error] ${(err as Error).message}\n`);
      }
    }
  } finally {
    rl.close();
  }
  return 0;
}
