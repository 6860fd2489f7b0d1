/**
 * What an echo-engine worker should stream back for a request (GenerateRequest.echo): for a
 * chat, the text of the last user turn — the last `user` or `tool` message, as chat templates
 * such as Qwen's render a tool result as a user turn — tokenized on its own with the model's
 * tokenizer, so the answer is exactly that text; for a completion nothing (the worker echoes
 * the prompt). A tool result counts so that a client's agent loop (user → tool call → tool
 * result → answer) ends with the result as its final text instead of calling the tool again.
 *
 * Why the preprocessor and not the worker: it already holds the messages and the tokenizer,
 * while finding a user turn in rendered token ids would tie the worker to one template's markers.
 */
import type { EchoTokens } from "#contracts/gen/kvmesh/v1/common.js";
import type { PreprocessRequest } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { toTemplateMessages } from "../chat-template/chat-messages.js";
import type { ModelAssets } from "../model-assets.js";

/** The echo tokens of `request`, or undefined when the worker is not an echo engine or it is no chat. */
export function echoTokensFor(request: PreprocessRequest, assets: Pick<ModelAssets, "engine" | "tokenizer">): EchoTokens | undefined {
  if (assets.engine !== "echo" || request.prompt?.$case !== "chat") return undefined;
  const messages = toTemplateMessages(request.prompt.chat.messages);
  const lastUser = messages.filter((m) => m.role === "user" || m.role === "tool").at(-1);
  if (lastUser === undefined || lastUser.content === "") return undefined;
  return { tokenIds: assets.tokenizer.encode(lastUser.content, false) };
}
