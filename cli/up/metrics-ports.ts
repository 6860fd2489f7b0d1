/**
 * Per-service metrics ports of `kvmesh up`: `--metrics-port P` gives the frontend P, the
 * preprocessor P+1, the router P+2 and the worker processes P+3 onwards; `--metrics-port 0`
 * gives each an ephemeral port; unset, no service serves metrics. (One port for all would make
 * every service but the first fail to bind.)
 */

/** The order in which services get consecutive ports. */
export function metricsPortOrder(workerProcesses: readonly string[]): string[] {
  return ["frontend", "preprocessor", "router", ...workerProcesses];
}

/** The metrics port of each named service (undefined: none). Throws when P + n − 1 > 65535. */
export function metricsPorts(base: number | undefined, services: readonly string[]): Map<string, number | undefined> {
  const last = base === undefined || base === 0 ? 0 : base + services.length - 1;
  if (last > 65535) throw new Error(`--metrics-port ${base} leaves no room for ${services.length} services (the last would be ${last} > 65535)`);
  return new Map(services.map((name, i) => [name, base === undefined ? undefined : base === 0 ? 0 : base + i]));
}
