/**
 * Reads a JSON request body: the content type first (415), the size cap while reading (413),
 * then strict UTF-8 (400), the nesting depth (400) and JSON.parse (400), with `seed` kept exact.
 */
import type { IncomingMessage } from "node:http";
import { InvalidArgumentError, KvmeshError, Code } from "#common/errors.js";
import { parseJsonSafely } from "#common/safe-json.js";
import type { Body } from "../openai/schemas.js";

/** A body over --max-body-bytes (HTTP 413). */
export class BodyTooLargeError extends KvmeshError {
  readonly code = Code.INVALID_ARGUMENT;
}

/** A POST body that is not JSON (HTTP 415). */
export class UnsupportedMediaTypeError extends KvmeshError {
  readonly code = Code.INVALID_ARGUMENT;
}

/**
 * Only JSON is read: a `text/plain` or form body is what a page on another site can send
 * without a CORS preflight, so accepting it would let any web page start completions. No
 * content type at all is read as JSON, as vLLM (FastAPI) does, for `curl --data-binary` users.
 * A charset other than UTF-8 is refused: the body is decoded as UTF-8.
 */
export function checkJsonContentType(header: string | undefined): void {
  if (header === undefined) return;
  const [type, ...params] = header.split(";").map((p) => p.trim().toLowerCase());
  const charset = params.find((p) => p.startsWith("charset="))?.slice("charset=".length).replace(/^"|"$/g, "");
  if (type === "application/json" && (charset === undefined || charset === "utf-8" || charset === "utf8")) return;
  throw new UnsupportedMediaTypeError(`Content-Type must be application/json (UTF-8), got ${JSON.stringify(header.slice(0, 100))}`);
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** The parsed JSON object of `req`; throws InvalidArgumentError, UnsupportedMediaTypeError or BodyTooLargeError. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<Body> {
  checkJsonContentType(req.headers["content-type"]);
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > maxBytes) throw new BodyTooLargeError(`request body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new BodyTooLargeError(`request body exceeds the limit of ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  let text: string;
  try {
    text = UTF8.decode(Buffer.concat(chunks));
  } catch {
    throw new InvalidArgumentError("request body is not valid UTF-8");
  }
  const value = parseJsonSafely(text, { exactIntegerKeys: ["seed"] });
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InvalidArgumentError("request body must be a JSON object");
  return value as Body;
}
