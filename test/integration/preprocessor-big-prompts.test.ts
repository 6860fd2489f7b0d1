// Issue 13 item 3 through real processes (mocker worker, router, preprocessor, frontend): while
// 4 clients keep sending the longest prompt that passes the byte pre-check (context length ×
// longest token bytes — hundreds of KiB that take seconds to tokenize), small requests are still
// served and /health stays 200. Before the prompt pool, each big prompt held the preprocessor's
// event loop for the whole tokenization: small requests waited behind all four and the
// preprocessor's discovery heartbeat lapsed (/health 503). The bounds are generous (seconds):
// this checks that big prompts do not hold everyone, not how fast anything is.
import { expect } from "chai";
import { startMesh } from "../support/mesh.js";
import type { Mesh } from "../support/mesh.js";
import { stopAllProcesses } from "../support/process.js";
import { requireStoriesModel, storiesModelDir } from "../support/stories-model.js";

/** The mocker's default context length, and stories260K's longest token ("▁friend"). */
const CONTEXT_LENGTH = 131072;
const LONGEST_TOKEN_BYTES = 7;
const BIG_PROMPT_BYTES = CONTEXT_LENGTH * LONGEST_TOKEN_BYTES;
/** A small request or a health probe slower than this means the event loop was held. */
const SMALL_BOUND_MS = 5000;
const WINDOW_MS = 8000;

const timed = async (fn: (signal: AbortSignal) => Promise<Response>): Promise<{ status: number; ms: number; body: string }> => {
  const started = performance.now();
  const res = await fn(AbortSignal.timeout(SMALL_BOUND_MS));
  const body = await res.text();
  return { status: res.status, ms: performance.now() - started, body };
};

describe("big prompts do not stall other requests (real mesh, mocker)", function () {
  this.timeout(180_000);
  let mesh: Mesh;
  const namespace = `big-prompts-${process.pid}`;

  before(async function () {
    requireStoriesModel(this);
    const ns = ["--namespace", namespace];
    mesh = await startMesh([["--engine", "mocker", "--model", storiesModelDir, "--context-length", String(CONTEXT_LENGTH), ...ns]], {
      router: ns,
      preprocessor: ns,
      frontend: ns,
    });
  });
  after(() => stopAllProcesses());

  const complete = (prompt: string, signal: AbortSignal): Promise<Response> =>
    fetch(`${mesh.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "stories260K", prompt, max_tokens: 4 }),
      signal,
    });

  it("serves small requests and stays healthy while 4 clients send the longest prompt that passes the byte check", async () => {
    const warm = await timed((signal) => complete("Once upon a time", signal));
    expect(warm.status, warm.body).to.equal(200);
    // ASCII text of exactly the limit: passes the pre-check, so the preprocessor tokenizes it all.
    const big = "Once upon a time there was a little girl named Lily. ".repeat(BIG_PROMPT_BYTES / 53 + 1).slice(0, BIG_PROMPT_BYTES);
    const stop = new AbortController();
    const bigAnswers: number[] = [];
    const client = async (): Promise<void> => {
      while (!stop.signal.aborted) {
        const res = await complete(big, stop.signal).catch(() => undefined);
        if (res) bigAnswers.push(res.status);
        await res?.text().catch(() => undefined);
      }
    };
    const clients = [1, 2, 3, 4].map(() => client());
    try {
      // Let the four big prompts reach the preprocessor before measuring.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const small: Array<{ status: number; ms: number; body: string }> = [];
      const health: Array<{ status: number; ms: number; body: string }> = [];
      const until = performance.now() + WINDOW_MS;
      const probeHealth = async (): Promise<void> => {
        while (performance.now() < until) {
          health.push(await timed((signal) => fetch(`${mesh.url}/health`, { signal })).catch((err: unknown) => ({ status: 0, ms: SMALL_BOUND_MS, body: String(err) })));
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      };
      const sendSmall = async (): Promise<void> => {
        while (performance.now() < until) {
          small.push(await timed((signal) => complete("Once upon a time", signal)).catch((err: unknown) => ({ status: 0, ms: SMALL_BOUND_MS, body: String(err) })));
        }
      };
      await Promise.all([probeHealth(), sendSmall()]);
      const slow = (list: typeof small): typeof small => list.filter((r) => r.status !== 200);
      expect(small.length, "small requests answered in the window").to.be.at.least(2);
      expect(slow(small), "small requests not answered 200 within the bound").to.deep.equal([]);
      expect(slow(health), "health probes not answered 200 within the bound").to.deep.equal([]);
      // Whatever big prompt finished was answered as too long (its tokens exceed the context), never 5xx.
      expect(bigAnswers.filter((s) => s !== 400)).to.deep.equal([]);
    } finally {
      stop.abort();
      await Promise.all(clients);
    }
  });
});
