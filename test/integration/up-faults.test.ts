// Faults under `kvmesh up` (issue 13, item 4 and the fault test of "Done when"): a mesh of three
// stories260K workers serving 60 greedy streams loses, one after another, a worker, the router
// and the preprocessor (SIGKILL, pids from up's banner). Every stream either completes with the
// text it has without faults, or — only when the router or the preprocessor it ran through was
// killed — ends with a clean in-stream error; a new request succeeds within 5 s of each kill
// (discovery TTL at its 10 s default); `up` restarts each service and keeps running.
import { expect } from "chai";
import { stopAllProcesses } from "../support/process.js";
import { requireStoriesModel, storiesModelDir } from "../support/stories-model.js";
import { restartedPid, startUp } from "../support/up-process.js";
import type { UpProcess } from "../support/up-process.js";

const MODEL = "stories260K";
const PROMPTS = ["Once upon a time", "One day, a little girl", "The big dog", "Tom and his friend"];
const STREAMS = 60;
const MAX_TOKENS = 96;

/** One finished stream: its text, or the in-stream error it ended with. */
interface Outcome {
  prompt: string;
  text: string;
  error?: string;
  done: boolean;
}

function body(prompt: string, stream: boolean): string {
  return JSON.stringify({ model: MODEL, prompt, max_tokens: MAX_TOKENS, temperature: 0, stream });
}

/** Starts a stream; resolves once its first chunk arrived, with the promise of its outcome. */
async function startStream(url: string, prompt: string): Promise<{ outcome: Promise<Outcome> }> {
  const res = await fetch(`${url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: body(prompt, true) });
  expect(res.status, await (res.status === 200 ? "" : res.clone().text())).to.equal(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let raw = decoder.decode((await reader.read()).value, { stream: true });
  const outcome = (async (): Promise<Outcome> => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) raw += decoder.decode(r.value, { stream: true });
    const events = raw.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
    const chunks = events.filter((e) => e !== "[DONE]").map((e) => JSON.parse(e) as { choices?: Array<{ text: string }>; error?: { message: string } });
    const error = chunks.find((c) => c.error)?.error?.message;
    return { prompt, text: chunks.map((c) => c.choices?.[0]?.text ?? "").join(""), error, done: events.at(-1) === "[DONE]" };
  })();
  return { outcome };
}

/** The greedy text of each prompt, one plain request each. */
async function baseline(url: string): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  for (const prompt of PROMPTS) {
    const res = await fetch(`${url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: body(prompt, false) });
    texts.set(prompt, ((await res.json()) as { choices: Array<{ text: string }> }).choices[0].text);
  }
  return texts;
}

/** Sends small requests until one answers 200; resolves ms from `since` to that answer. */
async function firstSuccessAfter(url: string, since: number, limitMs: number): Promise<number> {
  for (;;) {
    const status = await fetch(`${url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: MODEL, prompt: "Hi", max_tokens: 2 }) })
      .then(async (r) => (await r.text(), r.status), () => 0);
    if (status === 200) return Date.now() - since;
    if (Date.now() - since > limitMs) return Date.now() - since;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** 60 streams in flight, SIGKILL `service`, then check every outcome and the recovery. */
async function killDuringStreams(up: UpProcess, service: string, expected: Map<string, string>, errorsAllowed: boolean): Promise<void> {
  const started = await Promise.all(Array.from({ length: STREAMS }, (_, i) => startStream(up.url, PROMPTS[i % PROMPTS.length])));
  const victim = up.services.get(service)!;
  process.kill(victim.pid, "SIGKILL");
  const killedAt = Date.now();
  const recovery = firstSuccessAfter(up.url, killedAt, 15_000);
  const outcomes = await Promise.all(started.map((s) => s.outcome));
  let errors = 0;
  for (const o of outcomes) {
    expect(o.done, `stream of "${o.prompt}" ends with [DONE]`).to.equal(true);
    if (o.error !== undefined) {
      errors++;
      expect(o.error, "a clean error message").to.be.a("string").and.not.match(/at .*\.js:\d+/);
      expect(expected.get(o.prompt)!.startsWith(o.text), "text before the error is a prefix of the fault-free text").to.equal(true);
    } else {
      expect(o.text, `"${o.prompt}" after the ${service} kill`).to.equal(expected.get(o.prompt));
    }
  }
  if (!errorsAllowed) expect(errors, `streams cut by the ${service} kill`).to.equal(0);
  expect(await recovery, `a new request succeeds within 5 s of the ${service} kill`).to.be.at.most(5000);
  const pid = await restartedPid(up, service, 1, 30_000);
  up.services.set(service, { pid, metricsPort: victim.metricsPort });
  expect(up.proc.exitCode, "up still runs").to.equal(undefined);
}

describe("kvmesh up under faults (3 stories260K workers, 60 greedy streams)", function () {
  this.timeout(240_000);
  let up: UpProcess;
  let expected: Map<string, string>;
  before(async function () {
    requireStoriesModel(this);
    up = await startUp(["--model", storiesModelDir, "--workers", "3", "--http-port", "0", "--intra-op-threads", "1", "--shutdown-grace", "2s"]);
    expected = await baseline(up.url);
  });
  after(() => stopAllProcesses(10_000));

  it("a worker SIGKILL: every stream completes with its fault-free text (migration)", async () => {
    await killDuringStreams(up, "worker-0", expected, false);
  });

  it("a router SIGKILL: streams complete or end with a clean in-stream error; new requests succeed within 5 s", async () => {
    await killDuringStreams(up, "router", expected, true);
  });

  it("a preprocessor SIGKILL: the same; up is still running and stops cleanly", async () => {
    await killDuringStreams(up, "preprocessor", expected, true);
    up.proc.signal("SIGINT");
    expect(await up.proc.waitForExit(60_000)).to.equal(0);
  });
});
