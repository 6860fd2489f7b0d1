// Two real router processes over the same mocker workers share their reservations — over a
// real nats-server and, without a broker, over FollowReservations streams found through
// discovery: router B's view of worker load includes router A's requests in flight, A's
// sampled decisions show as kvmesh_router_replica_agreement on B, and once A is SIGKILLed its
// reservations expire at B within the TTL. A router with --replica-sharing off sees nothing.
import { expect } from "chai";
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { ServiceError } from "@grpc/grpc-js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { natsServerBinary, startNatsServer } from "../support/nats-server.js";
import type { NatsServerHandle } from "../support/nats-server.js";
import { stopAllProcesses } from "../support/process.js";
import { route, routerGenerate, startRouterProcess, waitForRoutable, waitUntil } from "../support/router-process.js";
import type { RouterProcess } from "../support/router-process.js";
import type { ReservationUpdate } from "#contracts/gen/kvmesh/v1/router.js";
import { requireStoriesModel, storiesModelDir } from "../support/stories-model.js";
import { scrape, startWorkerProcess } from "../support/worker-process.js";

const MODEL = "stories260K";
const BS = 4;
const TTL_MS = 1500;
const prompt = (seed: number, n: number): number[] => Array.from({ length: n }, (_, i) => 3 + ((seed * 7919 + i * 31) % 500));

/** The value of an unlabelled metric in a scrape (undefined when absent). */
function metric(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** Blocks `router` counts active over all workers: Route's decode blocks less the probe's own. */
async function activeBlocksSeen(router: RouterProcess): Promise<number> {
  const probe = await route(router.client, MODEL, prompt(999, 4 * BS));
  return probe.workers.reduce((sum, w) => sum + w.decodeBlocks - probe.requestBlocks, 0);
}

for (const transport of ["nats", "grpc"] as const) {
  describe(`router replicas sharing reservations over ${transport === "nats" ? "NATS" : "FollowReservations (no broker)"}`, function () {
    this.timeout(120_000);
    let nats: NatsServerHandle | undefined;
    let a: RouterProcess;
    let b: RouterProcess;
    let isolated: RouterProcess;
    let registryDir: string;
    let flags: string[];

    before(async function () {
      requireStoriesModel(this);
      if (transport === "nats" && !natsServerBinary()) {
        if (process.env.CI === "true") throw new Error("nats-server is required under CI");
        this.skip();
      }
      nats = transport === "nats" ? await startNatsServer() : undefined;
      registryDir = mkdtempSync(join(tmpdir(), "kvmesh-replicas-"));
      const namespace = `replicas-${transport}-${process.pid}`;
      const broker = nats === undefined ? [] : ["--nats-url", nats.url];
      // Slow mocker (speedup 0.1): a 150-token answer streams for several seconds.
      await startWorkerProcess(
        ["--engine", "mocker", "--model", storiesModelDir, "--workers", "2", "--block-size", String(BS), "--speedup-ratio", "0.1", "--namespace", namespace, ...broker],
        { registryDir, workers: 2 },
      );
      flags = ["--namespace", namespace, "--reservation-ttl", `${TTL_MS}ms`, "--reservation-sample-every", "1", ...broker];
      a = await startRouterProcess(registryDir, flags);
      b = await startRouterProcess(registryDir, flags);
      isolated = await startRouterProcess(registryDir, [...flags, "--replica-sharing", "off"]);
      for (const r of [a, b, isolated]) {
        await waitForRoutable(r.client, MODEL, 2);
      }
    });

    after(async () => {
      await stopAllProcesses();
      await nats?.stop();
    });

    it("B counts A's requests in flight; A's samples give B an agreement; an isolated router counts none; A's reservations expire after SIGKILL", async () => {
      // Give B time to find A (discovery, or the broker subscription) before A decides.
      await waitUntil("B follows A", async () => {
        const text = await scrape(b.metricsPort);
        return text.includes("kvmesh_router_peer_reservations");
      });
      expect(await activeBlocksSeen(b)).to.equal(0);
      const streams = [1, 2, 3, 4].map((seed) =>
        routerGenerate(a.client, { model: MODEL, tokenIds: prompt(seed, 16 * BS), stop: { maxTokens: 150, stopTokenIds: [], ignoreEos: true } }).catch((err: ServiceError) => err),
      );
      const seenByA = await (async () => {
        await waitUntil("A's 4 requests in flight", async () => (await activeBlocksSeen(a)) === 4 * 16);
        return activeBlocksSeen(a);
      })();
      await waitUntil("B's view to include A's in-flight requests", async () => (await activeBlocksSeen(b)) === seenByA, 10_000);
      expect(metric(await scrape(b.metricsPort), "kvmesh_router_peer_reservations")).to.equal(4);
      expect(await activeBlocksSeen(isolated)).to.equal(0);

      const text = await scrape(b.metricsPort);
      const agreement = metric(text, "kvmesh_router_replica_agreement");
      expect(agreement, "agreement gauge").to.be.a("number").within(0, 1);
      expect(text).to.match(/kvmesh_router_replica_samples_total\{outcome="agree"\} [1-9]/);

      a.proc.signal("SIGKILL");
      const killedAt = Date.now();
      // Expiry sweeps 4 times per TTL: gone within 1.25 × TTL of the last refresh, plus scrape slack.
      await waitUntil("A's reservations to expire at B", async () => (await activeBlocksSeen(b)) === 0, TTL_MS * 1.25 + 2000);
      const gone = Date.now() - killedAt;
      expect(gone).to.be.at.most(TTL_MS * 1.25 + 2000);
      expect(metric(await scrape(b.metricsPort), "kvmesh_router_peer_reservations")).to.equal(0);
      const ended = await Promise.all(streams);
      expect(ended.every((r) => !Array.isArray(r)), "A's streams broke with it").to.equal(true);
    });

    if (transport === "grpc") {
      it("FollowReservations on a router with sharing off is FAILED_PRECONDITION", async () => {
        const err = await new Promise<ServiceError>((resolve) => {
          const call = isolated.client.followReservations({ followerId: "test" });
          call.on("error", resolve);
          call.on("data", () => resolve(new Error("data") as ServiceError));
        });
        expect(err.code).to.equal(GrpcStatus.FAILED_PRECONDITION);
      });

      it("SIGTERM of a followed router exits promptly: its FollowReservations streams end (OK) on drain", async () => {
        const c = await startRouterProcess(registryDir, flags);
        // A follower that ignores discovery (a peer would also drop C on deregistration): only the drain can end it.
        const call = c.client.followReservations({ followerId: "test" });
        const first = new Promise<ReservationUpdate>((resolve) => call.once("data", resolve));
        const ended = new Promise<string>((resolve) => {
          call.on("end", () => resolve("end"));
          call.on("error", (err: ServiceError) => resolve(`error ${err.code}`));
        });
        expect((await first).snapshot, "a follower gets a snapshot first").to.equal(true);
        const started = Date.now();
        c.proc.signal("SIGTERM");
        // The default shutdown grace is 10 s: a stream left open would hold the exit that long.
        expect(await c.proc.waitForExit(8000)).to.equal(0);
        expect(Date.now() - started).to.be.below(8000);
        expect(await ended).to.equal("end");
      });
    }
  });
}
