/**
 * Builds an ONNX graph node by node: each `op` call appends a node with a fresh output name
 * and returns that name, so graph code reads like the computation it describes.
 */
import { OnnxAttributeType, OnnxDataType } from "./onnx-proto.js";
import type { AttributeMessage, DimMessage, NodeMessage, TensorMessage, ValueInfoMessage } from "./onnx-proto.js";

/** An attribute value: a float (`{ f }`), an int, or a list of ints. */
export type AttrValue = number | readonly number[] | { readonly f: number };

/** A dimension of a graph input or output: a size, or a symbolic name. */
export type Dim = number | string;

function attribute(name: string, value: AttrValue): AttributeMessage {
  if (typeof value === "number") return { name, type: OnnxAttributeType.INT, i: value };
  if ("f" in value) return { name, type: OnnxAttributeType.FLOAT, f: value.f };
  return { name, type: OnnxAttributeType.INTS, ints: value as readonly number[] };
}

function valueInfo(name: string, elemType: number, shape: readonly Dim[]): ValueInfoMessage {
  const dim: DimMessage[] = shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

/** Accumulates nodes, initializers and graph inputs/outputs. */
export class GraphBuilder {
  readonly nodes: NodeMessage[] = [];
  readonly initializers: TensorMessage[] = [];
  readonly inputs: ValueInfoMessage[] = [];
  readonly outputs: ValueInfoMessage[] = [];
  private counter = 0;

  /** Appends `opType(inputs)`; returns its (single) output name, or `outputName` when given. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outputName?: string): string {
    const output = outputName ?? `${opType.toLowerCase()}_${this.counter}`;
    this.nodes.push({
      name: `${opType}_${this.counter++}`,
      opType,
      input: inputs,
      output: [output],
      attribute: Object.entries(attrs).map(([name, value]) => attribute(name, value)),
    });
    return output;
  }

  /** Appends a node with several outputs (Split); returns their names. */
  opMulti(opType: string, inputs: readonly string[], count: number, attrs: Record<string, AttrValue> = {}): string[] {
    const id = this.counter++;
    const outputs = Array.from({ length: count }, (_, i) => `${opType.toLowerCase()}_${id}_${i}`);
    this.nodes.push({ name: `${opType}_${id}`, opType, input: inputs, output: outputs, attribute: Object.entries(attrs).map(([n, v]) => attribute(n, v)) });
    return outputs;
  }

  /** A float32 initializer. */
  floats(name: string, dims: readonly number[], data: Float32Array): string {
    this.initializers.push({ name, dims, dataType: OnnxDataType.FLOAT, rawData: littleEndian(data) });
    return name;
  }

  /** An int64 initializer (shapes, axes, split sizes). */
  ints(name: string, values: readonly number[]): string {
    const data = BigInt64Array.from(values, BigInt);
    this.initializers.push({ name, dims: [values.length], dataType: OnnxDataType.INT64, rawData: littleEndian(data) });
    return name;
  }

  /** An int64 scalar initializer (Range bounds). */
  intScalar(name: string, value: number): string {
    this.initializers.push({ name, dims: [], dataType: OnnxDataType.INT64, rawData: littleEndian(BigInt64Array.of(BigInt(value))) });
    return name;
  }

  /** A float32 scalar initializer. */
  scalar(name: string, value: number): string {
    this.initializers.push({ name, dims: [], dataType: OnnxDataType.FLOAT, rawData: littleEndian(Float32Array.of(value)) });
    return name;
  }

  /** Declares a graph input. */
  input(name: string, elemType: number, shape: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, shape));
    return name;
  }

  /** Declares a graph output (the value must be produced by a node of that name). */
  output(name: string, elemType: number, shape: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, shape));
  }
}

/** ONNX raw_data is little-endian whatever the host; copy byte-swapped on big-endian hosts. */
function littleEndian(data: Float32Array | BigInt64Array): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  if (new Uint8Array(Uint16Array.of(1).buffer)[0] === 1) return bytes;
  const width = data.BYTES_PER_ELEMENT;
  for (let at = 0; at < bytes.length; at += width) bytes.subarray(at, at + width).reverse();
  return bytes;
}
