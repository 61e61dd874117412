/**
 * The CNN's training step as an ONNX graph: forward pass, softmax cross-entropy, and the
 * hand-derived backward pass, so that onnxruntime-node's CPU kernels do the heavy arithmetic
 * while the training loop and the optimiser stay in TypeScript. A pure-JS loop (cnn.ts) costs
 * about 10 ms per image on this machine, too slow for several epochs of 55k images; this graph
 * is the same maths (the test compares its gradients with cnn.ts) at native speed.
 *
 * Inputs: image [B,1,28,28], onehot [B,10], inv_batch [] (1/B), and every weight tensor.
 * Outputs: loss [], logits [B,10], and grad.<weight> for every weight.
 *
 * Backward rules used (valid, stride-1 convolutions; 2×2 max-pool):
 *   conv dW = Conv(Xᵀ, dYᵀ)ᵀ with batch and channel axes swapped; conv dX = ConvTranspose(dY, W);
 *   max-pool dX = ScatterElements of dY at the pool's argmax indices; ReLU dX = dY · [y > 0].
 */
import { type CnnArch, flatSize } from './cnn.ts'
import { encodeModel, floatTensor, floatValue, int64Tensor, node } from './onnx-builder.ts'

export const WEIGHT_NAMES = [
  'conv1.weight',
  'conv1.bias',
  'conv2.weight',
  'conv2.bias',
  'fc1.weight',
  'fc1.bias',
  'fc2.weight',
  'fc2.bias',
] as const

export function weightShapes(a: CnnArch): Record<(typeof WEIGHT_NAMES)[number], number[]> {
  const { conv1: c1, conv2: c2 } = a
  return {
    'conv1.weight': [c1.cout, c1.cin, c1.k, c1.k],
    'conv1.bias': [c1.cout],
    'conv2.weight': [c2.cout, c2.cin, c2.k, c2.k],
    'conv2.bias': [c2.cout],
    'fc1.weight': [a.hidden, flatSize(a)],
    'fc1.bias': [a.hidden],
    'fc2.weight': [a.classes, a.hidden],
    'fc2.bias': [a.classes],
  }
}

/**
 * `dropout`: the graph takes one more input, `drop_mask` [B, hidden] (0 or 1/(1−p), drawn by the
 * seeded TypeScript loop), which multiplies the hidden layer's activations (inverted dropout, so
 * the exported inference graph needs no change).
 */
