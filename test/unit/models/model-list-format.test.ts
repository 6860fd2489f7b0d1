import { expect } from "chai";
import { formatModelList } from "../../../cli/model-list-format.js";
import type { CachedModel } from "#models/hub/cache-list.js";

describe("models: kvmesh model list output", () => {
  it("says the cache is empty", () => {
    expect(formatModelList([])).to.match(/^no models in the cache/);
  });

  it("prints one aligned row per snapshot, with partial downloads", () => {
    const models: CachedModel[] = [
      {
        name: "org/a",
        path: "/hf/hub/models--org--a",
        sizeBytes: 2_500_000,
        partialBytes: 1_000,
        snapshots: [
          { commit: "a".repeat(40), refs: ["main", "v1"], files: [], variants: ["", "fp16"] },
          { commit: "b".repeat(40), refs: [], files: [], variants: [] },
        ],
      },
      { name: "org/empty", path: "/hf/hub/models--org--empty", sizeBytes: 0, partialBytes: 0, snapshots: [] },
    ];
    expect(formatModelList(models).split("\n")).to.deep.equal([
      "MODEL      REVISION  COMMIT        ONNX                        SIZE                      PATH",
      "org/a      main,v1   aaaaaaaaaaaa  model.onnx,model_fp16.onnx  2.5 MB (+1.0 kB partial)  /hf/hub/models--org--a",
      "org/a      -         bbbbbbbbbbbb  -                           2.5 MB (+1.0 kB partial)  /hf/hub/models--org--a",
      "org/empty  -         -             -                           0.0 kB                    /hf/hub/models--org--empty",
    ]);
  });
});
