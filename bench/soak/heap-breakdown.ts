/**
 * What a heap snapshot holds, grouped by kind: for each constructor (or V8 node kind for
 * strings, arrays, closures, code...) the count, self size and retained size, optionally per
 * stream in flight. Used on snapshots taken during a soak burst (issue 13: 2,000 concurrent
 * streams lift the frontend's and preprocessor's heap by 250-300 MiB) to see what a stream
 * costs. Retained sizes come from the dominator tree (weak edges ignored, as DevTools does);
 * a class's retained size counts only its outermost instances, so nested ones are not counted
 * twice.
 *   node --max-old-space-size=4096 dist/bench/soak/heap-breakdown.js --file F.heapsnapshot [--streams 2000] [--top 30]
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { defineFlags, loadServiceConfig } from "#common/config/index.js";
import { dominators, postorder } from "./dominators.js";
import type { HeapGraph } from "./dominators.js";

const FLAGS = defineFlags([
  { name: "file", type: "string", default: "", help: "the .heapsnapshot to read" },
  { name: "streams", type: "int", min: 0, default: 0, help: "streams in flight when it was taken (0: no per-stream column)" },
  { name: "top", type: "int", min: 1, default: 30, help: "rows of each table" },
]);

/** The parts of a V8 .heapsnapshot this reads. */
export interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] }; node_count: number };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** One group of nodes. */
export interface KindRow {
  readonly kind: string;
  count: number;
  selfBytes: number;
  retainedBytes: number;
}

/** The graph of a parsed snapshot (edges to node indexes, weak edges dropped) and each node's kind. */
export function readGraph(s: Snapshot): { graph: HeapGraph; kinds: string[]; kindOf: Int32Array; selfSize: Float64Array } {
  const nf = s.snapshot.meta.node_fields;
  const ef = s.snapshot.meta.edge_fields;
  const [nodeStride, edgeStride] = [nf.length, ef.length];
  const [typeAt, nameAt, selfAt, edgeCountAt] = ["type", "name", "self_size", "edge_count"].map((f) => nf.indexOf(f));
  const [edgeTypeAt, toAt] = ["type", "to_node"].map((f) => ef.indexOf(f));
  const nodeTypes = s.snapshot.meta.node_types[0];
  const weak = s.snapshot.meta.edge_types[0].indexOf("weak");
  const n = s.nodes.length / nodeStride;
  const kindIds = new Map<string, number>();
  const kindOf = new Int32Array(n);
  const selfSize = new Float64Array(n);
  const firstEdge = new Int32Array(n + 1);
  const targets: number[] = [];
  let e = 0;
  for (let i = 0; i < n; i++) {
    const base = i * nodeStride;
    const type = nodeTypes[s.nodes[base + typeAt]];
    const name = s.strings[s.nodes[base + nameAt]];
    const kind = type === "object" || type === "native" ? name : type === "closure" ? "(closure)" : type.endsWith("string") ? "(string)" : `(${type})`;
    let id = kindIds.get(kind);
    if (id === undefined) kindIds.set(kind, (id = kindIds.size));
    kindOf[i] = id;
    selfSize[i] = s.nodes[base + selfAt];
    firstEdge[i] = targets.length;
    for (let k = 0; k < s.nodes[base + edgeCountAt]; k++, e += edgeStride) {
      if (s.edges[e + edgeTypeAt] !== weak) targets.push(s.edges[e + toAt] / nodeStride);
    }
  }
  firstEdge[n] = targets.length;
  return { graph: { n, firstEdge, targets: Int32Array.from(targets) }, kinds: [...kindIds.keys()], kindOf, selfSize };
}

/** Children lists of the dominator tree (compressed rows, like HeapGraph). */
function dominatorChildren(idom: Int32Array, root: number): { first: Int32Array; child: Int32Array } {
  const n = idom.length;
  const first = new Int32Array(n + 1);
  for (let v = 0; v < n; v++) if (idom[v] >= 0 && v !== root) first[idom[v] + 1]++;
  for (let v = 0; v < n; v++) first[v + 1] += first[v];
  const child = new Int32Array(first[n]);
  const fill = first.slice(0, n);
  for (let v = 0; v < n; v++) if (idom[v] >= 0 && v !== root) child[fill[idom[v]]++] = v;
  return { first, child };
}

