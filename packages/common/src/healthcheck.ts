/**
 * `kvmesh healthcheck <host:port> [--service NAME] [--timeout 2s]`: one grpc.health.v1 Check,
 * for container health checks. Prints SERVING / NOT_SERVING / the error; exit 0 only for SERVING.
 */
import { makeGenericClientConstructor } from "@grpc/grpc-js";
import type { Client, ServiceError } from "@grpc/grpc-js";
import { ConfigError, defineFlags, formatHelp, parseArgv } from "./config/index.js";
import { createClient, deadlineIn } from "./grpc-client.js";
import { healthServiceDefinition } from "./grpc-health.js";
import type { ServingStatus } from "./grpc-health.js";

const HEALTHCHECK_FLAGS = defineFlags([
  { name: "service", type: "string", default: "", env: "KVMESH_HEALTHCHECK_SERVICE", help: 'service name to check ("" = the whole server)' },
  { name: "timeout", type: "duration", default: "2s", min: 1, env: "KVMESH_HEALTHCHECK_TIMEOUT", help: "deadline of the check" },
]);

type HealthClient = Client & {
  Check(request: { service: string }, options: { deadline: Date }, callback: (err: ServiceError | null, response?: { status: ServingStatus }) => void): void;
};

/** Where {@link runHealthcheck} prints (console by default). */
export interface HealthcheckIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** The status of `service` at `address`, or throws the call's error. */
export async function checkHealth(address: string, service = "", timeoutMs = 2000): Promise<ServingStatus> {
  const client = createClient(makeGenericClientConstructor(healthServiceDefinition(), "Health"), address) as unknown as HealthClient;
  try {
    return await new Promise<ServingStatus>((resolve, reject) => {
      client.Check({ service }, { deadline: deadlineIn(timeoutMs) }, (err, response) => (err ? reject(err) : resolve(response!.status)));
    });
  } finally {
    client.close();
  }
}

/** Runs the subcommand; resolves to the exit code (0 SERVING, 1 anything else, 2 usage error). */
export async function runHealthcheck(argv: readonly string[], io: HealthcheckIo = { out: console.log, err: console.error }): Promise<number> {
  const usage = "usage: kvmesh healthcheck <host:port> [--service NAME] [--timeout 2s]";
  if (argv.includes("--help") || argv.includes("-h")) {
    io.out(formatHelp(HEALTHCHECK_FLAGS, usage));
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgv(HEALTHCHECK_FLAGS, argv, process.env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.err(`kvmesh healthcheck: ${e.message}\n${usage}`);
    return 2;
  }
  if (parsed.positionals.length !== 1) {
    io.err(usage);
    return 2;
  }
  try {
    const status = await checkHealth(parsed.positionals[0], parsed.config.service, parsed.config.timeoutMs);
    io.out(status);
    return status === "SERVING" ? 0 : 1;
  } catch (err) {
    io.err(`error: ${(err as ServiceError).details ?? String(err)}`);
    return 1;
  }
}
