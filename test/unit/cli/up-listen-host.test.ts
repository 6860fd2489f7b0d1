import { expect } from "chai";
import { listenHost } from "../../../cli/up/up-flags.js";

describe("cli: up --listen host", () => {
  const cases: Array<[string, string]> = [
    ["127.0.0.1:0", "127.0.0.1"],
    ["127.0.0.1", "127.0.0.1"], // a bare host was cut to "127.0.0." (start-up failed: dns:127.0.0.:0)
    ["0.0.0.0:8000", "0.0.0.0"],
    ["localhost:", "localhost"],
    ["[::1]:0", "[::1]"],
    ["[::1]", "[::1]"],
    ["", "127.0.0.1"],
  ];
  for (const [given, host] of cases) {
    it(`${JSON.stringify(given)} → ${host}`, () => expect(listenHost(given)).to.equal(host));
  }
});
