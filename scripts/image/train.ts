/**
 * Trains the default image.classify model on Fashion-MNIST and exports it to ONNX.
 *
 *   npm run train:image-classify [-- --epochs 12 --seed 6 --batch 64 --lr 0.001]
 *   [--schedule cosine --dropout 0.3 --smoothing 0.1 --shift 2 --conv1 48 --conv2 96]
 *
 * 5,000 images carved from the official training set (fixed seed) are the validation split: it picks
 * the epoch that is kept (early stopping) and was used to choose the hyper-parameters below. The
 * official 10k test set is touched once, at the end, for the final figure.
 *
 * The loop, data order, augmentation and AdamW optimiser are TypeScript (seeded); each step's
 * forward/backward arithmetic runs in onnxruntime-node through the graph from train-graph.ts,
 * whose gradients a test checks against the plain-TypeScript reference in cnn.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import * as ort from 'onnxruntime-node'
import {
  adamStep,
  allocParams,
  type CnnArch,
  type CnnParams,
  createAdam,
  DEFAULT_ARCH,
  initParams,
  normalise,
  PIXEL_MEAN,
  PIXEL_STD,
} from './cnn.ts'
import { exportCnnToOnnx } from './export-cnn.ts'
import {
  FASHION_MNIST_LABELS,
  type ImageSet,
  imageAt,
  loadFashionMnist,
  seededRandom,
  shuffled,
  splitTrainValidation,
} from './fashion-mnist.ts'
import { buildTrainingGraph, WEIGHT_NAMES, weightShapes } from './train-graph.ts'

const here = dirname(fileURLToPath(import.meta.url))
const modelsDir = join(here, '../../capabilities/image.classify/models')

const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '20' },
    seed: { type: 'string', default: '6' },
    batch: { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.002' },
    decay: { type: 'string', default: '0.87' },
    'weight-decay': { type: 'string', default: '0.0001' },
    validation: { type: 'string', default: '5000' },
    'max-train': { type: 'string' },
    out: { type: 'string', default: modelsDir },
    'skip-test': { type: 'boolean', default: false },
    conv1: { type: 'string', default: String(DEFAULT_ARCH.conv1.cout) },
    conv2: { type: 'string', default: String(DEFAULT_ARCH.conv2.cout) },
    hidden: { type: 'string', default: String(DEFAULT_ARCH.hidden) },
    shift: { type: 'string', default: '1' },
    // 'exp': lr·decay^epoch; 'cosine': lr·(1 + cos(π·step/steps))/2 over the whole run, per step
    schedule: { type: 'string', default: 'exp' },
    dropout: { type: 'string', default: '0' },
    smoothing: { type: 'string', default: '0' },
  },
})

const epochs = Number(args.epochs)
const seed = Number(args.seed)
const batch = Number(args.batch)
const lr0 = Number(args.lr)
const decay = Number(args.decay)
const shift = Number(args.shift)
const schedule = args.schedule
if (schedule !== 'exp' && schedule !== 'cosine') throw new Error(`--schedule: 'exp' or 'cosine', not '${schedule}'`)
const dropout = Number(args.dropout)
const smoothing = Number(args.smoothing)

const arch: CnnArch = {
  ...DEFAULT_ARCH,
  conv1: { ...DEFAULT_ARCH.conv1, cout: Number(args.conv1) },
  conv2: { ...DEFAULT_ARCH.conv2, cin: Number(args.conv1), cout: Number(args.conv2) },
  hidden: Number(args.hidden),
}
// fixed thread counts keep the floating-point reduction order, and so the run, reproducible
const sessionOptions: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 2, interOpNumThreads: 1, executionMode: 'sequential' }
const train = loadFashionMnist('train')
const split = splitTrainValidation(train.count, Number(args.validation), seed)
const trainIdx = args['max-train'] === undefined ? split.train : split.train.slice(0, Number(args['max-train']))
const rand = seededRandom(seed + 1)
const params = initParams(arch, rand)
const opt = createAdam(params.flat.length, lr0, Number(args['weight-decay']))
const stepSession = await ort.InferenceSession.create(buildTrainingGraph(arch, { dropout: dropout > 0 }), sessionOptions)
const shapes = weightShapes(arch)
const pixels = 28 * 28
const x = new Float32Array(batch * pixels)
const onehot = new Float32Array(batch * 10)
const dropMask = new Float32Array(batch * arch.hidden)
const grad = new Float32Array(params.flat.length)

function weightViews(p: CnnParams): Record<(typeof WEIGHT_NAMES)[number], Float32Array> {
  return {
    'conv1.weight': p.w1,
    'conv1.bias': p.b1,
    'conv2.weight': p.w2,
    'conv2.bias': p.b2,
    'fc1.weight': p.w3,
    'fc1.bias': p.b3,
    'fc2.weight': p.w4,
    'fc2.bias': p.b4,
  }
}

async function trainStep(): Promise<number> {
  const feeds: Record<string, ort.Tensor> = {
    image: new ort.Tensor('float32', x, [batch, 1, 28, 28]),
    onehot: new ort.Tensor('float32', onehot, [batch, 10]),
    inv_batch: new ort.Tensor('float32', new Float32Array([1 / batch]), []),
  }
  if (dropout > 0) {
    for (let i = 0; i < dropMask.length; i++) dropMask[i] = rand() < dropout ? 0 : 1 / (1 - dropout)
    feeds.drop_mask = new ort.Tensor('float32', dropMask, [batch, arch.hidden])
  }
  const views = weightViews(params)
  for (const w of WEIGHT_NAMES) feeds[w] = new ort.Tensor('float32', views[w].slice(), shapes[w])
  const out = await stepSession.run(feeds)
  let off = 0
  for (const w of WEIGHT_NAMES) {
    const g = out[`grad.${w}`]?.data as Float32Array
    grad.set(g, off)
    off += g.length
  }
  adamStep(opt, params.flat, grad)
  return (out.loss as ort.Tensor).data[0] as number
}

/** Accuracy of the exported ONNX model under onnxruntime: what the capability will run. */
async function accuracy(p: CnnParams, set: ImageSet, idx: ArrayLike<number>): Promise<number> {
  const session = await ort.InferenceSession.create(exportCnnToOnnx(p, { producer: 'eval' }), sessionOptions)
  const chunk = 500
  let correct = 0
  const xs = new Float32Array(chunk * pixels)
  for (let s = 0; s < idx.length; s += chunk) {
    const n = Math.min(chunk, idx.length - s)
    for (let b = 0; b < n; b++) normalise(imageAt(set, idx[s + b] as number), xs, b * pixels)
    const out = await session.run({ image: new ort.Tensor('float32', xs.subarray(0, n * pixels), [n, 1, 28, 28]) })
    const probs = out.probabilities?.data as Float32Array
    for (let b = 0; b < n; b++) {
      let best = 0
      for (let c = 1; c < 10; c++) if ((probs[b * 10 + c] as number) > (probs[b * 10 + best] as number)) best = c
      if (best === set.labels[idx[s + b] as number]) correct++
    }
  }
  await session.release()
  return correct / idx.length
}

