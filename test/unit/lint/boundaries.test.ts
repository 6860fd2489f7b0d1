// The folder boundaries of eslint.config.js bite: each fixture below is linted through ESLint's
// Node API with the repository's own config, as if it were the named file, and must be reported
// (or, for the allowed cases, must not be), so a config that stopped applying would fail here.
import { expect } from "chai";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

interface Fixture {
  /** The file the code pretends to be, relative to the repository root. */
  file: string;
  code: string;
}

const VIOLATIONS: (Fixture & { why: RegExp })[] = [
  // service → service
  { file: "services/worker/src/fixture.ts", code: `import { Decider } from "../../router/src/decider.js";\nexport const x = Decider;`, why: /\.\.\/\.\.\/router\/src\/decider\.js may not be imported here: services\/worker talks to other services only/ },
  { file: "services/frontend/src/http/fixture.ts", code: `export { runPreprocessor } from "../../../preprocessor/src/main.js";`, why: /preprocessor\/src\/main\.js may not be imported here/ },
  { file: "services/router/src/fixture.ts", code: `export async function f() { return import("../../worker/src/main.js"); }`, why: /worker\/src\/main\.js may not be imported here/ },
  { file: "services/preprocessor/src/fixture.ts", code: `import type { FrontendConfig } from "../../frontend/src/config.js";\nexport type X = FrontendConfig;`, why: /frontend\/src\/config\.js may not be imported here/ },
  // service → cli/ (what the frontend's --interactive used to do)
  { file: "services/frontend/src/fixture.ts", code: `export async function f() { return (await import("../../../cli/chat.js")).runChat([]); }`, why: /cli\/chat\.js may not be imported here: .*never imports the CLI/ },
  { file: "services/worker/src/fixture.ts", code: `export * from "../../../cli/model-command.js";`, why: /cli\/model-command\.js may not be imported here/ },
  // packages → services or cli/
  { file: "packages/models/src/fixture.ts", code: `import { WORKER_FLAGS } from "../../../services/worker/src/config.js";\nexport const f = WORKER_FLAGS;`, why: /services\/worker\/src\/config\.js may not be imported here: packages\/ are shared/ },
  { file: "packages/common/src/fixture.ts", code: `export { runChat } from "../../../cli/chat.js";`, why: /cli\/chat\.js may not be imported here/ },
  // domain folder → gRPC, NATS, Consul (directly or through common's adapters)
  { file: "services/router/src/indexer/fixture.ts", code: `import { status } from "@grpc/grpc-js";\nexport const s = status;`, why: /@grpc\/grpc-js may not be imported here: .*domain code: no gRPC, NATS or Consul module/ },
  { file: "services/router/src/scheduling/fixture.ts", code: `import { connect } from "@nats-io/transport-node";\nexport const c = connect;`, why: /@nats-io\/transport-node may not be imported here/ },
  { file: "services/router/src/sequences/fixture.ts", code: `import Consul from "consul";\nexport const c = Consul;`, why: /consul may not be imported here/ },
  { file: "services/router/src/queue/fixture.ts", code: `import { status } from "@grpc/grpc-js";\nexport const s = status;`, why: /@grpc\/grpc-js may not be imported here/ },
  { file: "services/worker/src/engine/fixture.ts", code: `import type { ServerUnaryCall } from "@grpc/grpc-js";\nexport type C = ServerUnaryCall<unknown, unknown>;`, why: /@grpc\/grpc-js may not be imported here/ },
  { file: "services/worker/src/engine/fixture.ts", code: `import { toGrpcError } from "#common/grpc-errors.js";\nexport const t = toGrpcError;`, why: /#common\/grpc-errors\.js may not be imported here/ },
  { file: "services/router/src/indexer/fixture.ts", code: `import { connectNats } from "#common/events/nats-connection.js";\nexport const n = connectNats;`, why: /#common\/events\/nats-connection\.js may not be imported here/ },
  { file: "services/router/src/scheduling/fixture.ts", code: `import { WorkerDirectory } from "#common/directory/worker-directory.js";\nexport const d = WorkerDirectory;`, why: /#common\/directory\/worker-directory\.js may not be imported here/ },
  { file: "services/worker/src/engine/fixture.ts", code: `import { ClientCache } from "#common/client-cache.js";\nexport const c = ClientCache;`, why: /#common\/client-cache\.js may not be imported here/ },
];

const ALLOWED: Fixture[] = [
  // Within a service, shared code, contracts: fine.
  { file: "services/worker/src/fixture.ts", code: `import { status } from "@grpc/grpc-js";\nimport { hashBlocks } from "#common/kv-hash.js";\nimport { WorkerService } from "#contracts/gen/kvmesh/v1/worker.js";\nimport { Scheduler } from "./engine/scheduler.js";\nexport const x = [status, hashBlocks, WorkerService, Scheduler];` },
  { file: "services/router/src/indexer/fixture.ts", code: `import { hashBlocks } from "#common/kv-hash.js";\nimport { selectWorker } from "../scheduling/selector.js";\nimport type { KvEvent } from "#contracts/gen/kvmesh/v1/events.js";\nexport const x = [hashBlocks, selectWorker];\nexport type E = KvEvent;` },
  // Packages import each other.
  { file: "packages/models/src/fixture.ts", code: `import { createLogger } from "#common/logger.js";\nimport { hubSettingsFromEnv } from "./hub/hub-settings.js";\nexport const x = [createLogger, hubSettingsFromEnv];` },
  // The CLI may import services (it starts them).
  { file: "cli/fixture.ts", code: `import { runFrontend } from "../services/frontend/src/main.js";\nexport const r = runFrontend;` },
  // Outside a domain folder a service may use gRPC and NATS.
  { file: "services/router/src/events/fixture.ts", code: `import { connect } from "@nats-io/transport-node";\nimport { status } from "@grpc/grpc-js";\nexport const x = [connect, status];` },
];

const eslint = new ESLint({ cwd: ROOT });

async function boundaryMessages(fixture: Fixture): Promise<string[]> {
  const [result] = await eslint.lintText(fixture.code, { filePath: join(ROOT, fixture.file) });
  return result.messages.filter((m) => m.ruleId === "kvmesh/boundaries").map((m) => m.message);
}

describe("folder boundaries (eslint.config.js)", function () {
  this.timeout(30_000);

  for (const fixture of VIOLATIONS) {
    it(`reports ${fixture.file}: ${fixture.code.split("\n")[0]}`, async () => {
      const messages = await boundaryMessages(fixture);
      expect(messages).to.have.length(1);
      expect(messages[0]).to.match(fixture.why);
    });
  }

  for (const fixture of ALLOWED) {
    it(`allows ${fixture.file}: ${fixture.code.split("\n")[0]}`, async () => {
      expect(await boundaryMessages(fixture)).to.deep.equal([]);
    });
  }
});
