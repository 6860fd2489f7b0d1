/**
 * The subset of onnx.proto (github.com/onnx/onnx, onnx/onnx.proto) the tiny-model generator
 * writes, as a protobufjs reflection schema. Field numbers are copied from onnx.proto; only
 * fields the generator sets are declared, which is enough for encoding.
 */
import protobuf from "protobufjs";

/** TensorProto.DataType values used here. */
export const OnnxDataType = { FLOAT: 1, INT64: 7, BOOL: 9 } as const;

/** AttributeProto.AttributeType values used here. */
export const OnnxAttributeType = { FLOAT: 1, INT: 2, TENSOR: 4, INTS: 7 } as const;

/** A TensorProto: raw little-endian data. */
export interface TensorMessage {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: number;
  readonly rawData: Uint8Array;
}

/** An AttributeProto (one of f, i, ints, t is set, as `type` says). */
export interface AttributeMessage {
  readonly name: string;
  readonly type: number;
  readonly f?: number;
  readonly i?: number;
  readonly ints?: readonly number[];
  readonly t?: TensorMessage;
}

/** A NodeProto. */
export interface NodeMessage {
  readonly name: string;
  readonly opType: string;
  readonly input: readonly string[];
  readonly output: readonly string[];
  readonly attribute: readonly AttributeMessage[];
}

/** One dimension: a fixed size or a symbolic name. */
export type DimMessage = { readonly dimValue: number } | { readonly dimParam: string };

/** A ValueInfoProto of a tensor. */
export interface ValueInfoMessage {
  readonly name: string;
  readonly type: { readonly tensorType: { readonly elemType: number; readonly shape: { readonly dim: readonly DimMessage[] } } };
}

/** A ModelProto with one graph in the default domain. */
export interface ModelMessage {
  readonly irVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly opsetImport: readonly { readonly domain: string; readonly version: number }[];
  readonly graph: {
    readonly name: string;
    readonly node: readonly NodeMessage[];
    readonly initializer: readonly TensorMessage[];
    readonly input: readonly ValueInfoMessage[];
    readonly output: readonly ValueInfoMessage[];
  };
}

const SCHEMA = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: "int64", id: 1 },
            producerName: { type: "string", id: 2 },
            producerVersion: { type: "string", id: 3 },
            graph: { type: "GraphProto", id: 7 },
            opsetImport: { rule: "repeated", type: "OperatorSetIdProto", id: 8 },
          },
        },
        OperatorSetIdProto: { fields: { domain: { type: "string", id: 1 }, version: { type: "int64", id: 2 } } },
        GraphProto: {
          fields: {
            node: { rule: "repeated", type: "NodeProto", id: 1 },
            name: { type: "string", id: 2 },
            initializer: { rule: "repeated", type: "TensorProto", id: 5 },
            input: { rule: "repeated", type: "ValueInfoProto", id: 11 },
            output: { rule: "repeated", type: "ValueInfoProto", id: 12 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: "repeated", type: "string", id: 1 },
            output: { rule: "repeated", type: "string", id: 2 },
            name: { type: "string", id: 3 },
            opType: { type: "string", id: 4 },
            attribute: { rule: "repeated", type: "AttributeProto", id: 5 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: "string", id: 1 },
            f: { type: "float", id: 2 },
            i: { type: "int64", id: 3 },
            t: { type: "TensorProto", id: 5 },
            ints: { rule: "repeated", type: "int64", id: 8 },
            type: { type: "int32", id: 20 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: "repeated", type: "int64", id: 1 },
            dataType: { type: "int32", id: 2 },
            name: { type: "string", id: 8 },
            rawData: { type: "bytes", id: 9 },
          },
        },
        ValueInfoProto: { fields: { name: { type: "string", id: 1 }, type: { type: "TypeProto", id: 2 } } },
        TypeProto: {
          fields: { tensorType: { type: "TypeProtoTensor", id: 1 } },
        },
        TypeProtoTensor: { fields: { elemType: { type: "int32", id: 1 }, shape: { type: "TensorShapeProto", id: 2 } } },
        TensorShapeProto: { fields: { dim: { rule: "repeated", type: "Dimension", id: 1 } } },
        Dimension: {
          oneofs: { value: { oneof: ["dimValue", "dimParam"] } },
          fields: { dimValue: { type: "int64", id: 1 }, dimParam: { type: "string", id: 2 } },
        },
      },
    },
  },
};

let modelType: protobuf.Type | undefined;

/** Serialises a ModelProto to the bytes of a .onnx file. */
export function encodeOnnxModel(model: ModelMessage): Uint8Array {
  modelType ??= protobuf.Root.fromJSON(SCHEMA).lookupType("onnx.ModelProto");
  return modelType.encode(modelType.fromObject(model as unknown as Record<string, unknown>)).finish();
}
