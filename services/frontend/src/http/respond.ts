/** Writing JSON and OpenAI error responses. */
import type { ServerResponse } from "node:http";
import { httpErrorOf } from "#common/http-errors.js";
import type { HttpError } from "#common/http-errors.js";
import { BodyTooLargeError, UnsupportedMediaTypeError } from "./body.js";

/** A JSON response. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers }).end(text);
}

/** The HTTP error for anything thrown (the one table; 413 for an oversized body, 415 for a non-JSON one). */
export function httpErrorFor(err: unknown): HttpError | undefined {
  const mapped = httpErrorOf(err);
  if (mapped && err instanceof BodyTooLargeError) return { ...mapped, status: 413 };
  if (mapped && err instanceof UnsupportedMediaTypeError) return { ...mapped, status: 415 };
  return mapped;
}

/** Sends the OpenAI error JSON for `err`; returns the status sent (499 when nobody is left to answer). */
export function sendError(res: ServerResponse, err: unknown): number {
  const mapped = httpErrorFor(err);
  if (mapped === undefined || res.headersSent) {
    if (!res.writableEnded) res.end();
    return 499;
  }
  sendJson(res, mapped.status, mapped.body, mapped.headers);
  return mapped.status;
}
