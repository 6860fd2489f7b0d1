/**
 * Typed readers of a JSON request body's fields. Each throws InvalidArgumentError naming the
 * field (OpenAI's `param`) and the rule it broke, so a bad request gets one clear 400.
 */
import { InvalidArgumentError } from "#common/errors.js";

/** A parsed JSON object body. */
export type Body = Record<string, unknown>;

/** Range rules of a number field. */
export interface NumberRule {
  readonly min?: number;
  readonly max?: number;
  /** min is exclusive. */
  readonly minExclusive?: boolean;
  readonly integer?: boolean;
}

function fail(name: string, rule: string): never {
  throw new InvalidArgumentError(`'${name}' ${rule}`, { param: name });
}

/** An optional number within the rule (null counts as absent, as in OpenAI's API). */
export function numberField(body: Body, name: string, rule: NumberRule = {}): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) fail(name, `must be a number, got ${JSON.stringify(value)}`);
  if (rule.integer && !Number.isInteger(value)) fail(name, `must be an integer, got ${value}`);
  if (rule.min !== undefined && (rule.minExclusive ? value <= rule.min : value < rule.min)) {
    fail(name, `must be ${rule.minExclusive ? ">" : ">="} ${rule.min}, got ${value}`);
  }
  if (rule.max !== undefined && value > rule.max) fail(name, `must be <= ${rule.max}, got ${value}`);
  return value;
}

/** An optional boolean. */
export function boolField(body: Body, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") fail(name, `must be a boolean, got ${JSON.stringify(value)}`);
  return value;
}

/** An optional string. */
export function stringField(body: Body, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") fail(name, `must be a string, got ${JSON.stringify(value)}`);
  return value;
}

/** A required non-empty string. */
export function requiredString(body: Body, name: string): string {
  const value = stringField(body, name);
  if (value === undefined || value === "") fail(name, "is required");
  return value;
}

/** `stop`: a string or up to `max` strings, as a list. */
export function stopField(body: Body, max = 16): string[] {
  const value = body.stop;
  if (value === undefined || value === null) return [];
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || !list.every((s) => typeof s === "string" && s !== "")) fail("stop", "must be a non-empty string or a list of non-empty strings");
  if (list.length > max) fail("stop", `may hold at most ${max} strings, got ${list.length}`);
  return list as string[];
}

/** An optional list of non-negative integers (token ids). */
export function tokenIdsField(body: Body, name: string): number[] | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((t) => Number.isInteger(t) && (t as number) >= 0 && (t as number) < 2 ** 32)) {
    fail(name, "must be a list of non-negative integer token ids");
  }
  return value as number[];
}

/** An optional JSON object, re-serialised for the wire. */
export function objectJsonField(body: Body, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) fail(name, "must be an object");
  return JSON.stringify(value);
}

/** An optional JSON array, re-serialised for the wire. */
export function arrayJsonField(body: Body, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) fail(name, "must be an array");
  return JSON.stringify(value);
}
