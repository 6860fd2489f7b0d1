// A one-method service's handler wrapped by InFlightCalls as the server runs it, for the
// in-flight-calls tests and their promotion probe (a process of its own).
import type { ServiceDefinition, StatusObject, UntypedServiceImplementation } from "@grpc/grpc-js";
import type { InFlightCalls } from "#common/in-flight-calls.js";

/** The callback grpc-js hands a unary handler. */
export type Callback = (error: Partial<StatusObject> | null, value?: unknown) => void;
/** A handler as grpc-js calls it. */
export type Handler<Call> = (call: Call, callback?: Callback) => unknown;

/** `handler` wrapped by `calls` (unary unless `responseStream`). */
export function wrapped<Call>(calls: InFlightCalls, handler: Handler<Call>, responseStream = false): Handler<Call> {
  const method = { path: "/test.v1.T/Call", requestStream: false, responseStream, originalName: "call" };
  const service = calls.wrapService({ call: method } as unknown as ServiceDefinition, { call: handler } as unknown as UntypedServiceImplementation);
  return service.call as unknown as Handler<Call>;
}
