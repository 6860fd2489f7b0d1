// The soak's heap-snapshot breakdown: dominators, retained sizes, grouping by kind.
import { expect } from "chai";
import { dominators, postorder } from "../../../bench/soak/dominators.js";
import type { HeapGraph } from "../../../bench/soak/dominators.js";
import { breakdown, breakdownMarkdown } from "../../../bench/soak/heap-breakdown.js";
import type { Snapshot } from "../../../bench/soak/heap-breakdown.js";

function graph(n: number, edges: [number, number][]): HeapGraph {
  const firstEdge = new Int32Array(n + 1);
  for (const [a] of edges) firstEdge[a + 1]++;
  for (let v = 0; v < n; v++) firstEdge[v + 1] += firstEdge[v];
  const targets = new Int32Array(edges.length);
  const fill = firstEdge.slice(0, n);
  for (const [a, b] of edges) targets[fill[a]++] = b;
  return { n, firstEdge, targets };
}

/** A V8-shaped snapshot: nodes [type, name, id, self_size, edge_count], edges [type, name_or_index, to_node]. */
function snapshot(nodes: { type: string; name: string; self: number; to: { node: number; weak?: boolean }[] }[]): Snapshot {
  const types = ["hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native", "synthetic", "concatenated string", "sliced string", "symbol", "bigint", "object shape"];
  const strings: string[] = [];
  const str = (s: string): number => (strings.includes(s) ? strings.indexOf(s) : strings.push(s) - 1);
  return {
    snapshot: {
      meta: { node_fields: ["type", "name", "id", "self_size", "edge_count"], node_types: [types], edge_fields: ["type", "name_or_index", "to_node"], edge_types: [["context", "element", "property", "internal", "hidden", "shortcut", "weak"]] },
      node_count: nodes.length,
    },
    nodes: nodes.flatMap((n, i) => [types.indexOf(n.type), str(n.name), i * 2 + 1, n.self, n.to.length]),
    edges: nodes.flatMap((n) => n.to.flatMap((t) => [t.weak ? 6 : 2, str("e"), t.node * 5])),
    strings,
  };
}

describe("heap breakdown", () => {
  it("immediate dominators: a diamond's join is dominated by the fork, a cycle by its entry, unreachable nodes by none", () => {
    //   0 → 1 → 2 → 4 ; 1 → 3 → 4 ; 4 → 5 → 4 (cycle) ; 6 unreachable → 5
    const g = graph(7, [[0, 1], [1, 2], [1, 3], [2, 4], [3, 4], [4, 5], [5, 4], [6, 5]]);
    expect([...dominators(g, 0)]).to.deep.equal([0, 0, 1, 1, 1, 4, -1]);
    expect([...postorder(g, 0)].at(-1)).to.equal(0);
    expect(postorder(g, 0).length).to.equal(6);
  });

  it("a node reached along two independent paths is dominated by the root only", () => {
    const g = graph(4, [[0, 1], [0, 2], [1, 3], [2, 3]]);
    expect([...dominators(g, 0)]).to.deep.equal([0, 0, 0, 0]);
  });

  it("groups by constructor, counts nested instances of a kind once in its retained size, and ignores weak edges", () => {
    const snap = snapshot([
      { type: "synthetic", name: "(root)", self: 0, to: [{ node: 1 }, { node: 2 }, { node: 6 }] },
      { type: "object", name: "Stream", self: 100, to: [{ node: 3 }, { node: 4 }] },
      { type: "object", name: "Stream", self: 100, to: [{ node: 5 }, { node: 1, weak: true }] },
      { type: "string", name: "abc", self: 40, to: [] },
      { type: "object", name: "Stream", self: 10, to: [{ node: 6 }] }, // nested in node 1
      { type: "concatenated string", name: "", self: 20, to: [] },
      { type: "closure", name: "onData", self: 32, to: [] }, // shared by the root and node 4
    ]);
    const rows = Object.fromEntries(breakdown(snap).map((r) => [r.kind, r]));
    expect(rows["Stream"]).to.deep.equal({ kind: "Stream", count: 3, selfBytes: 210, retainedBytes: 150 + 120 });
    expect(rows["(string)"]).to.deep.equal({ kind: "(string)", count: 2, selfBytes: 60, retainedBytes: 60 });
    expect(rows["(closure)"]).to.deep.equal({ kind: "(closure)", count: 1, selfBytes: 32, retainedBytes: 32 });
    const md = breakdownMarkdown(breakdown(snap), 2, 10);
    expect(md).to.include("total self size 0.0 MiB, 0.1 KiB per stream (2 streams)");
    expect(md).to.match(/\| Stream \| 3 \| 1\.5 \| 0\.0 \| 0\.1 \| 0\.0 \| 0\.1 \|/);
    expect(breakdownMarkdown(breakdown(snap), 0, 1)).to.not.include("per stream");
  });
});
