import { backoffDelay } from "./backoff.js";
import type { BackoffOptions } from "./backoff.js";
import { healthService, RequestContext } from "./consul-client.js";
import type { ConsulClient, HealthAnswer } from "./consul-client.js";
import { liveSetKey } from "./live-set.js";
import type { DiscoveryLog, ServiceInstance, Watch, WatchCallback } from "./types.js";

/** What one blocking-query watch needs. */
export interface ConsulWatchOptions {
  consul: ConsulClient;
  /** Consul service name to follow. */
  name: string;
  /** Maps an answer to our live set (filters other namespaces, sorts). */
  toInstances: (answer: HealthAnswer) => ServiceInstance[];
  onChange: WatchCallback;
  /** How long Consul may hold each blocking query. */
  waitMs: number;
  backoff: BackoffOptions;
  log: DiscoveryLog;
}

/**
 * Follows a service with Consul blocking queries: each request carries the last X-Consul-Index
 * and returns when the index moves (or the wait ends). Consul also wakes blocked queries for
 * unrelated changes, so onChange fires only when the mapped live set really differs. Errors
 * retry with exponential backoff and jitter until closed.
 */
export function startConsulWatch(options: ConsulWatchOptions): Watch {
  const ctx = new RequestContext();
  let closed = false;
  let sleepTimer: NodeJS.Timeout | undefined;
  let wakeSleep: (() => void) | undefined;

  const loop = async (): Promise<void> => {
    let index = 0n;
    let lastKey: string | undefined;
    let failures = 0;
    while (!closed) {
      let answer: HealthAnswer;
      try {
        answer = await healthService(options.consul, options.name, { index, waitMs: options.waitMs, ctx });
      } catch (err) {
        if (closed) return;
        const delay = backoffDelay(failures++, options.backoff);
        options.log.warn({ err, service: options.name, retry_in_ms: delay, failures }, "consul watch query failed");
        await new Promise<void>((resolve) => {
          wakeSleep = resolve;
          sleepTimer = setTimeout(resolve, delay);
        });
        continue;
      }
      failures = 0;
      // Consul's rules: an index that went backwards (agent restart, snapshot restore) means
      // start over with a non-blocking query; an index must otherwise be at least 1.
      index = answer.index < index ? 0n : answer.index > 0n ? answer.index : 1n;
      const instances = options.toInstances(answer);
      const key = liveSetKey(instances);
      if (closed || key === lastKey) continue;
      lastKey = key;
      try {
        options.onChange(instances);
      } catch (err) {
        options.log.warn({ err, service: options.name }, "discovery watch callback threw");
      }
    }
  };
  void loop();

  return {
    close: () => {
      if (closed) return;
      closed = true;
      if (sleepTimer) clearTimeout(sleepTimer);
      wakeSleep?.();
      ctx.cancel();
    },
  };
}
