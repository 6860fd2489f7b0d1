// Issue 13 item 1 through a real mocker mesh: 1,500 streaming HTTP clients that go away
// mid-stream within a couple of seconds make the frontend cancel 1,500 preprocessor calls, the
// preprocessor as many router calls, the router as many worker calls. Each cancel is an
// RST_STREAM; on one shared HTTP/2 connection that many trip nghttp2's rapid-reset guard
// (GOAWAY) and fail every other stream on it. With the reset budget (reset-budget.ts) the 20
// other clients' streams must all end with 200 and every token.
import { expect } from "chai";
import { Agent, request } from "node:http";
import { startMesh } from "../support/mesh.js";
import type { Mesh } from "../support/mesh.js";
import { stopAllProcesses } from "../support/process.js";
import { requireStoriesModel, storiesModelDir } from "../support/stories-model.js";

const ABORTING = 1500;
const OTHERS = 20;
const MAX_TOKENS = 60;
/** 1,500 streams on a loaded machine can delay a heartbeat past the mesh's usual 1 s TTL. */
const SLOW_TTL = ["--discovery-ttl", "20s"];
const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

interface Streamed { status: number; text: string; done: boolean; endedAt: number; tokens?: number; finish?: string; error?: string }
interface Chunk { error?: { message: string }; choices?: { text: string; finish_reason: string | null }[]; usage?: { completion_tokens: number } | null }

/** Streams a completion; `onFirst` is called with an abort function on the first chunk. */
function stream(url: string, body: object, onFirst?: (abort: () => void) => void): Promise<Streamed> {
  return new Promise((resolve) => {
    const out: Streamed = { status: 0, text: "", done: false, endedAt: 0 };
    const finish = () => resolve({ ...out, endedAt: Date.now() });
    const req = request(`${url}/v1/completions`, { method: "POST", agent, headers: { "content-type": "application/json" } }, (res) => {
      out.status = res.statusCode ?? 0;
      let buffer = "";
      let first = true;
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        if (first && onFirst !== undefined) onFirst(() => req.destroy());
        first = false;
        buffer += chunk;
        if (out.status !== 200) return;
        const events = buffer.split("\n\n");
        buffer = events.pop()!;
        for (const event of events) {
          const data = event.replace(/^data: /, "");
          if (data === "[DONE]") out.done = true;
          else {
            const parsed = JSON.parse(data) as Chunk;
            if (parsed.error !== undefined) out.error = parsed.error.message;
            for (const c of parsed.choices ?? []) {
              out.text += c.text;
              if (c.finish_reason !== null) out.finish = c.finish_reason;
            }
            if (parsed.usage) out.tokens = parsed.usage.completion_tokens;
          }
        }
      });
      res.on("end", () => {
        if (out.status !== 200) out.text = buffer;
        finish();
      });
      res.on("error", finish);
      res.on("close", finish);
    });
    req.on("error", finish);
    req.end(JSON.stringify(body));
  });
}

const other = (i: number) => ({ model: "stories260K", prompt: `Once upon a time ${i}`, max_tokens: MAX_TOKENS, ignore_eos: true, stream: true, stream_options: { include_usage: true } });

describe("client aborts do not fail other clients' streams (mocker mesh)", function () {
  this.timeout(240_000);
  let mesh: Mesh;

  before(async function () {
    requireStoriesModel(this);
    mesh = await startMesh([["--engine", "mocker", "--model", storiesModelDir, "--speedup-ratio", "2", "--max-num-seqs", "2048", "--max-waiting", "4096"]], { router: SLOW_TTL, preprocessor: SLOW_TTL, frontend: SLOW_TTL });
  });
  after(() => stopAllProcesses());

  it(`${OTHERS} streams complete in full while ${ABORTING} clients go away mid-stream`, async () => {
    // The frontend learns the model from discovery: one full stream first says it is served.
    let warm = await stream(mesh.url, other(0));
    for (let i = 0; i < 50 && warm.status === 404; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      warm = await stream(mesh.url, other(0));
    }
    expect([warm.status, warm.done, warm.tokens], warm.text).to.deep.equal([200, true, MAX_TOKENS]);
    const aborts: (() => void)[] = [];
    let started = 0;
    let allStarted: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (allStarted = resolve));
    const aborting = Array.from({ length: ABORTING }, (_, i) =>
      stream(mesh.url, { model: "stories260K", prompt: `A long story ${i}`, max_tokens: 4000, ignore_eos: true, stream: true }, (abort) => {
        aborts.push(abort);
        if (++started === ABORTING) allStarted();
      }));
    const others = Array.from({ length: OTHERS }, (_, i) => stream(mesh.url, other(i)));
    await ready;
    for (const abort of aborts) abort();
    const abortedAt = Date.now();
    await Promise.all(aborting);
    const results = await Promise.all(others);
    expect(results.map((s) => [s.status, s.done]), `every other stream ends with 200 and [DONE]: ${results.find((s) => s.status !== 200)?.text}`).to.deep.equal(Array(OTHERS).fill([200, true]));
    expect(results.map((s) => s.error).filter((e) => e !== undefined), "errors in the other streams").to.deep.equal([]);
    // The mocker's text is random: "in full" is every token, the usage and the finish reason.
    expect(results.map((s) => [s.tokens, s.finish]), "every token").to.deep.equal(Array(OTHERS).fill([MAX_TOKENS, "length"]));
    expect(results.every((s) => s.text.length >= MAX_TOKENS), "text of every token").to.equal(true);
    expect(results.filter((s) => s.endedAt > abortedAt).length, "the other streams were still running during the aborts").to.be.greaterThan(0);
  });
});