/**
 * Rows by kind: count and self size of every reachable node; retained size of each kind's
 * outermost instances (a walk of the dominator tree counting, per kind, the instances open above).
 */
export function breakdown(s: Snapshot): KindRow[] {
  const { graph, kinds, kindOf, selfSize } = readGraph(s);
  const root = 0;
  const idom = dominators(graph, root);
  const order = postorder(graph, root);
  // An immediate dominator is a DFS ancestor, so it comes later in postorder: one pass sums.
  const retained = Float64Array.from(selfSize);
  for (const v of order) if (v !== root) retained[idom[v]] += retained[v];
  const rows = kinds.map((kind): KindRow => ({ kind, count: 0, selfBytes: 0, retainedBytes: 0 }));
  const open = new Int32Array(kinds.length);
  const { first, child } = dominatorChildren(idom, root);
  const stack: number[] = [root];
  const next = new Int32Array(graph.n);
  for (const v of order) next[v] = first[v];
  const enter = (v: number): void => {
    const row = rows[kindOf[v]];
    row.count++;
    row.selfBytes += selfSize[v];
    if (open[kindOf[v]]++ === 0) row.retainedBytes += retained[v];
  };
  enter(root);
  while (stack.length > 0) {
    const v = stack[stack.length - 1];
    if (next[v] < first[v + 1]) {
      const w = child[next[v]++];
      enter(w);
      stack.push(w);
    } else {
      open[kindOf[v]]--;
      stack.pop();
    }
  }
  return rows.filter((r) => r.count > 0);
}

const kib = (bytes: number): string => (bytes / 1024).toFixed(1);
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

/** Markdown tables: the top kinds by self size and by retained size. */
export function breakdownMarkdown(rows: readonly KindRow[], streams: number, top: number): string {
  const per = (bytes: number): string => (streams > 0 ? ` ${kib(bytes / streams)} |` : "");
  const head = `| kind | count |${streams > 0 ? " per stream |" : ""} self MiB |${streams > 0 ? " self KiB/stream |" : ""} retained MiB |${streams > 0 ? " retained KiB/stream |" : ""}`;
  const sep = "|---|---|" + (streams > 0 ? "---|" : "") + "---|" + (streams > 0 ? "---|" : "") + "---|" + (streams > 0 ? "---|" : "");
  const line = (r: KindRow): string => `| ${r.kind.replace(/\|/g, "\\|").slice(0, 60)} | ${r.count} |${streams > 0 ? ` ${(r.count / streams).toFixed(1)} |` : ""} ${mib(r.selfBytes)} |${per(r.selfBytes)} ${mib(r.retainedBytes)} |${per(r.retainedBytes)}`;
  const total = rows.reduce((a, r) => a + r.selfBytes, 0);
  return [
    `total self size ${mib(total)} MiB${streams > 0 ? `, ${kib(total / streams)} KiB per stream (${streams} streams)` : ""}`, "",
    "By self size:", "", head, sep, ...[...rows].sort((a, b) => b.selfBytes - a.selfBytes).slice(0, top).map(line), "",
    "By retained size (outermost instances):", "", head, sep, ...[...rows].sort((a, b) => b.retainedBytes - a.retainedBytes).slice(0, top).map(line),
  ].join("\n") + "\n";
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const loaded = loadServiceConfig({ service: "bench:heap-breakdown", spec: FLAGS, argv: process.argv.slice(2), out: console.log, err: console.error });
  if (loaded.config === undefined) process.exitCode = loaded.exitCode;
  else {
    const { file, streams, top } = loaded.config;
    process.stdout.write(breakdownMarkdown(breakdown(JSON.parse(readFileSync(file, "utf8")) as Snapshot), streams, top));
  }
}