export function buildTrainingGraph(a: CnnArch, opts: { dropout?: boolean } = {}): Uint8Array {
  const drop = opts.dropout === true
  const hid = drop ? 'hd' : 'hr'
  const pool = { kernel_shape: [2, 2], strides: [2, 2] }
  const swap01 = { perm: [1, 0, 2, 3] }
  const n = node
  const shapes = weightShapes(a)
  const nodes = [
    // forward
    n('Conv', ['image', 'conv1.weight', 'conv1.bias'], ['c1'], { kernel_shape: [a.conv1.k, a.conv1.k] }),
    n('Relu', ['c1'], ['r1']),
    n('MaxPool', ['r1'], ['p1', 'i1'], pool),
    n('Conv', ['p1', 'conv2.weight', 'conv2.bias'], ['c2'], { kernel_shape: [a.conv2.k, a.conv2.k] }),
    n('Relu', ['c2'], ['r2']),
    n('MaxPool', ['r2'], ['p2', 'i2'], pool),
    n('Flatten', ['p2'], ['f'], { axis: 1 }),
    n('Gemm', ['f', 'fc1.weight', 'fc1.bias'], ['h'], { transB: 1 }),
    n('Relu', ['h'], ['hr']),
    ...(drop ? [n('Mul', ['hr', 'drop_mask'], ['hd'])] : []),
    n('Gemm', [hid, 'fc2.weight', 'fc2.bias'], ['logits'], { transB: 1 }),
    // loss = -Σ onehot·log softmax / B
    n('LogSoftmax', ['logits'], ['ls'], { axis: 1 }),
    n('Mul', ['onehot', 'ls'], ['oh_ls']),
    n('ReduceSum', ['oh_ls'], ['sum_ls'], { keepdims: 0 }),
    n('Mul', ['sum_ls', 'inv_batch'], ['neg_loss']),
    n('Neg', ['neg_loss'], ['loss']),
    // dlogits = (softmax − onehot) / B
    n('Softmax', ['logits'], ['sm'], { axis: 1 }),
    n('Sub', ['sm', 'onehot'], ['dz0']),
    n('Mul', ['dz0', 'inv_batch'], ['dz']),
    // fc2
    n('Gemm', ['dz', hid], ['grad.fc2.weight'], { transA: 1 }),
    n('ReduceSum', ['dz', 'axes_0'], ['grad.fc2.bias'], { keepdims: 0 }),
    ...(drop
      ? [n('MatMul', ['dz', 'fc2.weight'], ['dhd']), n('Mul', ['dhd', 'drop_mask'], ['dhr'])]
      : [n('MatMul', ['dz', 'fc2.weight'], ['dhr'])]),
    // relu + fc1
    n('Greater', ['h', 'zero'], ['h_on']),
    n('Cast', ['h_on'], ['h_mask'], { to: 1 }),
    n('Mul', ['dhr', 'h_mask'], ['dh']),
    n('Gemm', ['dh', 'f'], ['grad.fc1.weight'], { transA: 1 }),
    n('ReduceSum', ['dh', 'axes_0'], ['grad.fc1.bias'], { keepdims: 0 }),
    n('MatMul', ['dh', 'fc1.weight'], ['df']),
    // unflatten, max-pool 2 backward
    n('Shape', ['p2'], ['p2_shape']),
    n('Reshape', ['df', 'minus1'], ['dp2_flat']),
    n('Reshape', ['i2', 'minus1'], ['i2_flat']),
    n('Shape', ['r2'], ['r2_shape']),
    n('ConstantOfShape', ['r2_size'], ['r2_zeros']),
    n('ScatterElements', ['r2_zeros', 'i2_flat', 'dp2_flat'], ['dr2_flat'], { axis: 0 }),
    n('Reshape', ['dr2_flat', 'r2_shape'], ['dr2']),
    n('Greater', ['c2', 'zero'], ['c2_on']),
    n('Cast', ['c2_on'], ['c2_mask'], { to: 1 }),
    n('Mul', ['dr2', 'c2_mask'], ['dc2']),
    // conv2
    n('ReduceSum', ['dc2', 'axes_023'], ['grad.conv2.bias'], { keepdims: 0 }),
    n('Transpose', ['p1'], ['p1_t'], swap01),
    n('Transpose', ['dc2'], ['dc2_t'], swap01),
    n('Conv', ['p1_t', 'dc2_t'], ['gw2_t']),
    n('Transpose', ['gw2_t'], ['grad.conv2.weight'], swap01),
    n('ConvTranspose', ['dc2', 'conv2.weight'], ['dp1'], { kernel_shape: [a.conv2.k, a.conv2.k] }),
    // max-pool 1 backward
    n('Reshape', ['dp1', 'minus1'], ['dp1_flat']),
    n('Reshape', ['i1', 'minus1'], ['i1_flat']),
    n('Shape', ['r1'], ['r1_shape']),
    n('ConstantOfShape', ['r1_size'], ['r1_zeros']),
    n('ScatterElements', ['r1_zeros', 'i1_flat', 'dp1_flat'], ['dr1_flat'], { axis: 0 }),
    n('Reshape', ['dr1_flat', 'r1_shape'], ['dr1']),
    n('Greater', ['c1', 'zero'], ['c1_on']),
    n('Cast', ['c1_on'], ['c1_mask'], { to: 1 }),
    n('Mul', ['dr1', 'c1_mask'], ['dc1']),
    // conv1
    n('ReduceSum', ['dc1', 'axes_023'], ['grad.conv1.bias'], { keepdims: 0 }),
    n('Transpose', ['image'], ['x_t'], swap01),
    n('Transpose', ['dc1'], ['dc1_t'], swap01),
    n('Conv', ['x_t', 'dc1_t'], ['gw1_t']),
    n('Transpose', ['gw1_t'], ['grad.conv1.weight'], swap01),
    // flattened element counts, for ConstantOfShape
    n('Size', ['r2'], ['r2_numel']),
    n('Reshape', ['r2_numel', 'one_dim'], ['r2_size']),
    n('Size', ['r1'], ['r1_numel']),
    n('Reshape', ['r1_numel', 'one_dim'], ['r1_size']),
  ]
  return encodeModel({
    name: 'cnn_training_step',
    producer: 'crank scripts/image/train-graph.ts',
    inputs: [
      floatValue('image', ['batch', a.conv1.cin, a.inputSize, a.inputSize]),
      floatValue('onehot', ['batch', a.classes]),
      floatValue('inv_batch', []),
      ...(drop ? [floatValue('drop_mask', ['batch', a.hidden])] : []),
      ...WEIGHT_NAMES.map((w) => floatValue(w, shapes[w])),
    ],
    outputs: [
      floatValue('loss', []),
      floatValue('logits', ['batch', a.classes]),
      ...WEIGHT_NAMES.map((w) => floatValue(`grad.${w}`, shapes[w])),
    ],
    initializers: [
      floatTensor('zero', [], new Float32Array([0])),
      int64Tensor('axes_0', [0]),
      int64Tensor('axes_023', [0, 2, 3]),
      int64Tensor('minus1', [-1]),
      int64Tensor('one_dim', [1]),
    ],
    nodes,
  })
}
