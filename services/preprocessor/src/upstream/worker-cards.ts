/** Fetching a worker's model card over gRPC (Worker.GetModelCard), for the model catalog. */
import { Metadata } from "@grpc/grpc-js";
import type { ServiceInstance } from "#common/discovery/index.js";
import { createClient, deadlineIn } from "#common/grpc-client.js";
import type { ModelCard } from "#contracts/gen/kvmesh/v1/common.js";
import { WorkerClient } from "#contracts/gen/kvmesh/v1/worker.js";
import { endpointOf } from "./endpoints.js";
import type { CardFetcher } from "./model-catalog.js";

/** A card fetcher with a per-call timeout; each fetch uses a short-lived client. */
export function grpcCardFetcher(timeoutMs: number): CardFetcher {
  return (worker: ServiceInstance) =>
    new Promise<ModelCard>((resolve, reject) => {
      const client = createClient(WorkerClient, endpointOf(worker));
      client.getModelCard({}, new Metadata(), { deadline: deadlineIn(timeoutMs) }, (err, response) => {
        client.close();
        if (err) return reject(err);
        if (!response?.card) return reject(new Error(`worker ${worker.instanceId} returned no model card`));
        resolve(response.card);
      });
    });
}
