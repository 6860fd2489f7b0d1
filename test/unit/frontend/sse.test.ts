// The SSE writer waits for a slow reader instead of buffering without bound, and sends the
// frames of one event-loop turn in one socket write.
import { expect } from "chai";
import { EventEmitter } from "node:events";
import { createServer } from "node:http";
import type { ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
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
  end(chunk?: string): void {
    if (chunk !== undefined) this.chunks.push(chunk);
    this.writableEnded = true;
  }
  cork(): void {}
  uncork(): void {}
}

/** Serves one SSE response written by `write`; returns the body and the socket writes it took. */
async function serveOnce(write: (sse: SseWriter, res: ServerResponse) => void): Promise<{ body: string; socketWrites: number }> {
  let socketWrites = 0;
  const server = createServer((_req, res) => {
    const socket = res.socket as Socket & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    const count = <F extends (...a: unknown[]) => void>(f: F): F => ((...a: unknown[]) => (socketWrites++, f.apply(socket, a))) as F;
    socket._write = count(socket._write);
    socket._writev = count(socket._writev);
    write(new SseWriter(res), res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return { body: await res.text(), socketWrites };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
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

describe("SseWriter coalescing", () => {
  const FRAMES = 'data: {"a":1}\n\ndata: {"b":2}\n\nevent: e\ndata: {"c":3}\n\ndata: [DONE]\n\n';
  const writeAll = (sse: SseWriter): void => {
    sse.open({ "x-test": "1" });
    void sse.sendText('{"a":1}');
    void sse.send({ b: 2 });
    void sse.event("e", { c: 3 });
    sse.done();
  };

  it("headers, frames, [DONE] and the end of one tick leave in one socket write", async () => {
    const { body, socketWrites } = await serveOnce((sse) => writeAll(sse));
    expect(body).to.equal(FRAMES);
    expect(socketWrites).to.equal(1);
  });

  it("(control) the same frames on a response whose cork does nothing take more than one write", async () => {
    const { body, socketWrites } = await serveOnce((sse, res) => {
      res.cork = () => undefined;
      res.uncork = () => undefined;
      writeAll(sse);
    });
    expect(body).to.equal(FRAMES);
    expect(socketWrites).to.be.at.least(2);
  });

  it("frames of later ticks are not held back: each tick's frames are sent at its end", async () => {
    const seen: string[] = [];
    const { body } = await serveOnce((sse, res) => {
      sse.open({});
      void sse.sendText("1");
      setImmediate(() => {
        // The first tick's frame left when that tick ended (it is in the socket, not corked).
        seen.push(String(res.socket?.writableCorked ?? "gone"), String(res.writableCorked));
        void sse.sendText("2");
        setImmediate(() => sse.done());
      });
    });
    expect(body).to.equal("data: 1\n\ndata: 2\n\ndata: [DONE]\n\n");
    expect(seen).to.deep.equal(["0", "0"]);
  });
});
