// Runs every `buf curl` command of docs/grpc.md verbatim against a running mesh (the compose
// topology as local processes: test/support/deploy-mesh.ts), replacing only the page's
// placeholder addresses 127.0.0.1:50051..50054 with the bound ports, and checks that each one
// succeeds with the answer the page describes. The page must also cover every call operators
// need and give a grpcurl equivalent for each.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startDeployMesh } from "../support/deploy-mesh.js";
import type { DeployMesh } from "../support/deploy-mesh.js";
import { stopAllProcesses } from "../support/process.js";
import { repoRoot, requireStoriesModel } from "../support/stories-model.js";

const doc = readFileSync(join(repoRoot, "docs/grpc.md"), "utf8");
/** Lines of the page's ```sh blocks. */
const shellLines = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1].split("\n")).filter((l) => l.trim());
const bufCommands = shellLines.filter((l) => l.startsWith("buf curl "));
const grpcurlCommands = shellLines.filter((l) => l.startsWith("grpcurl "));

/** The RPC path of a command (`kvmesh.v1.Router/Route`), or list / list-methods / describe. */
function callOf(command: string): string {
  if (command.includes("ServerReflectionInfo") || / describe /.test(command)) return "describe";
  const rpc = /([a-z][\w.]*\.[A-Z]\w*\/[A-Z]\w*)/.exec(command);
  if (rpc) return rpc[1];
  return command.includes("--list-services") || / list$/.test(command) ? "list" : "list-methods";
}

/** Placeholder address → the running service's address. */
function substitute(command: string, mesh: DeployMesh): string {
  const ports: Record<string, string> = { "50051": mesh.frontendGrpc, "50052": mesh.preprocessor, "50053": mesh.router, "50054": mesh.workers[0] };
  return command.replace(/127\.0\.0\.1:(5005[1-4])\b/g, (_all, port: string) => ports[port]);
}

function run(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, PATH: `${join(repoRoot, "node_modules/.bin")}:${process.env.PATH}` };
  return new Promise((resolve) => {
    execFile("bash", ["-c", command], { cwd: repoRoot, env, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

/** What a successful answer of each call looks like. */
const EXPECT: Record<string, (stdout: string) => void> = {
  // The page lists the router's services: its own, health and reflection, no other kvmesh service (issue 14).
  "list": (out) => expect(out.split("\n").filter((l) => l).sort()).to.deep.equal(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection", "kvmesh.v1.Router"]),
  "list-methods": (out) => expect(out.split("\n")).to.include.members(["kvmesh.v1.Worker/GetLoad", "kvmesh.v1.Worker/StreamKvEvents"]),
  "describe": (out) => expect(JSON.parse(out).fileDescriptorResponse.fileDescriptorProto).to.not.be.empty,
  "grpc.health.v1.Health/Check": (out) => expect(JSON.parse(out)).to.deep.equal({ status: "SERVING" }),
  "kvmesh.v1.Router/ListWorkers": (out) => expect(JSON.parse(out).workers).to.have.length(2),
  "kvmesh.v1.Router/Route": (out) => expect(JSON.parse(out).workerId).to.match(/^worker-/),
  "kvmesh.v1.Worker/GetLoad": (out) => expect(JSON.parse(out).load.model).to.equal("stories260K"),
  "kvmesh.v1.Worker/StreamKvEvents": (out) => expect(out).to.contain('"load"'),
  "kvmesh.v1.Frontend/ChatCompletion": (out) => expect(out).to.match(/"finishReason": "(length|stop)"/),
  "kvmesh.v1.Frontend/ListModels": (out) => expect(JSON.parse(out).models[0].id).to.equal("stories260K"),
  "kvmesh.v1.Preprocessor/Tokenize": (out) => expect(JSON.parse(out).tokenIds).to.not.be.empty,
};

describe("docs/grpc.md: every buf curl command against a running mesh", function () {
  this.timeout(180_000);
  let mesh: DeployMesh | undefined;

  before(async function () {
    requireStoriesModel(this);
    mesh = await startDeployMesh();
  });
  after(async () => {
    await mesh?.stop();
    await stopAllProcesses();
  });

  it("covers list, describe, health of every service and the operators' RPCs, each with a grpcurl equivalent", () => {
    const calls = bufCommands.map(callOf);
    for (const needed of ["list", "list-methods", "describe", "kvmesh.v1.Router/Route", "kvmesh.v1.Router/ListWorkers",
      "kvmesh.v1.Worker/GetLoad", "kvmesh.v1.Worker/StreamKvEvents", "kvmesh.v1.Frontend/ChatCompletion"]) {
      expect(calls, needed).to.include(needed);
    }
    const healthPorts = bufCommands.filter((c) => callOf(c) === "grpc.health.v1.Health/Check").map((c) => /127\.0\.0\.1:(\d+)/.exec(c)![1]).sort();
    expect(healthPorts).to.deep.equal(["50051", "50052", "50053", "50054"]);
    const grpcurlCalls = grpcurlCommands.map(callOf);
    for (const call of calls) expect(grpcurlCalls, `grpcurl equivalent of ${call}`).to.include(call);
    for (const command of bufCommands) expect(EXPECT, `no expectation for ${callOf(command)}`).to.have.property(callOf(command));
  });

  it("runs each command successfully", async () => {
    expect(bufCommands.length).to.be.greaterThan(10);
    for (const command of bufCommands) {
      const { code, stdout, stderr } = await run(substitute(command, mesh!));
      if (command.includes("--timeout")) {
        // A stream that never ends by itself: the documented timeout ends it (exit 32).
        expect(code, `${command}\n${stderr}`).to.equal(32);
        expect(stderr).to.contain("deadline_exceeded");
      } else {
        expect(code, `${command}\n${stderr}`).to.equal(0);
      }
      EXPECT[callOf(command)](stdout);
    }
  });
});
