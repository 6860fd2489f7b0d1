// One process of bench:mesh's gRPC floor: a grpc-js server of one server-streaming method that
// does no work. Without an upstream it answers each call with one 8-byte message; with one
// (argv[2], host:port) it forwards the call there and relays the messages back, as a hop of
// the mesh does, minus everything the hop does besides. Prints {"port":N} when it listens.
import { credentials, makeGenericClientConstructor, Server, ServerCredentials } from "@grpc/grpc-js";
import type { ServerWritableStream } from "@grpc/grpc-js";
import { FLOOR_SERVICE } from "./grpc-floor.js";

function main(): void {
  const upstream = process.argv[2];
  const Client = makeGenericClientConstructor(FLOOR_SERVICE, "Floor");
  const client = upstream === undefined ? undefined : new Client(upstream, credentials.createInsecure());
  const answer = Buffer.alloc(8, 1);
  const server = new Server();
  server.addService(FLOOR_SERVICE, {
    Generate: (call: ServerWritableStream<Buffer, Buffer>) => {
      if (client === undefined) {
        call.write(answer);
        call.end();
        return;
      }
      const up = (client as unknown as { Generate(b: Buffer): NodeJS.ReadableStream }).Generate(call.request);
      up.on("data", (m: Buffer) => call.write(m));
      up.on("end", () => call.end());
      up.on("error", (err: Error) => call.emit("error", err));
    },
  });
  server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    process.stdout.write(`${JSON.stringify({ port })}\n`);
  });
}

main();
