/**
 * JSON.parse for untrusted text: nesting deeper than MAX_JSON_DEPTH is rejected by a cheap scan
 * of the raw text before JSON.parse runs (deep values overflow the stack of whatever recurses
 * over them later: templates, JSON.stringify, validators), and chosen top-level integer fields
 * (a seed) are kept exact as bigint instead of being rounded to a double.
 */
import { InvalidArgumentError } from "./errors.js";
import { MAX_JSON_DEPTH } from "./limits.js";

/** Options of {@link parseJsonSafely}. */
export interface SafeJsonOptions {
  /** The request field the text is (OpenAI's `param`); absent for a whole body. */
  readonly param?: string;
  /** Default MAX_JSON_DEPTH. */
  readonly maxDepth?: number;
  /** Top-level object keys whose integer values become bigint (exact beyond 2^53). */
  readonly exactIntegerKeys?: readonly string[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

/**
 * Checks the depth of `text` and returns the raw number literals of the wanted top-level keys.
 * Only structure is looked at; JSON.parse still decides whether the text is valid.
 */
function scan(text: string, maxDepth: number, keys: readonly string[], param: string | undefined): Map<string, string> {
  const literals = new Map<string, string>();
  let depth = 0;
  let lastKey: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i++;
      while (i < text.length && text.charCodeAt(i) !== QUOTE) i += text.charCodeAt(i) === BACKSLASH ? 2 : 1;
      lastKey = depth === 1 && keys.length > 0 ? text.slice(start, i + 1) : undefined;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) {
        const what = param === undefined ? "request body" : `'${param}'`;
        throw new InvalidArgumentError(`${what} nests JSON deeper than ${maxDepth} levels`, param === undefined ? {} : { param });
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x3a && lastKey !== undefined) {
      WHITESPACE.lastIndex = i + 1;
      WHITESPACE.exec(text);
      NUMBER.lastIndex = WHITESPACE.lastIndex;
      const literal = NUMBER.exec(text)?.[0];
      const key = literal === undefined ? undefined : decodeKey(lastKey);
      if (key !== undefined && literal !== undefined && keys.includes(key)) literals.set(key, literal);
      lastKey = undefined;
    }
  }
  return literals;
}

function decodeKey(raw: string): string | undefined {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return undefined;
  }
}

/** Parses untrusted JSON; every failure is an InvalidArgumentError (400) naming `param`. */
export function parseJsonSafely(text: string, options: SafeJsonOptions = {}): unknown {
  const { param, maxDepth = MAX_JSON_DEPTH, exactIntegerKeys = [] } = options;
  const literals = scan(text, maxDepth, exactIntegerKeys, param);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const what = param === undefined ? "request body" : `'${param}'`;
    throw new InvalidArgumentError(`${what} is not valid JSON: ${(err as Error).message}`, param === undefined ? {} : { param });
  }
  if (literals.size > 0 && typeof value === "object" && value !== null && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const [key, literal] of literals) if (/^-?\d+$/.test(literal) && typeof record[key] === "number") record[key] = BigInt(literal);
  }
  return value;
}
