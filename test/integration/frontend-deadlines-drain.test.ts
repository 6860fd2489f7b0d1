// The REST gateway against clients that dawdle and against shutdown (issue 13, items 8 and 9):
// sockets that send headers or a body one byte at a time are closed at --request-timeout
// (the body ones with a 408 OpenAI error), a normal request still works afterwards; on SIGTERM
// the frontend logs the true number of HTTP streams in flight, lets all of them finish, and
// answers a request that arrives on a kept-alive connection with 503 and `connection: close`.
import { expect } from "chai";
import { connect } from "node:net";
import type { Socket } from "node:net";
import { startMesh } from "../support/mesh.js";
import type { Mesh } from "../support/mesh.js";
import { stopAllProcesses } from "../support/process.js";

const MODEL = "kvmesh-tiny-random";

/** A raw socket to `url`'s port, with everything it received and when it closed. */
function rawSocket(url: string): { socket: Socket; received: () => string; closedAfter: Promise<number> } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const start = Date.now();
  let data = "";
  socket.on("data", (d: Buffer) => (data += d.toString("utf8")));
  socket.on("error", () => undefined);
  const closedAfter = new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now() - start)));
  return { socket, received: () => data, closedAfter };
}

/** Writes `text` one byte every `everyMs` until the socket closes or `text` runs out. */
function dribble(socket: Socket, text: string, everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || i >= text.length) return clearInterval(timer);
    socket.write(text[i++]);
  }, everyMs);
}

async function completion(url: string, body: object): Promise<Response> {
  return fetch(`${url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

describe("frontend HTTP deadlines and drain", function () {
  this.timeout(120_000);
  let mesh: Mesh;
  before(async () => {
    mesh = await startMesh([["--engine", "mocker", "--speedup-ratio", "1"]]);
  });
  after(() => stopAllProcesses());

  it("closes slow-header and slow-body sockets at --request-timeout; normal requests still work", async () => {
    const url = await mesh.addFrontend(["--request-timeout", "2s"]);
    const body = JSON.stringify({ model: MODEL, prompt: "hello", max_tokens: 2 });
    const slowHeaders = Array.from({ length: 10 }, () => rawSocket(url));
    for (const s of slowHeaders) dribble(s.socket, `POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Padding: ${"a".repeat(500)}\r\n\r\n`, 100);
    const slowBodies = Array.from({ length: 10 }, () => rawSocket(url));
    for (const s of slowBodies) {
      s.socket.write(`POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
      dribble(s.socket, body, 500);
    }
    const headerTimes = await Promise.all(slowHeaders.map((s) => s.closedAfter));
    const bodyTimes = await Promise.all(slowBodies.map((s) => s.closedAfter));
    // Closed at the 2 s deadline: not before it, and well before the dribble would have ended (50+ s).
    for (const t of [...headerTimes, ...bodyTimes]) expect(t).to.be.within(1800, 4500);
    for (const s of slowBodies) {
      expect(s.received()).to.match(/^HTTP\/1\.1 408 /);
      const json = JSON.parse(s.received().slice(s.received().indexOf("\r\n\r\n") + 4)) as { error: { type: string; code: string; param: unknown } };
      expect(json.error).to.include({ type: "invalid_request_error", code: "request_timeout", param: null });
    }
    const ok = await completion(url, { model: MODEL, prompt: "hello", max_tokens: 2 });
    expect(ok.status).to.equal(200);
  });

  it("on SIGTERM drains every HTTP stream, logs the true in_flight, and refuses new requests on kept-alive connections", async () => {
    const frontend = await mesh.addService("frontend", ["--http-port", "0", "--shutdown-grace", "30s"]);
    const listening = JSON.parse(frontend.lines.find((l) => l.includes('"msg":"listening"'))!) as { http_port: number };
    const url = `http://127.0.0.1:${listening.http_port}`;
    const maxTokens = 400; // about 16 ms a token: every stream runs for seconds after SIGTERM
    const request = { model: MODEL, prompt: "Once upon a time", max_tokens: maxTokens, stream: true };
    // 19 fetch streams and one on a raw keep-alive socket, all past their first chunk.
    const streams = await Promise.all(Array.from({ length: 19 }, async () => {
      const res = await completion(url, request);
      expect(res.status).to.equal(200);
      const reader = res.body!.getReader();
      const first = await reader.read();
      return { reader, text: new TextDecoder().decode(first.value) };
    }));
    const raw = rawSocket(url);
    const rawBody = JSON.stringify(request);
    raw.socket.write(`POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${rawBody.length}\r\n\r\n${rawBody}`);
    for (let i = 0; i < 200 && !raw.received().includes("data:"); i++) await new Promise((r) => setTimeout(r, 25));
    expect(raw.received(), raw.received()).to.include("data:");
    frontend.signal("SIGTERM");
    const draining = await frontend.waitForLine(/"msg":"draining http"/, 10_000);
    expect((JSON.parse(draining) as { in_flight: number }).in_flight).to.equal(20);
    // A second request on the raw socket's kept-alive connection, after SIGTERM: 503, connection: close.
    raw.socket.write("GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n");
    const texts = await Promise.all(streams.map(async ({ reader, text }) => {
      for (let r = await reader.read(); !r.done; r = await reader.read()) text += new TextDecoder().decode(r.value);
      return text;
    }));
    for (const text of texts) {
      expect(text.trimEnd().endsWith("data: [DONE]"), text.slice(-200)).to.equal(true);
      const chunks = text.split("\n").filter((l) => l.startsWith("data: {")).map((l) => JSON.parse(l.slice(6)) as { choices: Array<{ finish_reason: string | null }> });
      expect(chunks.at(-1)!.choices[0].finish_reason).to.equal("length");
    }
    await raw.closedAfter;
    const [stream, second] = raw.received().split(/(?=HTTP\/1\.1 )/);
    expect(stream).to.match(/^HTTP\/1\.1 200 /).and.include("data: [DONE]");
    expect(second).to.match(/^HTTP\/1\.1 503 /).and.match(/\r\nconnection: close\r\n/i).and.include('"code":"overloaded"');
    expect(await frontend.waitForExit(30_000)).to.equal(0);
    expect(frontend.lines.some((l) => l.includes('"msg":"http requests drained"') && l.includes('"drained":20'))).to.equal(true);
  });
});
