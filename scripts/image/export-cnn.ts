/** Exports the TypeScript CNN (cnn.ts) to an ONNX graph with the same operators, weights and layout. */
import { type CnnParams, flatSize } from './cnn.ts'
import { encodeModel, floatTensor, floatValue, node } from './onnx-builder.ts'

export function exportCnnToOnnx(p: CnnParams, meta: { producer: string; docString?: string }): Uint8Array {
  const a = p.arch
  const { conv1: c1, conv2: c2 } = a
  const pool = { kernel_shape: [2, 2], strides: [2, 2] }
  return encodeModel({
    name: 'fashion_mnist_cnn',
    producer: meta.producer,
    ...(meta.docString === undefined ? {} : { docString: meta.docString }),
    inputs: [floatValue('image', ['batch', c1.cin, a.inputSize, a.inputSize])],
    // logits too: the energy OOD score needs the scale that softmax removes
    outputs: [floatValue('probabilities', ['batch', a.classes]), floatValue('logits', ['batch', a.classes])],
    initializers: [
      floatTensor('conv1.weight', [c1.cout, c1.cin, c1.k, c1.k], p.w1),
      floatTensor('conv1.bias', [c1.cout], p.b1),
      floatTensor('conv2.weight', [c2.cout, c2.cin, c2.k, c2.k], p.w2),
      floatTensor('conv2.bias', [c2.cout], p.b2),
      floatTensor('fc1.weight', [a.hidden, flatSize(a)], p.w3),
      floatTensor('fc1.bias', [a.hidden], p.b3),
      floatTensor('fc2.weight', [a.classes, a.hidden], p.w4),
      floatTensor('fc2.bias', [a.classes], p.b4),
    ],
    nodes: [
      node('Conv', ['image', 'conv1.weight', 'conv1.bias'], ['conv1'], { kernel_shape: [c1.k, c1.k] }),
      node('Relu', ['conv1'], ['relu1']),
      node('MaxPool', ['relu1'], ['pool1'], pool),
      node('Conv', ['pool1', 'conv2.weight', 'conv2.bias'], ['conv2'], { kernel_shape: [c2.k, c2.k] }),
      node('Relu', ['conv2'], ['relu2']),
      node('MaxPool', ['relu2'], ['pool2'], pool),
      node('Flatten', ['pool2'], ['flat'], { axis: 1 }),
      node('Gemm', ['flat', 'fc1.weight', 'fc1.bias'], ['fc1'], { transB: 1 }),
      node('Relu', ['fc1'], ['relu3']),
      node('Gemm', ['relu3', 'fc2.weight', 'fc2.bias'], ['logits'], { transB: 1 }),
      node('Softmax', ['logits'], ['probabilities'], { axis: 1 }),
    ],
  })
}
