/**
 * Writes ONNX ModelProto files from TypeScript, with the message types generated from onnx.proto
 * (npm `onnx-proto`, protobufjs). Only what small feed-forward classifiers need.
 */
import onnxProto from 'onnx-proto'

const { onnx } = onnxProto
type INodeProto = onnxProto.onnx.INodeProto
type ITensorProto = onnxProto.onnx.ITensorProto
type IValueInfoProto = onnxProto.onnx.IValueInfoProto
type IAttributeProto = onnxProto.onnx.IAttributeProto

export const OPSET = 13

export type AttrValue = number | number[] | string

function attribute(name: string, value: AttrValue): IAttributeProto {
  const T = onnx.AttributeProto.AttributeType
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) }
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value }
  if (Number.isInteger(value)) return { name, type: T.INT, i: value }
  return { name, type: T.FLOAT, f: value }
}

export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}): INodeProto {
  return {
    opType,
    input: inputs,
    output: outputs,
    name: outputs[0] ?? opType,
    attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
  }
}

export function floatTensor(name: string, dims: number[], data: Float32Array): ITensorProto {
  const expected = dims.reduce((a, b) => a * b, 1)
  if (expected !== data.length) throw new Error(`initializer ${name}: dims ${dims.join('×')} need ${expected} floats, got ${data.length}`)
  // raw_data is little-endian; copy so that a subarray view does not drag its whole buffer along
  const raw = new Uint8Array(data.slice().buffer)
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw }
}

export function int64Tensor(name: string, values: number[]): ITensorProto {
  return { name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: values }
}

/** A float tensor value; string dims are symbolic (e.g. the batch dimension). */
export function floatValue(name: string, dims: Array<number | string>): IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  }
}

export interface ModelSpec {
  name: string
  nodes: INodeProto[]
  initializers: ITensorProto[]
  inputs: IValueInfoProto[]
  outputs: IValueInfoProto[]
  producer: string
  docString?: string
}

export function encodeModel(spec: ModelSpec): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: spec.producer,
    producerVersion: '1',
    docString: spec.docString ?? '',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: spec.name,
      node: spec.nodes,
      initializer: spec.initializers,
      input: spec.inputs,
      output: spec.outputs,
    },
  })
  return onnx.ModelProto.encode(model).finish()
}

/** Reads a float initializer back out of an encoded model (for checks that compare runtimes). */
export function readFloatInitializers(bytes: Uint8Array): Map<string, Float32Array> {
  const model = onnx.ModelProto.decode(bytes)
  const out = new Map<string, Float32Array>()
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataType !== onnx.TensorProto.DataType.FLOAT || !t.rawData || !t.name) continue
    const raw = Uint8Array.from(t.rawData) // a copy, aligned: protobufjs hands out unaligned Buffer views
    out.set(t.name, new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4))
  }
  return out
}
