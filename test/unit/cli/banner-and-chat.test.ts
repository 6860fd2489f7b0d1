import { expect } from "chai";
import { printable } from "../../../cli/chat.js";
import { REAL_MODEL_EXAMPLE, startupBanner } from "../../../cli/up/banner.js";

const facts = { url: "http://127.0.0.1:8000", workers: [{ id: "worker-1", port: 1234 }], logDir: "/tmp/logs", services: [], mesh: "namespace kvmesh-8000 (own)" };

describe("cli: up banner and chat output", () => {
  it("warns that kvmesh-tiny-random has random weights and shows how to serve a real hub model", () => {
    const text = startupBanner({ ...facts, model: "kvmesh-tiny-random" });
    expect(text).to.contain("kvmesh-tiny-random has random weights");
    expect(text).to.contain(REAL_MODEL_EXAMPLE);
  });

  it("says nothing of random weights for a real model", () => {
    const text = startupBanner({ ...facts, model: "stories260K" });
    expect(text).to.not.contain("random weights");
    expect(text).to.not.contain(REAL_MODEL_EXAMPLE);
  });

  it("prints model output with control characters replaced, newlines, tabs and non-ASCII text kept", () => {
    expect(printable("a\u001b[2Jb")).to.equal("a\ufffd[2Jb");
    expect(printable("\u0000\u0007\u0008\r\u007f\u0080\u009f")).to.equal("\ufffd".repeat(7));
    expect(printable("line\n\ttab é 漢字 \u00a0")).to.equal("line\n\ttab é 漢字 \u00a0");
  });
});
