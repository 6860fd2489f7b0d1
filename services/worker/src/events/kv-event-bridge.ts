/**
 * Carries one worker's KV events from its engine to the routers: the engine's recorder → the
 * EventRing (StreamKvEvents and resumes) → NATS when configured, plus periodic WorkerLoad.
 * Events of one scheduler step are gathered and handed on as one batch at the end of the tick,
 * so routers see a step's stores and removals together.
 */
import type { KvEvent, KvEventBatch, WorkerLoad } from "#contracts/gen/kvmesh/v1/events.js";
import { EventRing } from "./event-ring.js";
import type { KvEventData } from "../engine/kv-events.js";
import type { EventPublisher } from "./event-publisher.js";
import type { EngineCore } from "../engine/engine-core.js";

/** Who the events belong to. */
export interface WorkerIdentity {
  readonly workerId: string;
  /** Unique per worker start: routers drop blocks of an older epoch. */
  readonly epoch: bigint;
  /** Served model name. */
  readonly model: string;
}

/** Options of {@link KvEventBridge}. */
export interface KvEventBridgeOptions {
  readonly engine: Pick<EngineCore, "events" | "load" | "dumpState">;
  readonly identity: WorkerIdentity;
  /** Bound of the event ring, in approximate heap bytes. */
  readonly ringBytes: number;
  /** What one event costs against ringBytes (default: its approximate heap bytes; tests bound in events with `() => 1`). */
  readonly ringEventCost?: (event: KvEvent) => number;
  /** NATS publisher; undefined when broker-less (routers then follow StreamKvEvents). */
  readonly publisher?: EventPublisher;
  readonly loadIntervalMs: number;
}

/** A new epoch: milliseconds since 1970 in the high bits, random low bits (two starts in one ms differ). */
export function newEpoch(): bigint {
  return (BigInt(Date.now()) << 16n) | BigInt(Math.floor(Math.random() * 0x10000));
}

/** The bridge of one worker. */
export class KvEventBridge {
  readonly ring: EventRing;
  private pending: KvEventData[] = [];
  private flushQueued = false;
  private readonly unsubscribe: () => void;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: KvEventBridgeOptions) {
    this.ring = new EventRing(options.ringBytes, options.ringEventCost);
    this.unsubscribe = options.engine.events.subscribe((change) => this.onEngineChange(change));
    const { publisher } = options;
    if (publisher) {
      this.ring.listen({ onEvents: (events) => publisher.publishKvEvents(this.batch([...events])), onClose: () => {} });
      this.timer = setInterval(() => publisher.publishLoad(this.load()), options.loadIntervalMs);
      this.timer.unref();
    }
  }

  /** Numbers and hands on buffered changes now; call before reading the ring's lastEventId. */
  flush(): void {
    this.flushQueued = false;
    if (this.pending.length === 0) return;
    const changes = this.pending;
    this.pending = [];
    this.ring.append(changes);
  }

  /** The WorkerLoad of now (events flushed first, so last_event_id is exact). */
  load(): WorkerLoad {
    this.flush();
    const load = this.options.engine.load();
    const { workerId, epoch, model } = this.options.identity;
    return {
      workerId, epoch, model,
      blocksActive: load.blocksActive,
      blocksCachedFree: load.blocksCachedFree,
      blocksTotal: load.blocksTotal,
      running: load.running,
      waiting: load.waiting,
      lastEventId: this.ring.lastEventId,
    };
  }

  /** Stored events rebuilding the cache and the id they are current to. */
  dump(): { events: KvEvent[]; lastEventId: bigint } {
    this.flush();
    const state = this.options.engine.dumpState();
    return { events: state.events, lastEventId: this.ring.lastEventId };
  }

  /** Flushes, stops the load timer and ends every StreamKvEvents stream. */
  close(): void {
    this.flush();
    this.unsubscribe();
    if (this.timer) clearInterval(this.timer);
    this.ring.close();
  }

  private onEngineChange(change: KvEventData): void {
    this.pending.push(change);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  private batch(events: KvEvent[]): KvEventBatch {
    const { workerId, epoch, model } = this.options.identity;
    return { workerId, epoch, model, events };
  }
}
