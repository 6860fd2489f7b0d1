/** The one root logger of a process: pino, JSON lines on stdout, `service` and `pid` on every line. */
import { pino } from "pino";
import type { DestinationStream, Logger as PinoLogger } from "pino";

/** The logger type every part of kvmesh takes (a pino logger; use `log.child({ request_id })`). */
export type Logger = PinoLogger;

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  service: string;
  /** pino level name (`--log-level`); default info. */
  level?: string;
  /** Where lines go; default stdout (synchronously, so nothing is lost on exit). */
  destination?: DestinationStream;
}

/** Creates the process's root logger. Levels are written as names ("info"), not numbers. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: options.service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
