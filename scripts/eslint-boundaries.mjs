// An ESLint rule for kvmesh's folder boundaries (STYLE.md, Layout): it resolves each import to a
// repository path (relative paths and the package.json "imports" aliases) so that a zone can
// forbid other folders, and matches bare specifiers so that a zone can forbid modules.
// no-restricted-imports cannot do this: it matches the written specifier, and
// "../../router/src/x.js" from a worker file names no folder it could match reliably.
import { dirname, relative, resolve } from "node:path";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");

/** package.json "imports" aliases → the source folder each compiles from. */
const ALIASES = [
  ["#common/", "packages/common/src/"],
  ["#contracts/", "packages/contracts/"],
  ["#models/", "packages/models/src/"],
];

/** The repository-relative target of a specifier, or undefined for a bare module. */
function targetPath(specifier, filename) {
  for (const [alias, folder] of ALIASES) if (specifier.startsWith(alias)) return folder + specifier.slice(alias.length);
  if (!specifier.startsWith(".")) return undefined;
  return relative(ROOT, resolve(dirname(filename), specifier)).split("\\").join("/");
}

const boundaries = {
  meta: {
    type: "problem",
    docs: { description: "forbid imports across kvmesh's folder boundaries" },
    schema: [{
      type: "object",
      properties: {
        forbidPaths: { type: "array", items: { type: "string" } },
        forbidModules: { type: "array", items: { type: "string" } },
        why: { type: "string" },
      },
      additionalProperties: false,
    }],
    messages: { forbidden: "{{what}} may not be imported here: {{why}}" },
  },
  create(context) {
    const { forbidPaths = [], forbidModules = [], why = "folder boundary" } = context.options[0] ?? {};
    const paths = forbidPaths.map((p) => new RegExp(p));
    const modules = forbidModules.map((m) => new RegExp(m));
    const check = (source) => {
      if (!source || typeof source.value !== "string") return;
      const target = targetPath(source.value, context.filename);
      const hit = target === undefined ? modules.some((m) => m.test(source.value)) : paths.some((p) => p.test(target));
      if (hit) context.report({ node: source, messageId: "forbidden", data: { what: source.value, why } });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source.type === "Literal" ? node.source : undefined),
      TSImportType: (node) => check(node.argument?.literal ?? node.argument),
    };
  },
};

/** The plugin: `kvmesh/boundaries`. */
export const kvmeshPlugin = { rules: { boundaries } };

const SERVICES = ["frontend", "preprocessor", "router", "worker"];
/** Domain folders: plain data in, plain data out, no transport (STYLE.md, Layout). */
const DOMAIN = { router: ["indexer", "scheduling", "sequences", "queue"], worker: ["engine"] };
/** gRPC, NATS and Consul client modules. */
const TRANSPORTS = ["^@grpc/", "^@nats-io/", "^nats$", "^consul$"];
/** packages/common's adapters over them (each imports one of TRANSPORTS). */
const COMMON_TRANSPORT = "^packages/common/src/(grpc-|client-cache|directory/|healthcheck|in-flight-calls|reflection|replica-pool|request-id|service-runtime|stream-with-retry|discovery/|events/nats-)";

/** Config blocks: packages import no service and no cli/; each service imports no other service and no cli/; domain folders also no transport. */
export function boundaryConfigs() {
  const blocks = [{
    files: ["packages/**/*.ts"],
    plugins: { kvmesh: kvmeshPlugin },
    rules: { "kvmesh/boundaries": ["error", { forbidPaths: ["^services/", "^cli/"], why: "packages/ are shared by every service and the CLI, so they depend on neither" }] },
  }];
  for (const service of SERVICES) {
    const forbidPaths = [`^services/(?!${service}/)`, "^cli/"];
    const why = `services/${service} talks to other services only through packages/contracts, and never imports the CLI`;
    blocks.push({ files: [`services/${service}/**/*.ts`], plugins: { kvmesh: kvmeshPlugin }, rules: { "kvmesh/boundaries": ["error", { forbidPaths, why }] } });
    for (const folder of DOMAIN[service] ?? []) {
      blocks.push({
        files: [`services/${service}/src/${folder}/**/*.ts`],
        plugins: { kvmesh: kvmeshPlugin },
        rules: { "kvmesh/boundaries": ["error", { forbidPaths: [...forbidPaths, COMMON_TRANSPORT], forbidModules: TRANSPORTS, why: `${why}; services/${service}/src/${folder} is domain code: no gRPC, NATS or Consul module` }] },
      });
    }
  }
  return blocks;
}
