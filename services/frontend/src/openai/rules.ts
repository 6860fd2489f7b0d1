/**
 * zod building blocks of the OpenAI request schemas, with the messages kvmesh answers: each
 * names the rule broken and the value given (shortened), and ranges stop at what the proto
 * field can carry, so nothing out of range is ever encoded (ARCHITECTURE.md "Size limits").
 */
import { z } from "zod";
import { InvalidArgumentError } from "#common/errors.js";
import { SEED_MAX, SEED_MIN, UINT32_MAX } from "#common/limits.js";

/** A value for a message: short, never the whole of a hostile input. */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = typeof value; // a bigint inside: a message must never turn a 400 into a 500
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Range rules of a number field. */
export interface NumberRule {
  readonly min?: number;
  readonly max?: number;
  /** min is exclusive. */
  readonly minExclusive?: boolean;
  readonly integer?: boolean;
}

/** An optional finite number within `rule`; null counts as absent (as in OpenAI's API). */
export function optionalNumber(rule: NumberRule) {
  let schema = z.number({ error: (iss) => `must be a number, got ${show(iss.input)}` });
  if (rule.min !== undefined) {
    const { min } = rule;
    schema = rule.minExclusive
      ? schema.gt(min, { error: (iss) => `must be > ${min}, got ${show(iss.input)}` })
      : schema.gte(min, { error: (iss) => `must be >= ${min}, got ${show(iss.input)}` });
  }
  if (rule.max !== undefined) {
    const { max } = rule;
    schema = schema.lte(max, { error: (iss) => `must be <= ${max}, got ${show(iss.input)}` });
  }
  // After the range checks, so that 2^60 reads "must be <= ..." rather than "not an integer".
  if (rule.integer) schema = schema.int({ error: (iss) => `must be an integer, got ${show(iss.input)}` });
  return schema.nullish().transform((v) => v ?? undefined);
}

/** An optional boolean. */
export const optionalBool = z.boolean({ error: (iss) => `must be a boolean, got ${show(iss.input)}` }).nullish().transform((v) => v ?? undefined);

/** An optional string. */
export const optionalString = z.string({ error: (iss) => `must be a string, got ${show(iss.input)}` }).nullish().transform((v) => v ?? undefined);

/** A required non-empty string. */
export const requiredString = z.string({ error: (iss) => (iss.input === undefined || iss.input === null ? "is required" : `must be a string, got ${show(iss.input)}`) })
  .min(1, { error: "is required" });

/**
 * A seed over the whole int64 and uint64 range, exactly: a JSON integer beyond 2^53 arrives as
 * bigint (safe-json keeps it), so 2^64 − 1 stays itself and 2^64 is a 400, never 0. A
 * negative seed travels as its two's complement in the proto's uint64.
 */
export const optionalSeed = z.union([z.number(), z.bigint()], { error: (iss) => `must be an integer, got ${show(iss.input)}` })
  .nullish()
  .transform((v, ctx) => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === "number" && !Number.isSafeInteger(v)) {
      ctx.addIssue({ code: "custom", message: Number.isInteger(v) ? `must be an exact integer (send it as a JSON integer literal), got ${v}` : `must be an integer, got ${v}` });
      return z.NEVER;
    }
    const big = BigInt(v);
    if (big < SEED_MIN || big > SEED_MAX) {
      ctx.addIssue({ code: "custom", message: `must be within [${SEED_MIN}, ${SEED_MAX}], got ${big}` });
      return z.NEVER;
    }
    return BigInt.asUintN(64, big);
  });

const TOKEN_ID_RULE = `must be a token id (an integer in [0, ${UINT32_MAX}])`;

/** A token id: what a proto uint32 holds. */
export const tokenId = z.number({ error: TOKEN_ID_RULE }).gte(0, { error: TOKEN_ID_RULE }).lte(UINT32_MAX, { error: TOKEN_ID_RULE }).int({ error: TOKEN_ID_RULE });

/** An optional list of token ids. */
export const optionalTokenIds = z.array(tokenId, { error: "must be a list of non-negative integer token ids" })
  .nullish().transform((v) => v ?? undefined);

/** The first issue of a failed parse as the one 400 it becomes, its path as OpenAI's `param`. */
export function toInvalidArgument(error: z.ZodError): InvalidArgumentError {
  const issue = error.issues[0];
  const param = paramOf(issue?.path ?? []);
  return new InvalidArgumentError(param === "" ? `request body ${issue?.message ?? "is invalid"}` : `'${param}' ${issue?.message ?? "is invalid"}`, param === "" ? {} : { param });
}

/** `["messages", 0, "content"]` → `messages[0].content`. */
export function paramOf(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, key) => (typeof key === "number" ? `${acc}[${key}]` : acc === "" ? String(key) : `${acc}.${String(key)}`), "");
}
