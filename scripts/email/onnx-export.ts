/**
 * Writes a sparse linear classifier as an ONNX model:
 *   probability = Sigmoid(ReduceSum(Gather(W, indices) * values, axis 1) + b)
 * Inputs are padded per batch: `indices` int32 [batch, nnz] (int32 spares callers a BigInt per index), `values` float [batch, nnz]
 * (padding uses index 0 with value 0, which adds nothing).
 */
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto'
import type { LinearModel } from './logistic.ts'

const { onnx } = onnxProto
const FLOAT = onnx.TensorProto.DataType.FLOAT
const INT64 = onnx.TensorProto.DataType.INT64
const INT32 = onnx.TensorProto.DataType.INT32

function valueInfo(name: string, elemType: number, dims: (string | number)[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  }
}

export function exportOnnx(model: LinearModel, metadata: Record<string, string>): Uint8Array {
  const weights = Buffer.from(model.weights.buffer, model.weights.byteOffset, model.weights.byteLength)
  const bias = Buffer.from(new Float32Array([model.bias]).buffer)
  const axes = Buffer.from(new BigInt64Array([1n]).buffer)
  const graph: OnnxTypes.IGraphProto = {
    name: 'email_classify_linear',
    input: [valueInfo('indices', INT32, ['batch', 'nnz']), valueInfo('values', FLOAT, ['batch', 'nnz'])],
    output: [valueInfo('probability', FLOAT, ['batch']), valueInfo('logit', FLOAT, ['batch'])],
    initializer: [
      { name: 'W', dataType: FLOAT, dims: [model.weights.length], rawData: weights },
      { name: 'b', dataType: FLOAT, dims: [1], rawData: bias },
      { name: 'axes', dataType: INT64, dims: [1], rawData: axes },
    ],
    node: [
      {
        opType: 'Gather',
        input: ['W', 'indices'],
        output: ['gathered'],
        name: 'gather',
        attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
      },
      { opType: 'Mul', input: ['gathered', 'values'], output: ['weighted'], name: 'mul' },
      {
        opType: 'ReduceSum',
        input: ['weighted', 'axes'],
        output: ['dot'],
        name: 'sum',
        attribute: [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
      },
      { opType: 'Add', input: ['dot', 'b'], output: ['logit'], name: 'add' },
      { opType: 'Sigmoid', input: ['logit'], output: ['probability'], name: 'sigmoid' },
    ],
  }
  const modelProto = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'crank scripts/email/train.ts',
    graph,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  })
  return onnx.ModelProto.encode(modelProto).finish()
}
