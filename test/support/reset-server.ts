/**
 * A real Router.Generate server on 127.0.0.1 for the reset-budget tests, behind a TCP proxy
 * that counts the connections clients open (each grpc-js channel's HTTP/2 session is one).
 * By request id: "long" streams a message every few ms until `finishLong()`, "end" sends one
 * message and its OK status, anything else sends one message and holds the stream open until
 * the client cancels it or `release()` ends it with OK.
 */
import * as net from "node:net";
import * as grpc from "@grpc/grpc-js";
import type { GenerateRequest, GenerateResponse } from "#contracts/gen/kvmesh/v1/common.js";
import { RouterService } from "#contracts/gen/kvmesh/v1/router.js";

type Call = grpc.ServerWritableStream<GenerateRequest, GenerateResponse>;

/** The server, its proxy and what they saw. */
export interface ResetServer {
  /** The proxy's `host:port`: dial this. */
  address: string;
  /** TCP connections accepted by the proxy. */
  connections(): number;
  /** Messages written on "long" streams so far. */
  longWritten(): number;
  /** Ends every "long" stream with OK after its next message. */
  finishLong(): void;
  /** Ends every held stream with OK. */
  release(): void;
  close(): Promise<void>;
}

const LONG_INTERVAL_MS = 5;

function message(index: number): GenerateResponse {
  return { tokenIds: [index], index, logprobs: [], workerId: "w", migrations: 0 };
}

/** Starts the server and its counting proxy. */
export async function startResetServer(): Promise<ResetServer> {
  const held = new Set<Call>();
  let longDone = false;
  let longWritten = 0;
  const server = new grpc.Server();
  server.addService(RouterService, {
    generate: (call: Call) => {
      call.on("error", () => undefined);
      if (call.request.requestId === "end") {
        call.write(message(0));
        call.end();
        return;
      }
      if (call.request.requestId === "long") {
        let i = 0;
        const timer = setInterval(() => {
          call.write(message(i++));
          longWritten++;
          if (longDone) {
            clearInterval(timer);
            call.end();
          }
        }, LONG_INTERVAL_MS);
        call.on("cancelled", () => clearInterval(timer));
        return;
      }
      call.write(message(0));
      held.add(call);
      call.on("cancelled", () => held.delete(call));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    connections++;
    const upstream = net.connect(port, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`,
    connections: () => connections,
    longWritten: () => longWritten,
    finishLong: () => void (longDone = true),
    release: () => {
      for (const call of held) call.end();
      held.clear();
    },
    close: async () => {
      server.forceShutdown();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}
