/**
 * Incremental server-sent-events parsing: feed text as it arrives, get each event's data back.
 * Only `data:` fields matter to an OpenAI stream; comments and other fields are skipped.
 */

/** A parser holding the partial event between chunks. */
export interface SseParser {
  /** The data of every event completed by `text`, in order. */
  push(text: string): string[];
}

/** A new parser. */
export function createSseParser(): SseParser {
  let buffer = "";
  return {
    push(text) {
      buffer += text;
      const events: string[] = [];
      for (;;) {
        const match = /\r?\n\r?\n/.exec(buffer);
        if (!match) return events;
        const block = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        const data = block
          .split(/\r?\n/)
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(line.startsWith("data: ") ? 6 : 5));
        if (data.length > 0) events.push(data.join("\n"));
      }
    },
  };
}
