// `kvmesh preprocessor` as a process: --help, a bad --chat-template, the --chat-template
// override over a model without one, registration in discovery, and SIGTERM.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { FileDiscovery } from "#common/discovery/index.js";
import { createClient } from "#common/grpc-client.js";
import { PreprocessorClient } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import type { TokenizeResponse } from "#contracts/gen/kvmesh/v1/preprocessor.js";
import type { FakeWorker } from "../support/card-only-worker.js";
import { startFakeWorker } from "../support/card-only-worker.js";
import { startProcess, stopAllProcesses } from "../support/process.js";
import { storiesModelCard } from "../support/stories-card.js";
import { loadStoriesTokenizer, requireStoriesModel } from "../support/stories-model.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CLI = fileURLToPath(new URL("../../cli/kvmesh.js", import.meta.url));

describe("kvmesh preprocessor (process lifecycle)", function () {
  this.timeout(60_000);
  let dir: string;
  let discovery: FileDiscovery;
  let worker: FakeWorker;

  before(async function () {
    requireStoriesModel(this);
    dir = mkdtempSync(join(tmpdir(), "kvmesh-preprocessor-life-"));
    discovery = new FileDiscovery({ namespace: "kvmesh", dir: join(dir, "registry"), ttlMs: 1000 });
    worker = await startFakeWorker(discovery, "worker-1", storiesModelCard());
  });
  after(async () => {
    await stopAllProcesses();
    await worker?.stop();
    await discovery?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("--help lists its own and the common flags and exits 0", async () => {
    const proc = startProcess("node", [CLI, "preprocessor", "--help"], { cwd: ROOT });
    expect(await proc.waitForExit(20_000)).to.equal(0);
    const text = proc.lines.join("\n");
    for (const flag of ["--chat-template", "--card-timeout", "--discovery-dir", "--listen", "--namespace"]) expect(text).to.include(flag);
  });

  it("a --chat-template that is neither a file nor a template exits 2 with the reason", async () => {
    const proc = startProcess("node", [CLI, "preprocessor", "--chat-template", "/no/such/file.jinja"], { cwd: ROOT });
    expect(await proc.waitForExit(20_000)).to.equal(2);
    expect(proc.lines.join("\n")).to.include("neither a readable file nor a Jinja template");
  });

  it("renders with a --chat-template file, registers as preprocessor, and on SIGTERM deregisters and exits 0", async () => {
    const templateFile = join(dir, "template.jinja");
    writeFileSync(templateFile, "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}");
    const proc = startProcess("node", [CLI, "preprocessor", "--discovery-dir", join(dir, "registry"), "--discovery-ttl", "1s", "--chat-template", templateFile], { cwd: ROOT });
    const port = await proc.waitForListening(20_000);
    expect((await discovery.list("preprocessor")).map((i) => i.port)).to.deep.equal([port]);

    const client = createClient(PreprocessorClient, `127.0.0.1:${port}`);
    const chat = { messages: [{ role: "user", content: "Hi" }] };
    const res = await new Promise<TokenizeResponse>((resolve, reject) =>
      client.tokenize({ model: "stories260K", prompt: { $case: "chat", chat } }, (err, r) => (err ? reject(err) : resolve(r!))),
    );
    client.close();
    expect(res.prompt).to.equal("<user>Hi<assistant>");
    expect(res.tokenIds).to.deep.equal(loadStoriesTokenizer().encode("<user>Hi<assistant>", { add_special_tokens: false }).ids);

    // The README's buf curl command.
    const buf = join(ROOT, "node_modules", ".bin", "buf");
    const body = JSON.stringify({ model: "stories260K", text: "Once upon a time" });
    const { stdout } = await promisify(execFile)(buf, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", "-d", body, `http://127.0.0.1:${port}/kvmesh.v1.Preprocessor/Tokenize`], { cwd: ROOT });
    expect(JSON.parse(stdout)).to.deep.equal({ tokenIds: [1, 403, 407, 261, 378], contextLength: 512 });

    proc.signal("SIGTERM");
    expect(await proc.waitForExit(15_000)).to.equal(0);
    expect(await discovery.list("preprocessor")).to.deep.equal([]);
  });
});
