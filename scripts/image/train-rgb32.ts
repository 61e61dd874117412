/**
 * Builds the second, deliberately different model: a linear softmax classifier over 32×32 RGB
 * pixels in NHWC layout, with logits as output and mean/std of 0.5. It exists to prove that
 * image.classify's preprocessing follows the manifest (size, channels, layout, normalisation,
 * softmax) rather than the default model's shape. Being linear over raw positions, it scores at
 * chance if the layout is wrong.
 *
 *   npm run train:image-classify-rgb32
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { adamStep, createAdam } from './cnn.ts'
import {
  FASHION_MNIST_LABELS,
  type ImageSet,
  imageAt,
  loadFashionMnist,
  seededRandom,
  shuffled,
  splitTrainValidation,
} from './fashion-mnist.ts'
import { encodeModel, floatTensor, floatValue, node } from './onnx-builder.ts'

const here = dirname(fileURLToPath(import.meta.url))
const outDir = join(here, '../../capabilities/image.classify/examples/fashion-rgb32-nhwc')
const SIZE = 32
const D = SIZE * SIZE * 3
const C = 10
const SEED = 32
const TRAIN = 20000
const EPOCHS = 6

/** The manifest's preprocessing, done the same way the capability does it: sharp resize `fill`, sRGB, (v/255 − 0.5)/0.5, NHWC. */
async function features(set: ImageSet, idx: ArrayLike<number>): Promise<Float32Array> {
  const out = new Float32Array(idx.length * D)
  for (let s = 0; s < idx.length; s++) {
    const raw = await sharp(Buffer.from(imageAt(set, idx[s] as number)), { raw: { width: 28, height: 28, channels: 1 } })
      .resize(SIZE, SIZE, { fit: 'fill' })
      .toColourspace('srgb')
      .raw()
      .toBuffer()
    for (let i = 0; i < D; i++) out[s * D + i] = ((raw[i] as number) / 255 - 0.5) / 0.5
  }
  return out
}

function logits(w: Float32Array, b: Float32Array, x: Float32Array, off: number, z: Float32Array): void {
  for (let c = 0; c < C; c++) {
    let s = b[c] as number
    for (let i = 0; i < D; i++) s += (w[c * D + i] as number) * (x[off + i] as number)
    z[c] = s
  }
}

const train = loadFashionMnist('train')
const split = splitTrainValidation(train.count, 5000, SEED)
const trainIdx = split.train.slice(0, TRAIN)
const xTrain = await features(train, trainIdx)
const xVal = await features(train, split.validation)
const params = new Float32Array(C * D + C)
const w = params.subarray(0, C * D)
const b = params.subarray(C * D)
const grad = new Float32Array(params.length)
const opt = createAdam(params.length, 0.001)
const rand = seededRandom(SEED)
const z = new Float32Array(C)
const batch = 32
for (let epoch = 0; epoch < EPOCHS; epoch++) {
  const order = shuffled(trainIdx.length, rand)
  for (let s = 0; s + batch <= order.length; s += batch) {
    grad.fill(0)
    for (let k = 0; k < batch; k++) {
      const j = order[s + k] as number
      logits(w, b, xTrain, j * D, z)
      let max = Number.NEGATIVE_INFINITY
      for (const v of z) max = Math.max(max, v)
      let sum = 0
      for (let c = 0; c < C; c++) sum += Math.exp((z[c] as number) - max)
      const y = train.labels[trainIdx[j] as number] as number
      for (let c = 0; c < C; c++) {
        const g = (Math.exp((z[c] as number) - max) / sum - (c === y ? 1 : 0)) / batch
        grad[C * D + c] = (grad[C * D + c] as number) + g
        for (let i = 0; i < D; i++) grad[c * D + i] = (grad[c * D + i] as number) + g * (xTrain[j * D + i] as number)
      }
    }
    adamStep(opt, params, grad)
  }
  let correct = 0
  for (let j = 0; j < split.validation.length; j++) {
    logits(w, b, xVal, j * D, z)
    let best = 0
    for (let c = 1; c < C; c++) if ((z[c] as number) > (z[best] as number)) best = c
    if (best === train.labels[split.validation[j] as number]) correct++
  }
  console.log(`epoch ${epoch + 1}/${EPOCHS} validation ${((100 * correct) / split.validation.length).toFixed(2)}%`)
}

const onnx = encodeModel({
  name: 'fashion_rgb32_nhwc_linear',
  producer: 'crank scripts/image/train-rgb32.ts',
  inputs: [floatValue('pixels', ['n', SIZE, SIZE, 3])],
  outputs: [floatValue('logits', ['n', C])],
  initializers: [floatTensor('weight', [C, D], w), floatTensor('bias', [C], b)],
  nodes: [node('Flatten', ['pixels'], ['flat'], { axis: 1 }), node('Gemm', ['flat', 'weight', 'bias'], ['logits'], { transB: 1 })],
})
mkdirSync(outDir, { recursive: true })
writeFileSync(join(outDir, 'fashion-rgb32-nhwc.onnx'), onnx)
const manifest = {
  id: 'fashion-rgb32-nhwc',
  version: '1.0.0',
  description: 'Test model: linear classifier on 32×32 RGB NHWC pixels, logits output (scripts/image/train-rgb32.ts)',
  file: 'fashion-rgb32-nhwc.onnx',
  labels: [...FASHION_MNIST_LABELS],
  input: { name: 'pixels', layout: 'NHWC', width: SIZE, height: SIZE, channels: 3 },
  output: { name: 'logits', softmax: true },
  preprocess: { resize: 'fill', background: [0, 0, 0], scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
  training: { script: 'npm run train:image-classify-rgb32', seed: SEED, trainImages: TRAIN, epochs: EPOCHS },
}
writeFileSync(join(outDir, 'fashion-rgb32-nhwc.json'), `${JSON.stringify(manifest, null, 2)}\n`)
console.log(`wrote ${outDir} (${onnx.length} bytes)`)
