// The SSE writer waits for a slow reader instead of buffering without bound.
import { expect } from "chai";
import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import { SseWriter } from "../../../services/frontend/src/openai/sse.js";

class FakeResponse extends EventEmitter {
  readonly chunks: string[] = [];
  accepting = true;
  writableEnded = false;
  destroyed = false;
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return this.accepting;
  }
  end(): void {
    this.writableEnded = true;
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("SseWriter backpressure", () => {
  it("send resolves at once while the socket takes data", async () => {
    const res = new FakeResponse();
    await new SseWriter(res as unknown as ServerResponse).send({ a: 1 });
    expect(res.chunks).to.deep.equal(['data: {"a":1}\n\n']);
  });

  it("send waits for 'drain' when the socket buffer is full", async () => {
    const res = new FakeResponse();
    res.accepting = false;
    let sent = false;
    const pending = new SseWriter(res as unknown as ServerResponse).send({ a: 1 }).then(() => (sent = true));
    await tick();
    expect(sent).to.equal(false);
    res.emit("drain");
    await pending;
    expect(sent).to.equal(true);
  });

  it("a client that goes away (close) frees the waiting send; nothing is written after the end", async () => {
    const res = new FakeResponse();
    res.accepting = false;
    const sse = new SseWriter(res as unknown as ServerResponse);
    const pending = sse.send({ a: 1 });
    res.emit("close");
    await pending;
    res.writableEnded = true;
    await sse.send({ b: 2 });
    expect(res.chunks).to.have.length(1);
  });
});
