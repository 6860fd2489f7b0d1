// Reads a server stream to its end and hands back everything it delivered, and how it ended.
import type { ClientReadableStream, ServiceError } from "@grpc/grpc-js";

/** Every message, and the error when the call failed (after the messages it sent first). */
export interface StreamOutcome<T> {
  messages: T[];
  error?: ServiceError;
}

/** Resolves once `stream` ends or fails; never rejects. */
export function streamMessages<T>(stream: ClientReadableStream<T>): Promise<StreamOutcome<T>> {
  return new Promise((resolve) => {
    const messages: T[] = [];
    stream.on("data", (m: T) => messages.push(m));
    stream.on("error", (error: ServiceError) => resolve({ messages, error }));
    stream.on("end", () => resolve({ messages }));
  });
}
