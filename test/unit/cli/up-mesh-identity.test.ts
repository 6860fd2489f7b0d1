// Which mesh a `kvmesh up` runs in: its own by default, another with --join, or as given.
import { expect } from "chai";
import { meshIdentity, meshLine, upRegistryDir } from "../../../cli/up/mesh-identity.js";

const home = "/home/u";

describe("up mesh identity", () => {
  it("by default each up is its own mesh, named after its HTTP port", () => {
    const a = meshIdentity({ httpPort: 8000, pid: 1, home });
    const b = meshIdentity({ httpPort: 8001, pid: 1, home });
    expect(a).to.deep.equal({ namespace: "kvmesh-8000", discoveryDir: "/home/u/.kvmesh/up/kvmesh-8000/registry", origin: "own" });
    expect(b.namespace).to.equal("kvmesh-8001");
    expect(b.discoveryDir).to.not.equal(a.discoveryDir);
    expect(meshLine(a)).to.include("--join kvmesh-8000").and.include(a.discoveryDir);
  });

  it("on an ephemeral HTTP port (0) the pid names it; port 1 still names it by port", () => {
    expect(meshIdentity({ httpPort: 0, pid: 4242, home }).namespace).to.equal("kvmesh-up-4242");
    expect(meshIdentity({ httpPort: 1, pid: 4242, home }).namespace).to.equal("kvmesh-1");
  });

  it("--join <namespace> uses that mesh's namespace and registry", () => {
    const id = meshIdentity({ join: "kvmesh-8000", httpPort: 8001, pid: 1, home });
    expect(id).to.deep.equal({ namespace: "kvmesh-8000", discoveryDir: upRegistryDir("kvmesh-8000", home), origin: "joined" });
    expect(meshLine(id)).to.include("joined");
    // Agreeing --namespace is fine; a different one is a contradiction.
    expect(meshIdentity({ join: "m", namespace: "m", httpPort: 1, pid: 1, home }).namespace).to.equal("m");
    expect(() => meshIdentity({ join: "m", namespace: "n", httpPort: 1, pid: 1, home })).to.throw(/--join m and --namespace n/);
  });

  it("--join <dir> uses that registry with --namespace (default kvmesh)", () => {
    expect(meshIdentity({ join: "/srv/reg", httpPort: 1, pid: 1, home })).to.deep.equal({ namespace: "kvmesh", discoveryDir: "/srv/reg", origin: "joined" });
    expect(meshIdentity({ join: "~/.kvmesh/registry", namespace: "x", httpPort: 1, pid: 1, home })).to.deep.equal({ namespace: "x", discoveryDir: "/home/u/.kvmesh/registry", origin: "joined" });
    expect(meshIdentity({ join: "./reg", httpPort: 1, pid: 1, home }).discoveryDir).to.match(/\/reg$/);
    expect(() => meshIdentity({ join: "/a", discoveryDir: "/b", httpPort: 1, pid: 1, home })).to.throw(/--discovery-dir/);
    expect(() => meshIdentity({ join: " ", httpPort: 1, pid: 1, home })).to.throw(/--join needs/);
  });

  it("an explicit --namespace or --discovery-dir keeps the services' defaults for the other", () => {
    expect(meshIdentity({ namespace: "n", httpPort: 8000, pid: 1, home })).to.deep.equal({ namespace: "n", discoveryDir: "/home/u/.kvmesh/registry", origin: "given" });
    expect(meshIdentity({ discoveryDir: "/d", httpPort: 8000, pid: 1, home })).to.deep.equal({ namespace: "kvmesh", discoveryDir: "/d", origin: "given" });
  });
});
