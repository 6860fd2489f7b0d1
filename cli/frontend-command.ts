/**
 * `kvmesh frontend`: the frontend service plus the CLI's own `--interactive`, which opens the
 * terminal chat (cli/chat.ts) against it once it listens. The chat lives here so that the
 * frontend service never imports the CLI (the boundary eslint.config.js enforces).
 */
import { defineFlags } from "#common/config/index.js";
import { runFrontend } from "../services/frontend/src/main.js";
import { runChat } from "./chat.js";

/** Flags `kvmesh frontend` adds to the frontend service's own. */
export const FRONTEND_CLI_FLAGS = defineFlags([
  { name: "interactive", type: "bool", help: "also open a terminal chat against this frontend" },
]);

/** Runs the frontend; with `--interactive` also a chat on its REST port. Resolves as runFrontend does. */
export function runFrontendCommand(argv: string[]): Promise<number> {
  return runFrontend(argv, {
    flags: FRONTEND_CLI_FLAGS,
    onListening: ({ httpPort, config }) => {
      // A chat that cannot start (no model yet) says why; the frontend keeps serving.
      if (config.interactive === true) runChat(["--url", `http://127.0.0.1:${httpPort}`]).catch((e: Error) => console.error(`kvmesh chat: ${e.message}`));
    },
  });
}
