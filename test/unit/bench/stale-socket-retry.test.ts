// The bench clients' retry after the keep-alive close race: the soak counted 6 network:ECONNRESET
// in 30,000 requests although a request failing on a reused socket is retried, because the retry
// went back to the pool and took another socket the server had closed in the same instant (after
// a burst, thousands of connections go idle together). The retry now has a connection of its own.
import { expect } from "chai";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createAgent, sendCompletion } from "../../../bench/loadgen/completion-client.js";
import { soakRequest } from "../../../bench/soak/soak-client.js";

/**
 * A server that streams `[DONE]` on every request until `poison()`; after it, a request arriving
 * on a connection opened before is dropped without an answer (the server closed it as idle just
 * as the client reused it), while new connections are served.
 */
async function racingServer(): Promise<{ url: string; poison: () => void; server: Server }> {
  const before = new Set<Socket>();
  let poisoned = false;
  const server = createServer((req, res) => {
    if (poisoned && before.has(req.socket)) return void req.socket.destroy();
    if (!poisoned) before.add(req.socket);
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end('data: {"choices":[{"index":0,"text":"a","finish_reason":"length"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}\n\ndata: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, poison: () => (poisoned = true), server };
}

describe("bench clients: the stale-socket retry uses a connection of its own", () => {
  const TARGET_TIMEOUT_MS = 5000;
  let running: Server | undefined;
  afterEach(() => {
    running?.closeAllConnections();
    running?.close();
  });

  it("loadgen: two pooled sockets closed together, the request still succeeds on its retry", async () => {
    const { url, poison, server } = await racingServer();
    running = server;
    const agent = createAgent();
    const target = { url, model: "m", agent, now: () => performance.now(), timeoutMs: TARGET_TIMEOUT_MS };
    // Two requests at once leave two idle sockets in the pool.
    const warm = await Promise.all([sendCompletion(target, [1], 1), sendCompletion(target, [1], 1)]);
    expect(warm.map((o) => o.error)).to.deep.equal([undefined, undefined]);
    poison();
    const outcome = await sendCompletion(target, [1], 1);
    expect(outcome.error).to.equal(undefined);
    expect(outcome.outputTokens).to.equal(1);
    agent.destroy();
  });

  it("soak: the same race answers 200", async () => {
    const { url, poison, server } = await racingServer();
    running = server;
    const agent = createAgent();
    const warm = await Promise.all([soakRequest(url, agent, "{}", TARGET_TIMEOUT_MS), soakRequest(url, agent, "{}", TARGET_TIMEOUT_MS)]);
    expect(warm).to.deep.equal(["200", "200"]);
    poison();
    expect(await soakRequest(url, agent, "{}", TARGET_TIMEOUT_MS)).to.equal("200");
    agent.destroy();
  });
});
