/** Reads a JSON request body with a size cap. */
import type { IncomingMessage } from "node:http";
import { InvalidArgumentError, KvmeshError, Code } from "#common/errors.js";
import type { Body } from "../openai/fields.js";

/** A body over --max-body-bytes (HTTP 413). */
export class BodyTooLargeError extends KvmeshError {
  readonly code = Code.INVALID_ARGUMENT;
}

/** The parsed JSON object of `req`; throws InvalidArgumentError or BodyTooLargeError. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<Body> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > maxBytes) throw new BodyTooLargeError(`request body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new BodyTooLargeError(`request body exceeds the limit of ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (err) {
    throw new InvalidArgumentError(`request body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InvalidArgumentError("request body must be a JSON object");
  return value as Body;
}
