/**
 * V8 flags the router process runs with (`kvmesh up` starts it with them; deploy/compose.yaml
 * sets them through NODE_OPTIONS).
 *
 * --max-semi-space-size=64 (MiB; V8's default cap is 16): a Route call allocates ~190 KB in the
 * router (gRPC, decoding the 4,096-token prompt, the decision), so at the default size a
 * scavenge ran every ~55 calls, and with a 64-worker index in the old generation each took
 * milliseconds; what survived them (~3 MB a scavenge) was promoted and grew the old
 * generation until major collections marked the whole index. bench:router's gRPC row
 * (2,000 calls between two processes): 34 scavenges → 7, the old generation stays flat, and
 * no major GC while measuring. The young generation only grows to the cap when the allocation
 * rate asks for it, so an idle router does not hold the memory.
 */
export const ROUTER_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=64"];
