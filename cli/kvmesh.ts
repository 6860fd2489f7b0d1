#!/usr/bin/env node
/**
 * The `kvmesh` command: one subcommand per service plus the tools around them. Each entry loads
 * its module lazily so `kvmesh healthcheck` does not pay for onnxruntime.
 */
import { SUBCOMMANDS, type Subcommand } from "./subcommands.js";

function usage(): string {
  const rows = SUBCOMMANDS.map((c) => `  ${c.name.padEnd(14)}${c.summary}${c.run ? "" : " (not built yet)"}`);
  return ["usage: kvmesh <command> [flags]   (kvmesh <command> --help for its flags)", "", "commands:", ...rows].join("\n");
}

async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command: Subcommand | undefined = SUBCOMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`kvmesh: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (!command.run) {
    console.error(`kvmesh ${name}: ${command.summary} — not built yet in this version of kvmesh (coming in a later release)`);
    return 2;
  }
  return command.run(rest);
}

runCli(process.argv.slice(2)).then(
  (code) => {
    // Long-running services keep the event loop alive and exit from their shutdown handler.
    if (code !== undefined && code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`kvmesh: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