console.log(
  `train ${trainIdx.length} · validation ${split.validation.length} · ${params.flat.length} parameters · seed ${seed} · ${JSON.stringify(arch)}`,
)
let best = { acc: -1, epoch: -1, weights: new Float32Array(0) }
const t0 = Date.now()
const stepsPerEpoch = Math.floor(trainIdx.length / batch)
let step = 0
for (let epoch = 0; epoch < epochs; epoch++) {
  opt.lr = lr0 * decay ** epoch
  const order = shuffled(trainIdx.length, rand)
  let lossSum = 0
  let steps = 0
  const te = Date.now()
  for (let s = 0; s + batch <= order.length; s += batch) {
    if (schedule === 'cosine') opt.lr = (lr0 * (1 + Math.cos((Math.PI * step) / (epochs * stepsPerEpoch)))) / 2
    step++
    // label smoothing: the graph's loss and gradient hold for any target distribution, not only one-hot
    onehot.fill(smoothing / 10)
    for (let b = 0; b < batch; b++) {
      const i = trainIdx[order[s + b] as number] as number
      // horizontal flips: Fashion-MNIST garments are near-symmetric, so a flip is a new valid sample
      // and small random shifts, as garments are not always centred in real photos
      const flip = rand() < 0.5
      const dx = shift === 0 ? 0 : Math.floor(rand() * (2 * shift + 1)) - shift
      const dy = shift === 0 ? 0 : Math.floor(rand() * (2 * shift + 1)) - shift
      normalise(imageAt(train, i), x, b * pixels, flip, 28, dx, dy)
      onehot[b * 10 + (train.labels[i] as number)] = 1 - smoothing + smoothing / 10
    }
    lossSum += await trainStep()
    steps++
  }
  const val = await accuracy(params, train, split.validation)
  console.log(
    `epoch ${epoch + 1}/${epochs} lr ${opt.lr.toExponential(2)} loss ${(lossSum / steps).toFixed(4)} validation ${(val * 100).toFixed(2)}% (${((Date.now() - te) / 1000).toFixed(0)} s)`,
  )
  if (val > best.acc) best = { acc: val, epoch: epoch + 1, weights: params.flat.slice() }
}
console.log(
  `best validation ${(best.acc * 100).toFixed(2)}% at epoch ${best.epoch}; training took ${((Date.now() - t0) / 1000).toFixed(0)} s`,
)
const final = allocParams(arch, best.weights)

