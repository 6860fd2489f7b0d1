/**
 * One service of `kvmesh up` under supervision: once the mesh is up, an unexpected exit is
 * logged and the service is started again after the {@link RestartBackoff} delay, for as long as
 * `up` runs. Only {@link SupervisedService.stop} (Ctrl-C / SIGTERM of `up`) ends it for good.
 * During start-up an exit is not retried: it is most often a bad flag or model, which a restart
 * loop would only hide.
 */
import type { Child } from "./child.js";
import { RestartBackoff } from "./restart-backoff.js";

/** How to start the service, and where its story goes. */
export interface SupervisedOptions {
  readonly name: string;
  /** Spawns the service; on a restart it gets the process that exited (to keep its ports). */
  readonly spawn: (previous: Child | undefined) => Child;
  /** How many "listening" records a healthy start prints (N hosted mocker workers print N). */
  readonly listeningCount: number;
  readonly startupTimeoutMs: number;
  readonly echo: (line: string) => void;
  /** Called after the first start and after each restart, once the service is listening again. */
  readonly onListening?: (records: Array<Record<string, unknown>>, child: Child) => void;
  /** Called on an exit while not supervising (start-up failed). */
  readonly onEarlyExit: (code: number | null, child: Child) => void;
  readonly backoff?: RestartBackoff;
  readonly now?: () => number;
}

/** A service that `up` keeps running. */
export class SupervisedService {
  private child: Child | undefined;
  private startedAt: number;
  private supervising = false;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly backoff: RestartBackoff;
  private readonly now: () => number;
  /** Restarts so far. */
  restarts = 0;

  constructor(private readonly options: SupervisedOptions) {
    this.backoff = options.backoff ?? new RestartBackoff();
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.child = this.launch();
  }

  /** The running process (the latest one after a restart). */
  get current(): Child {
    return this.child!;
  }

  /** Resolves with the "listening" records of the current start. */
  async waitListening(): Promise<Array<Record<string, unknown>>> {
    const child = this.current;
    const records = await child.waitListening(this.options.listeningCount, this.options.startupTimeoutMs);
    this.options.onListening?.(records, child);
    return records;
  }

  /** From now on an exit is restarted instead of failing `up`. */
  supervise(): void {
    this.supervising = true;
  }

  /** Stops the service for good (SIGTERM, SIGKILL after `graceMs`). */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.child?.stop(graceMs);
  }

  private launch(): Child {
    const child = this.options.spawn(this.child);
    this.startedAt = this.now();
    void child.exited.then((code) => this.onExit(child, code));
    return child;
  }

  private onExit(child: Child, code: number | null): void {
    if (this.stopped || child !== this.child) return;
    const { name, echo } = this.options;
    const how = code === null ? `signal ${child.process.signalCode ?? "?"}` : `code ${code}`;
    if (!this.supervising) return this.options.onEarlyExit(code, child);
    const ranMs = this.now() - this.startedAt;
    const delayMs = this.backoff.nextDelayMs(ranMs);
    echo(`kvmesh up: ${name} (pid ${child.process.pid}) exited unexpectedly (${how}) after ${(ranMs / 1000).toFixed(1)} s; restarting in ${delayMs} ms (crash ${this.backoff.consecutiveFailures} since the last stable run); last lines:\n${child.tail.slice(-10).join("\n")}`);
    this.restartTimer = setTimeout(() => this.restart(), delayMs);
  }

  private restart(): void {
    if (this.stopped) return;
    this.restarts++;
    const child = (this.child = this.launch());
    this.waitListening().then(
      () => this.options.echo(`kvmesh up: ${this.options.name} restarted (pid ${child.process.pid}, restart ${this.restarts})`),
      // An exit before listening is handled by onExit (another backoff step); a hang is killed so it is.
      (err: unknown) => {
        if (child === this.child && !this.stopped) {
          this.options.echo(`kvmesh up: ${this.options.name} restart failed: ${(err as Error).message.split("\n")[0]}`);
          void child.stop(1000);
        }
      },
    );
  }
}
