// Which failed calls are the shared connection's fault (retried before the first message)
// and which are a server's answer (passed on).
import { expect } from "chai";
import { Metadata } from "@grpc/grpc-js";
import { isConnectionFailure } from "#common/connection-failure.js";
import { Code } from "#common/errors.js";
import { ERROR_CLASS_KEY } from "#common/grpc-errors.js";

function serviceError(code: number, details: string, errorClass?: string): Error {
  const metadata = new Metadata();
  if (errorClass) metadata.set(ERROR_CLASS_KEY, errorClass);
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata });
}

describe("isConnectionFailure", () => {
  const cases: [string, unknown, boolean][] = [
    ["UNAVAILABLE (replica gone)", serviceError(Code.UNAVAILABLE, "No connection established"), true],
    ["INTERNAL from a GOAWAY", serviceError(Code.INTERNAL, "Received RST_STREAM with code 2 triggered by internal client error: Session closed with error code 2"), true],
    ["INTERNAL from a dropped connection", serviceError(Code.INTERNAL, "Connection dropped"), true],
    ["INTERNAL from a kvmesh handler (class trailer), even with transport-like words", serviceError(Code.INTERNAL, "Session closed", "InternalError"), false],
    ["INTERNAL with other details", serviceError(Code.INTERNAL, "internal error"), false],
    ["CANCELLED", serviceError(Code.CANCELLED, "Cancelled on client"), false],
    ["INVALID_ARGUMENT", serviceError(Code.INVALID_ARGUMENT, "bad"), false],
    ["a plain Error", new Error("Session closed"), false],
    ["undefined", undefined, false],
  ];
  for (const [name, err, expected] of cases) {
    it(`${name}: ${expected}`, () => expect(isConnectionFailure(err)).to.equal(expected));
  }
});