let testAcc: number | undefined
if (!args['skip-test']) {
  const test = loadFashionMnist('test')
  testAcc = await accuracy(
    final,
    test,
    Uint32Array.from({ length: test.count }, (_, i) => i),
  )
  console.log(`TEST accuracy (ONNX model, onnxruntime CPU): ${(testAcc * 100).toFixed(2)}%`)
}

mkdirSync(args.out, { recursive: true })
const onnx = exportCnnToOnnx(final, { producer: 'crank scripts/image/train.ts', docString: `Fashion-MNIST CNN, seed ${seed}` })
writeFileSync(join(args.out, 'fashion-mnist-cnn.onnx'), onnx)
writeFileSync(join(args.out, 'fashion-mnist-labels.txt'), `${FASHION_MNIST_LABELS.join('\n')}\n`)
const manifest = {
  id: 'fashion-mnist-cnn',
  version: '1.0.0',
  description: 'Small CNN trained by the project on Fashion-MNIST (scripts/image/train.ts)',
  file: 'fashion-mnist-cnn.onnx',
  labels: 'fashion-mnist-labels.txt',
  input: { name: 'image', layout: 'NCHW', width: 28, height: 28, channels: 1 },
  output: { name: 'probabilities', softmax: false },
  preprocess: {
    resize: 'contain',
    background: [0, 0, 0],
    // Fashion-MNIST is garments cropped to their box, padded to square, light on black:
    // photos are cropped to their content and inverted when their background is light
    trim: true,
    invert: 'auto',
    scale: 1 / 255,
    mean: [PIXEL_MEAN],
    std: [PIXEL_STD],
  },
  training: {
    script: 'npm run train:image-classify',
    seed,
    arch,
    batch,
    lr: lr0,
    decay,
    shift,
    schedule,
    dropout,
    smoothing,
    weightDecay: Number(args['weight-decay']),
    epochs,
    keptEpoch: best.epoch,
    validationAccuracy: Number(best.acc.toFixed(4)),
    ...(testAcc === undefined ? {} : { testAccuracy: Number(testAcc.toFixed(4)) }),
  },
}
writeFileSync(join(args.out, 'fashion-mnist-cnn.json'), `${JSON.stringify(manifest, null, 2)}\n`)
console.log(`wrote ${join(args.out, 'fashion-mnist-cnn.onnx')} (${onnx.length} bytes)`)
console.log('now run npm run calibrate:image-classify-ood to set the out-of-distribution threshold in the manifest')
