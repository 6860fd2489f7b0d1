/**
 * `kvmesh chat`: a terminal chat against a running frontend. Streams tokens as they come and
 * keeps the conversation. Ctrl-C stops the answer being written and returns to the prompt; at
 * the prompt, Ctrl-C or Ctrl-D leaves. Commands (/help, /reset, /exit) are handled here, never
 * sent to the model. Errors print as one line naming the URL and the cause.
 */
import { createInterface } from "node:readline/promises";
import { defineFlags, loadServiceConfig } from "#common/config/index.js";
import { ChatError, firstModel, streamAnswer } from "./chat-client.js";
import type { ChatEndpoint } from "./chat-client.js";

const CHAT_FLAGS = defineFlags([
  { name: "url", type: "string", default: "http://127.0.0.1:8000", help: "the frontend's base URL" },
  { name: "model", type: "string", help: "model to chat with (default: the first of /v1/models)" },
  { name: "system", type: "string", help: "a system message that opens the conversation" },
  { name: "max-tokens", type: "int", min: 1, default: 256, help: "max_tokens of each answer" },
  { name: "temperature", type: "number", min: 0, max: 2, help: "sampling temperature (default: the model's)" },
  { name: "api-key", type: "string", secret: true, help: "sent as `Authorization: Bearer <key>` (for a frontend run with --api-key)" },
]);

/** What /help prints. */
export const CHAT_HELP = [
  "commands (handled here, not sent to the model):",
  "  /help    this list",
  "  /reset   forget the conversation (the --system message stays)",
  "  /exit    leave (so do Ctrl-D and Ctrl-C at the prompt)",
  "  Ctrl-C while an answer is written stops it and returns to the prompt",
].join("\n");

interface Message {
  role: "system" | "user" | "assistant";
  content: string;
}

/**
 * `text` safe for a terminal: control characters other than newline and tab (ESC above all,
 * which starts escape sequences that move the cursor or clear the screen) print as U+FFFD, so
 * a model's output can never take over the user's terminal.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "\ufffd");
}

/** The one line an error prints as. */
function errorLine(err: unknown): string {
  return `[error] ${err instanceof ChatError ? err.message : (err as Error).message}`;
}

/** Runs the chat loop on stdin/stdout; resolves with the exit code. */
export async function runChat(argv: string[]): Promise<number> {
  const loaded = loadServiceConfig({ service: "chat", spec: CHAT_FLAGS, argv, env: process.env, out: console.log, err: console.error });
  if (loaded.config === undefined) return loaded.exitCode;
  const { url, system, maxTokens, temperature, apiKey } = loaded.config;
  const endpoint: ChatEndpoint = { url: url.replace(/\/+$/, ""), apiKey };
  let model: string;
  try {
    model = loaded.config.model ?? (await firstModel(endpoint));
  } catch (err) {
    process.stderr.write(`${errorLine(err)}\n`);
    return 1;
  }
  const opening: Message[] = system ? [{ role: "system", content: system }] : [];
  const session = new ChatSession(endpoint, { model, max_tokens: maxTokens, ...(temperature === undefined ? {} : { temperature }) }, opening);
  process.stdout.write(`chatting with ${model} at ${endpoint.url} — /help lists the commands\n`);
  return session.run();
}

/** One chat's loop and its Ctrl-C handling. */
class ChatSession {
  private history: Message[];
  /** The answer being written, when there is one. */
  private answering: AbortController | undefined;
  /** Aborts the pending prompt (Ctrl-C at the prompt: leave). */
  private readonly prompt = new AbortController();

  constructor(private readonly endpoint: ChatEndpoint, private readonly params: { model: string; max_tokens: number }, private readonly opening: Message[]) {
    this.history = [...opening];
  }

  async run(): Promise<number> {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
    const onInterrupt = (): void => this.interrupt();
    // A terminal's Ctrl-C reaches readline as a key; a piped stdin's as the SIGINT signal.
    rl.on("SIGINT", onInterrupt);
    if (!process.stdin.isTTY) process.on("SIGINT", onInterrupt);
    try {
      for (;;) {
        let line: string;
        try {
          line = (await rl.question("> ", { signal: this.prompt.signal })).trim();
        } catch {
          // Ctrl-D leaves the cursor after "> ": end the line so the shell's prompt starts on a
          // fresh one (Ctrl-C's abort already ended it: readline clears the line with \r\n).
          if (!this.prompt.signal.aborted) process.stdout.write("\n");
          break;
        }
        if (line === "/exit") break;
        if (line !== "") await this.handle(line);
      }
    } finally {
      process.off("SIGINT", onInterrupt);
      rl.close();
    }
    return 0;
  }

  /** Ctrl-C: stop the answer being written, or, at the prompt, leave. */
  private interrupt(): void {
    if (this.answering) this.answering.abort();
    else this.prompt.abort();
  }

  private async handle(line: string): Promise<void> {
    if (line === "/help") return void process.stdout.write(`${CHAT_HELP}\n`);
    if (line === "/reset") {
      this.history = [...this.opening];
      return void process.stdout.write("(conversation reset)\n");
    }
    if (line.startsWith("/")) return void process.stdout.write(`unknown command ${line.split(/\s/)[0]} — /help lists the commands\n`);
    this.history.push({ role: "user", content: line });
    const controller = new AbortController();
    this.answering = controller;
    let written = "";
    try {
      const answer = await streamAnswer(this.endpoint, { ...this.params, messages: this.history }, (t) => {
        written += t;
        process.stdout.write(printable(t));
      }, controller.signal);
      this.history.push({ role: "assistant", content: answer.text });
      const cut = answer.finishReason === "length" ? ` [cut: the answer reached --max-tokens ${this.params.max_tokens}]` : "";
      process.stdout.write(`${cut}\n`);
    } catch (err) {
      if (controller.signal.aborted) {
        // What was shown stays in the conversation, as the user saw it; nothing shown, no turn.
        if (written === "") this.history.pop();
        else this.history.push({ role: "assistant", content: written });
        process.stdout.write(" [stopped]\n");
      } else {
        this.history.pop();
        process.stdout.write(`${written === "" ? "" : "\n"}${errorLine(err)}\n`);
      }
    } finally {
      this.answering = undefined;
    }
  }
}
