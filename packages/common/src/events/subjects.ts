import { modelSlug } from "../model-slug.js";

/**
 * The NATS subject carrying `KvEventBatch` payloads of every worker serving `model`:
 * `kvmesh.<namespace>.<modelSlug(model)>.kv-events`.
 */
export function kvEventsSubject(namespace: string, model: string): string {
  return `kvmesh.${namespace}.${modelSlug(model)}.kv-events`;
}

/**
 * The NATS subject carrying `WorkerLoad` payloads of every worker serving `model`:
 * `kvmesh.<namespace>.<modelSlug(model)>.load`.
 */
export function loadSubject(namespace: string, model: string): string {
  return `kvmesh.${namespace}.${modelSlug(model)}.load`;
}

/**
 * The NATS subject router replicas share their reservations on (`ReservationUpdate` payloads):
 * `kvmesh.<namespace>.router.reservations`.
 */
export function routerReservationsSubject(namespace: string): string {
  return `kvmesh.${namespace}.router.reservations`;
}
