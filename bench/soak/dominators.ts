/**
 * Immediate dominators of a directed graph (Cooper, Harvey and Kennedy, "A Simple, Fast
 * Dominance Algorithm"), over compact typed arrays so a heap snapshot of a few million nodes
 * fits: the dominator tree gives each object's retained size (heap-breakdown.ts).
 */

/** A graph in compressed rows: the successors of v are targets[firstEdge[v] .. firstEdge[v + 1]). */
export interface HeapGraph {
  readonly n: number;
  readonly firstEdge: Int32Array;
  readonly targets: Int32Array;
}

/** Nodes reachable from `root` in DFS postorder (the root last). */
export function postorder(g: HeapGraph, root: number): Int32Array {
  const out = new Int32Array(g.n);
  let count = 0;
  const seen = new Uint8Array(g.n);
  const stack = new Int32Array(g.n);
  const nextEdge = new Int32Array(g.n);
  let top = 0;
  stack[top++] = root;
  seen[root] = 1;
  nextEdge[root] = g.firstEdge[root];
  while (top > 0) {
    const v = stack[top - 1];
    if (nextEdge[v] < g.firstEdge[v + 1]) {
      const w = g.targets[nextEdge[v]++];
      if (seen[w] === 0) {
        seen[w] = 1;
        nextEdge[w] = g.firstEdge[w];
        stack[top++] = w;
      }
    } else {
      out[count++] = v;
      top--;
    }
  }
  return out.subarray(0, count);
}

/** The immediate dominator of every node reachable from `root` (the root's is itself); -1 for the others. */
export function dominators(g: HeapGraph, root: number): Int32Array {
  const order = postorder(g, root);
  const m = order.length;
  const po = new Int32Array(g.n).fill(-1); // node -> postorder index
  for (let i = 0; i < m; i++) po[order[i]] = i;
  // Predecessors, in postorder index space, of reachable nodes only.
  const predStart = new Int32Array(m + 1);
  for (let i = 0; i < m; i++) {
    const v = order[i];
    for (let e = g.firstEdge[v]; e < g.firstEdge[v + 1]; e++) predStart[po[g.targets[e]] + 1]++;
  }
  for (let i = 0; i < m; i++) predStart[i + 1] += predStart[i];
  const preds = new Int32Array(predStart[m]);
  const fill = predStart.slice(0, m);
  for (let i = 0; i < m; i++) {
    const v = order[i];
    for (let e = g.firstEdge[v]; e < g.firstEdge[v + 1]; e++) preds[fill[po[g.targets[e]]]++] = i;
  }
  const idom = new Int32Array(m).fill(-1);
  idom[m - 1] = m - 1;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (a < b) a = idom[a];
      while (b < a) b = idom[b];
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (let b = m - 2; b >= 0; b--) {
      let next = -1;
      for (let k = predStart[b]; k < predStart[b + 1]; k++) {
        const p = preds[k];
        if (idom[p] !== -1) next = next === -1 ? p : intersect(p, next);
      }
      if (next !== idom[b]) {
        idom[b] = next;
        changed = true;
      }
    }
  }
  const out = new Int32Array(g.n).fill(-1);
  for (let i = 0; i < m; i++) out[order[i]] = order[idom[i]];
  return out;
}
