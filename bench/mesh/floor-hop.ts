// One process of a gRPC floor: a grpc-js server that does no work.
// - bench:mesh (grpc-floor.ts): one server-streaming method. Without an upstream it answers
//   each call with one 8-byte message; with one (argv[2], host:port) it forwards the call there
//   and relays the message back, ending its call with it, as a hop of the mesh does with a last
//   message, minus everything the hop does besides.
// - bench:router: `--unary PATH REPLY_BASE64` serves one unary method at PATH answering every
//   call with those bytes (Route's own reply), so the same client, channel and request bytes
//   measure what a Route call costs when the server does nothing.
// Prints {"port":N} when it listens.
import { Server, ServerCredentials } from "@grpc/grpc-js";
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream, ServiceDefinition, UntypedServiceImplementation } from "@grpc/grpc-js";
import { FLOOR_SERVICE, FLOOR_UNARY_ARG, floorClient, floorUnaryService } from "./grpc-floor.js";

/** The streaming floor: answer, or relay to `upstream`. */
function streamingFloor(upstream: string | undefined): UntypedServiceImplementation {
  const client = upstream === undefined ? undefined : floorClient(upstream);
  const answer = Buffer.alloc(8, 1);
  return {
    Generate: (call: ServerWritableStream<Buffer, Buffer>) => {
      if (client === undefined) {
        call.write(answer);
        call.end();
        return;
      }
      const up = client.Generate(call.request);
      // A floor call carries one message, so it is the last: the hop ends its own call with it,
      // not after the upstream's status, as the mesh's hops do (call-stream.ts reads the status
      // in the background once the last message is in).
      up.once("data", (m: Buffer) => {
        call.write(m);
        call.end();
      });
      up.on("error", (err: Error) => {
        if (!call.writableEnded) call.emit("error", err);
      });
    },
  };
}

/** The unary floor: every call answered with `reply`. */
function unaryFloor(reply: Buffer): UntypedServiceImplementation {
  return { Call: (_call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => callback(null, reply) };
}

function main(): void {
  const unary = process.argv[2] === FLOOR_UNARY_ARG;
  const definition: ServiceDefinition = unary ? floorUnaryService(process.argv[3]) : FLOOR_SERVICE;
  const implementation = unary ? unaryFloor(Buffer.from(process.argv[4] ?? "", "base64")) : streamingFloor(process.argv[2]);
  const server = new Server();
  server.addService(definition, implementation);
  server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    process.stdout.write(`${JSON.stringify({ port })}\n`);
  });
}

main();
