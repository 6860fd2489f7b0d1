/**
 * Renders a chat prompt with the model's Jinja chat template (@huggingface/jinja), with the
 * variables Hugging Face's apply_chat_template passes: messages, tools, add_generation_prompt,
 * bos_token, eos_token, plus the request's chat_template_kwargs.
 */
import { Template } from "@huggingface/jinja";
import { FailedPreconditionError, InvalidArgumentError } from "#common/errors.js";
import type { ChatPrompt } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import { checkPromptBytes, utf8Bytes } from "../request/prompt-bytes.js";
import type { PromptByteModel } from "../request/prompt-bytes.js";
import { parseJsonField, toTemplateMessages } from "./chat-messages.js";
import { pickTemplate } from "./template-source.js";
import type { TemplateCandidates, TemplateSource } from "./template-source.js";

/** What a renderer knows about its model. */
export interface ChatRendererOptions {
  model: string;
  candidates: TemplateCandidates;
  bosToken?: string;
  eosToken?: string;
  /** When given, messages whose content alone exceeds the prompt byte limit are rejected before rendering. */
  byteModel?: PromptByteModel;
}

/** A model's chat rendering; templates are compiled once, on first use. */
export class ChatRenderer {
  private readonly compiled = new Map<string, Template>();

  constructor(private readonly options: ChatRendererOptions) {}

  /** True when some template exists (with or without tools). */
  get hasTemplate(): boolean {
    return pickTemplate(this.options.candidates, false) !== undefined || pickTemplate(this.options.candidates, true) !== undefined;
  }

  /** The prompt text of `prompt`; throws FailedPreconditionError when the model has no template. */
  render(prompt: ChatPrompt): string {
    const tools = prompt.toolsJson === undefined ? undefined : parseJsonField(prompt.toolsJson, "tools");
    if (tools !== undefined && !Array.isArray(tools)) throw new InvalidArgumentError("tools must be a JSON array", { param: "tools" });
    const source = pickTemplate(this.options.candidates, tools !== undefined && tools.length > 0);
    if (!source) {
      throw new FailedPreconditionError(
        `model "${this.options.model}" has no chat template: send a completion prompt instead, or give the worker or the preprocessor --chat-template`,
        { param: "messages" },
      );
    }
    const messages = toTemplateMessages(prompt.messages);
    // The rendered prompt holds every message's content, so content past the limit cannot fit:
    // say so without running the template over it.
    if (this.options.byteModel) checkPromptBytes(messages.reduce((sum, m) => sum + utf8Bytes(m.content), 0), this.options.byteModel, "messages");
    const variables: Record<string, unknown> = {
      bos_token: this.options.bosToken ?? "",
      eos_token: this.options.eosToken ?? "",
      ...this.kwargs(prompt.chatTemplateKwargsJson),
      messages,
      add_generation_prompt: prompt.addGenerationPrompt ?? true,
    };
    if (tools !== undefined) variables.tools = tools;
    const template = this.template(source);
    try {
      return template.render(variables);
    } catch (cause) {
      // raise_exception() in templates reports bad conversations ("roles must alternate").
      throw new InvalidArgumentError(`chat template: ${cause instanceof Error ? cause.message : String(cause)}`, { param: "messages", cause });
    }
  }

  private kwargs(json: string | undefined): Record<string, unknown> {
    if (json === undefined) return {};
    const value = parseJsonField(json, "chat_template_kwargs");
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new InvalidArgumentError("chat_template_kwargs must be a JSON object", { param: "chat_template_kwargs" });
    }
    return value as Record<string, unknown>;
  }

  private template(source: TemplateSource): Template {
    let template = this.compiled.get(source.template);
    if (!template) {
      try {
        template = new Template(source.template);
      } catch (cause) {
        const why = cause instanceof Error ? cause.message : String(cause);
        throw new FailedPreconditionError(`the chat template of model "${this.options.model}" (from ${source.origin}) does not parse: ${why}`, { cause });
      }
      this.compiled.set(source.template, template);
    }
    return template;
  }
}
