/** The frontend's flags (ARCHITECTURE.md "Names, flags, ports") on top of the common ones. */
import { COMMON_FLAGS, defineFlags } from "#common/config/index.js";
import type { ConfigOf } from "#common/config/index.js";
import { DEFAULT_MAX_BODY_BYTES } from "#common/limits.js";

/** Flags only the frontend has. */
export const FRONTEND_FLAGS = defineFlags([
  { name: "http-port", type: "int", min: 0, max: 65535, default: 8000, help: "OpenAI REST port (host: the --listen host)" },
  { name: "grpc-listen", type: "string", help: "address of the gRPC Frontend API (default: --listen)" },
  { name: "request-timeout", type: "duration", min: 1, default: "600s", help: "a request still running after this fails with 504 timeout" },
  { name: "max-body-bytes", type: "int", min: 1, default: DEFAULT_MAX_BODY_BYTES, help: "largest request entering the mesh: an HTTP body (413 beyond), a gRPC Frontend or Preprocessor message (RESOURCE_EXHAUSTED beyond), checked before any work" },
  { name: "api-key", type: "string", secret: true, help: "require `Authorization: Bearer <key>` on /v1/*, /tokenize, /detokenize and the gRPC Frontend (401 otherwise)" },
  { name: "allowed-origins", type: "string", help: "CORS: browser origins allowed to call the API, comma-separated, or * for any (default: none)" },
]);

/** Every flag of `kvmesh frontend`. */
export const FRONTEND_SPEC = [...COMMON_FLAGS, ...FRONTEND_FLAGS] as const;

/** The parsed frontend config. */
export type FrontendConfig = ConfigOf<typeof FRONTEND_SPEC>;
