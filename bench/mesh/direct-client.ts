/** One `Worker.Generate` stream straight to a worker, timed: the baseline the mesh's hops are measured against. */
import { createClient } from "#common/grpc-client.js";
import type { GenerateResponse } from "#contracts/gen/kvmesh/v1/common.js";
import { WorkerClient } from "#contracts/gen/kvmesh/v1/worker.js";
import type { GetModelCardResponse } from "#contracts/gen/kvmesh/v1/worker.js";

/** What one request took and delivered. */
export interface StreamOutcome {
  readonly e2eMs: number;
  readonly outputTokens: number;
  readonly error?: string;
}

/** Round-robin over a fixed set of worker clients. */
export class DirectWorkers {
  private readonly clients: WorkerClient[];
  private next = 0;
  private seq = 0;

  constructor(addresses: readonly string[], private readonly model: string) {
    this.clients = addresses.map((a) => createClient(WorkerClient, a));
  }

  /** Streams one request (`prompt` ids, exactly `maxTokens` out); never rejects. */
  generate(prompt: readonly number[], maxTokens: number): Promise<StreamOutcome> {
    const client = this.clients[this.next++ % this.clients.length];
    const t0 = performance.now();
    let outputTokens = 0;
    return new Promise((resolve) => {
      const call = client.generate({
        requestId: `bench-direct-${process.pid}-${this.seq++}`, model: this.model, tokenIds: [...prompt],
        sampling: { temperature: 0 }, stop: { maxTokens, stopTokenIds: [], ignoreEos: true },
      });
      call.on("data", (m: GenerateResponse) => (outputTokens += m.tokenIds.length));
      call.on("error", (err: Error) => resolve({ e2eMs: performance.now() - t0, outputTokens, error: err.message }));
      call.on("end", () => resolve({ e2eMs: performance.now() - t0, outputTokens }));
    });
  }

  /** The served vocabulary's size, from the first worker's model card (tokenizer.json's vocab). */
  async vocabSize(): Promise<number> {
    const card = await new Promise<GetModelCardResponse>((resolve, reject) =>
      this.clients[0].getModelCard({}, (err: Error | null, res?: GetModelCardResponse) => (err ? reject(err) : resolve(res!))));
    const tokenizer = JSON.parse(card.card?.tokenizerJson ?? "{}") as { model?: { vocab?: Record<string, number> | unknown[] } };
    const vocab = tokenizer.model?.vocab;
    const size = Array.isArray(vocab) ? vocab.length : Object.keys(vocab ?? {}).length;
    if (size < 4) throw new Error("the model card's tokenizer lists no vocabulary");
    return size;
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}
