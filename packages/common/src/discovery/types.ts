/**
 * One registered replica of a service, as every discovery backend stores and returns it.
 * `meta` carries plain strings such as `model`, `block_size` and `role`.
 */
export interface ServiceInstance {
  /** Service kind: `frontend`, `preprocessor`, `router`, `worker`. */
  service: string;
  /** Mesh namespace (`--namespace`); instances in different namespaces never see each other. */
  namespace: string;
  /** Unique per process-level instance; registering the same id again replaces the record. */
  instanceId: string;
  /** Host callers dial (`--advertise-host`). */
  address: string;
  /** Bound port. */
  port: number;
  /** Free-form string metadata (model, block_size, role...). */
  meta: Record<string, string>;
  /** Set once the instance asked to stop receiving new work; draining instances are never listed. */
  draining?: boolean;
}

/**
 * What `register` takes: an instance whose namespace may be left out (the discovery's own
 * namespace is used). A namespace other than the discovery's is a programming error.
 */
export type InstanceSpec = Omit<ServiceInstance, "namespace" | "draining"> & { namespace?: string };

/** A live registration; heartbeats every ttl/3 until `deregister` (or the discovery's `close`). */
export interface Registration {
  /** The instance as registered (namespace filled in). */
  readonly instance: ServiceInstance;
  /** Keeps heartbeating but drops the instance from `list` and `watch` results at once. */
  markDraining(): Promise<void>;
  /** Stops heartbeating and removes the record; idempotent. */
  deregister(): Promise<void>;
}

/** A running watch; `close` stops it and no callback fires afterwards. */
export interface Watch {
  close(): void;
}

/** Called with the full live set: once with the first snapshot, then whenever the set changes. */
export type WatchCallback = (instances: ServiceInstance[]) => void;

/**
 * Service discovery within one namespace. Results are live (heartbeat within the TTL), never
 * draining, and sorted by instanceId.
 */
export interface Discovery {
  /** The namespace every call is scoped to. */
  readonly namespace: string;
  /** Registers the instance and starts heartbeating it. */
  register(instance: InstanceSpec): Promise<Registration>;
  /** The live, non-draining instances of `service`. */
  list(service: string): Promise<ServiceInstance[]>;
  /** Follows the live set of `service`; see {@link WatchCallback} for when it fires. */
  watch(service: string, onChange: WatchCallback): Watch;
  /**
   * Stops every watch and heartbeat and releases clients. It does not deregister: callers
   * deregister first on a clean shutdown; registrations still held simply expire within the TTL.
   */
  close(): Promise<void>;
}

/** The few pino methods discovery logs with (a pino logger fits). */
export interface DiscoveryLog {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** Wall-clock milliseconds; injected so tests can move time. */
export type Clock = () => number;
