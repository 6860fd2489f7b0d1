/** Text table of `kvmesh model list`. */
import type { CachedModel } from "#models/hub/cache-list.js";

function size(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e3).toFixed(1)} kB`;
}

function variants(list: readonly string[]): string {
  return list.length === 0 ? "-" : list.map((v) => (v === "" ? "model.onnx" : `model_${v}.onnx`)).join(",");
}

/** One row per snapshot: model, revision(s), commit, ONNX variants, size on disk, path. */
export function formatModelList(models: readonly CachedModel[]): string {
  if (models.length === 0) return "no models in the cache (kvmesh model pull <org/name> fetches one)";
  const rows = [["MODEL", "REVISION", "COMMIT", "ONNX", "SIZE", "PATH"]];
  for (const model of models) {
    const partial = model.partialBytes > 0 ? ` (+${size(model.partialBytes)} partial)` : "";
    const snapshots = model.snapshots.length > 0 ? model.snapshots : [{ commit: "-", refs: [], variants: [], files: [] }];
    for (const snap of snapshots) {
      rows.push([model.name, snap.refs.join(",") || "-", snap.commit.slice(0, 12), variants(snap.variants), size(model.sizeBytes) + partial, model.path]);
    }
  }
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  return rows.map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]))).join("  ")).join("\n");
}
