// The load generator's HTTP client against a server that resets a reused keep-alive socket: the
// request is sent again on a fresh connection instead of counting as a server error.
import { expect } from "chai";
import { createServer } from "node:http";
import type { Server, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createAgent, sendCompletion } from "../../bench/loadgen/completion-client.js";
import type { CompletionTarget } from "../../bench/loadgen/completion-client.js";
import { streamText } from "../../bench/standin/server.js";

function answer(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.end(streamText("m", 3, { prompt_tokens: 2, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 0 } }, "w0"));
}

describe("bench HTTP client", function () {
  this.timeout(20_000);
  let server: Server;
  let target: CompletionTarget;
  let mode: "reset-reused" | "reset-all" = "reset-reused";
  const served = new Map<Socket, number>();

  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        const n = (served.get(req.socket) ?? 0) + 1;
        served.set(req.socket, n);
        // The second request on a connection (a reused socket) is reset unanswered.
        if (mode === "reset-all" || n > 1) req.socket.resetAndDestroy();
        else answer(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    target = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, model: "m", agent: createAgent(), now: () => performance.now(), timeoutMs: 5000 };
  });
  after(async () => {
    target.agent.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("resends once on a fresh socket when a reused one is reset before any response", async () => {
    const first = await sendCompletion(target, [5, 6], 3);
    const second = await sendCompletion(target, [5, 6], 3);
    expect(first.error).to.equal(undefined);
    expect(second.error).to.equal(undefined);
    expect(second.outputTokens).to.equal(3);
    expect(served.size).to.equal(2);
  });

  it("reports a reset of a fresh socket as network:ECONNRESET", async () => {
    mode = "reset-all";
    target.agent.destroy();
    target = { ...target, agent: createAgent() };
    const outcome = await sendCompletion(target, [5, 6], 3);
    expect(outcome.error).to.equal("network:ECONNRESET");
  });
});
