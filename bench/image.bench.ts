/**
 * image.classify throughput, on the same PNG-encoded Fashion-MNIST test images, each round interleaved:
 *   - baseline: direct calls, with no job and no node: sharp decode + normalise + onnxruntime-node
 *     `session.run` with batch 1, at 1 and at 32 calls in flight; the better of the two in each round
 *     is the round's baseline;
 *   - image.classify jobs through a local node, dynamic batching off (max batch 1, 32 in flight);
 *   - the same with dynamic batching on (max batch 32, max wait 2 ms, 64 in flight).
 * And, to show what batching buys where inference dominates, the inference stage alone on the same
 * images already decoded: direct batch-1 `session.run` against the capability's DynamicBatcher.
 */
import * as ort from 'onnxruntime-node'
import pino from 'pino'
import sharp from 'sharp'
import { DynamicBatcher } from '../capabilities/image.classify/batcher.ts'
import { createImageClassify } from '../capabilities/image.classify/create.ts'
import { readManifest } from '../capabilities/image.classify/manifest.ts'
import { imageAt, loadFashionMnist } from '../scripts/image/fashion-mnist.ts'
import { createNode } from '../src/index.ts'
import { drain, envNumber, interleave, printHeader, printRatio, printValue, Results } from './stats.ts'

const N = envNumber('BENCH_IMAGES', 600, { integer: true })
const manifestPath = new URL('../capabilities/image.classify/models/fashion-mnist-cnn.json', import.meta.url).pathname
const m = readManifest(manifestPath)
const test = loadFashionMnist('test')
const images = await Promise.all(
  Array.from({ length: N }, (_, i) =>
    sharp(Buffer.from(imageAt(test, i)), { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toBuffer(),
  ),
)

// the same session options as the capability's, so that the ratio measures the node and batching
const session = await ort.InferenceSession.create(m.modelPath, {
  graphOptimizationLevel: 'all',
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
})
const mean = m.preprocess.mean[0] as number
const std = m.preprocess.std[0] as number
async function direct(png: Buffer): Promise<number> {
  const { data } = await sharp(png).greyscale().resize(28, 28, { fit: 'contain' }).raw().toBuffer({ resolveWithObject: true })
  const x = new Float32Array(784)
  for (let p = 0; p < 784; p++) x[p] = ((data[p] as number) / 255 - mean) / std
  const out = await session.run({ image: new ort.Tensor('float32', x, [1, 1, 28, 28]) })
  return (out.probabilities as ort.Tensor).data.length
}

const throughput = (inFlight: number, fn: (png: Buffer) => Promise<unknown>): Promise<number> => drain(images, inFlight, fn)

const quiet = pino({ level: 'silent' })
const unbatched = await createImageClassify({ providers: ['cpu'], batching: { maxBatch: 1 }, log: quiet })
const batched = await createImageClassify({ providers: ['cpu'], batching: { maxBatch: 32, maxWaitMs: 2 }, log: quiet })
const nodes = await Promise.all(
  [unbatched, batched].map(async (ic, k) => {
    const node = await createNode({
      capabilities: [ic.capability],
      transports: ['memory'],
      listen: [`/memory/image-bench-${k}`],
      logLevel: 'silent',
      trust: { openMesh: true },
    })
    await node.start()
    return node
  }),
)
const job = (k: number) => async (png: Buffer) => {
  const r = await (nodes[k] as (typeof nodes)[number]).submit({
    capability: 'image.classify@^1',
    params: { top_k: 1 },
    input: png,
    route: 'local',
  }).result
  return r.value
}

// inference stage alone: the same images, decoded once up front
const tensors = await Promise.all(
  images.map(async (png) => {
    const { data } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true })
    return Float32Array.from(data, (v) => (v / 255 - mean) / std)
  }),
)
const batcher = new DynamicBatcher(
  async (x, n) => (await session.run({ image: new ort.Tensor('float32', x, [n, 1, 28, 28]) })).probabilities?.data as Float32Array,
  784,
  10,
  { maxBatch: 32, maxWaitMs: 2, maxInFlight: 1 },
)
const inferenceOnly = (fn: (x: Float32Array) => Promise<unknown>, inFlight: number): Promise<number> => drain(tensors, inFlight, fn)
const runOne = (x: Float32Array) => session.run({ image: new ort.Tensor('float32', x, [1, 1, 28, 28]) })

// warm-up: load models, JIT, thread pools
await throughput(8, direct)
await throughput(32, job(0))
await throughput(64, job(1))
const res = new Results()
await interleave([
  // One step for both direct runs, so that each round's baseline is the better of that round's two.
  async () => res.record('direct', Math.max(await throughput(1, direct), await throughput(32, direct))),
  async () => res.record('nodeOff', await throughput(32, job(0))),
  async () => res.record('nodeOn', await throughput(64, job(1))),
  async () => res.record('infer1', await inferenceOnly(runOne, 1)),
  async () => res.record('inferBatched', await inferenceOnly((x) => batcher.submit(x), 64)),
])
const loaded = await batched.store.get('fashion-mnist-cnn')
printHeader(`image.classify: ${N} PNG images (28×28 Fashion-MNIST), onnxruntime-node ${ort.env.versions.node ?? ''} CPU, images/s`)
const names = { baseName: 'direct' }
printValue('baseline: direct sharp + ort batch-1, the better of 1 and 32 in flight', res.get('direct'))
printRatio('node jobs, batching off (32 in flight)', res.get('nodeOff'), res.get('direct'), { ...names, crankName: 'jobs' })
printRatio('node jobs, batching 32 / 2 ms (64 in flight)', res.get('nodeOn'), res.get('direct'), { ...names, crankName: 'jobs' })
printRatio('inference only: DynamicBatcher 32 / 2 ms against direct ort batch-1', res.get('inferBatched'), res.get('infer1'), {
  crankName: 'batcher',
  baseName: 'batch-1',
})
console.log(`  mean batch size with batching on: ${(loaded.batcher.samples / Math.max(1, loaded.batcher.batches)).toFixed(1)}`)
for (const node of nodes) await node.stop()
await unbatched.close()
await batched.close()
await session.release()
