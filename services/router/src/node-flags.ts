/**
 * V8 flags the router process runs with (`kvmesh up` starts it with them; deploy/compose.yaml
 * sets them through NODE_OPTIONS).
 *
 * --max-semi-space-size=64 (MiB; V8's default cap is 16): a Route call allocates ~105 KB in the
 * router (gRPC, the decoded 4,096-token prompt, the decision; ~187 KB before its decoder sized
 * the arrays once), so at the default size a scavenge ran every ~90 calls, and what survived
 * them was promoted into an old generation that holds the 64-worker index, growing it until
 * major collections marked the whole index. bench:router's gRPC row, 2,000 calls between two
 * processes, pairs run back to back at load ≈ 5 on the shared 2-core machine: 22 scavenges →
 * 5, GC time 446–690 → 334–441 ms, client p99 26–35 → 17–19 ms, event-loop delay p99 12–15 →
 * 8–9 ms; the price is a longer single pause (longest 39–59 → 124–159 ms, each scavenge copies
 * more survivors; measured under load: rerun on a quiet machine before retuning). V8 grows the young
 * generation towards the cap only under a sustained allocation rate.
 */
export const ROUTER_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=64"];
