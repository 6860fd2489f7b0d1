import { expect } from "chai";
import { buildBatchInputs } from "../../../services/worker/src/runners/onnx-batch-inputs.js";
import { halfBitsToNumber, halfToFloat32 } from "../../../services/worker/src/runners/onnx-half.js";
import { copyTokens, kvArrayLength } from "../../../services/worker/src/runners/onnx-kv-blocks.js";
import type { KvGeometry } from "../../../services/worker/src/runners/onnx-kv-blocks.js";

const geo: KvGeometry = { numBlocks: 6, blockSize: 4, numKvHeads: 2, headDim: 3 };

/** Element (head h, dim d) of a token's K/V: a value that names token, head and dim. */
const tokenValue = (token: number, h: number, d: number): number => token * 100 + h * 10 + d;

describe("paged K/V copies", () => {
  // (firstToken, count, blockIds): runs that start mid-block, span blocks, and end mid-block.
  const cases: [number, number, number[]][] = [[0, 4, [5]], [0, 10, [3, 0, 4]], [2, 7, [1, 5, 2]], [5, 1, [0, 2]], [3, 0, [4]]];
  for (const [firstToken, count, blockIds] of cases) {
    it(`scatter then gather tokens [${firstToken}, ${firstToken + count}) through blocks ${blockIds}`, () => {
      const store = new Float32Array(kvArrayLength(geo));
      const length = 12;
      const start = 1;
      const dense = new Float32Array(2 * geo.numKvHeads * length * geo.headDim);
      const span = { row: 1, length, start };
      for (let j = 0; j < count; j++) {
        for (let h = 0; h < geo.numKvHeads; h++) {
          for (let d = 0; d < geo.headDim; d++) dense[((span.row * geo.numKvHeads + h) * length + start + j) * geo.headDim + d] = tokenValue(firstToken + j, h, d);
        }
      }
      copyTokens(store, geo, blockIds, firstToken, count, dense, span, false);
      // Every token landed in its block slot, per head, in the [block, head, slot, dim] layout.
      for (let j = 0; j < count; j++) {
        const t = firstToken + j;
        const block = blockIds[Math.floor(t / geo.blockSize)];
        for (let h = 0; h < geo.numKvHeads; h++) {
          for (let d = 0; d < geo.headDim; d++) {
            expect(store[((block * geo.numKvHeads + h) * geo.blockSize + (t % geo.blockSize)) * geo.headDim + d]).to.equal(tokenValue(t, h, d));
          }
        }
      }
      const back = new Float32Array(dense.length);
      copyTokens(store, geo, blockIds, firstToken, count, back, span, true);
      expect(Array.from(back)).to.deep.equal(Array.from(dense));
    });
  }

  it("throws when the blocks do not reach a token", () => {
    const store = new Float32Array(kvArrayLength(geo));
    expect(() => copyTokens(store, geo, [0], 0, 5, new Float32Array(1000), { row: 0, length: 5, start: 0 }, true)).to.throw(RangeError, /block index 1/);
  });
});

describe("batch inputs", () => {
  it("left-pads past and new tokens; positions count only real tokens", () => {
    const inputs = buildBatchInputs([
      { newTokenIds: [7], numComputedTokens: 3, blockIds: [0], needsLogits: true },
      { newTokenIds: [4, 5, 6], numComputedTokens: 0, blockIds: [1], needsLogits: true },
      { newTokenIds: [9, 8], numComputedTokens: 1, blockIds: [2], needsLogits: false },
    ]);
    expect([inputs.pastLength, inputs.newLength]).to.deep.equal([3, 3]);
    expect(Array.from(inputs.inputIds, Number)).to.deep.equal([0, 0, 7, 4, 5, 6, 0, 9, 8]);
    expect(Array.from(inputs.positionIds, Number)).to.deep.equal([1, 1, 3, 0, 1, 2, 1, 1, 2]);
    expect(Array.from(inputs.attentionMask, Number)).to.deep.equal([1, 1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1]);
  });

  it("rejects a row without new tokens", () => {
    expect(() => buildBatchInputs([{ newTokenIds: [], numComputedTokens: 2, blockIds: [0], needsLogits: true }])).to.throw(RangeError);
  });
});

describe("half → float32", () => {
  const cases: [number, number][] = [[0x0000, 0], [0x3c00, 1], [0xc000, -2], [0x3555, 0.333251953125], [0x7bff, 65504], [0x0001, 2 ** -24], [0x7c00, Infinity], [0xfc00, -Infinity]];
  for (const [bits, value] of cases) {
    it(`0x${bits.toString(16)} → ${value}`, () => expect(halfBitsToNumber(bits)).to.equal(value));
  }
  it("NaN and a slice of an array", () => {
    expect(halfBitsToNumber(0x7e00)).to.be.NaN;
    expect(Array.from(halfToFloat32(Uint16Array.from([0x3c00, 0x4000, 0x4200]), 1, 2))).to.deep.equal([2, 3]);
  });
});
