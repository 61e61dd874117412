/**
 * image.classify throughput, in one run, on the same PNG-encoded Fashion-MNIST test images:
 *   - baseline: direct calls — sharp decode + normalise + onnxruntime-node `session.run` with batch 1,
 *     no job and no node (the best of 1 and 32 calls in flight);
 *   - image.classify jobs through a local node, dynamic batching off (max batch 1);
 *   - the same with dynamic batching on (max batch 32, max wait 2 ms).
 * And, to show what batching buys where inference dominates, the inference stage alone on the same
 * images already decoded: direct batch-1 `session.run` against the capability's DynamicBatcher.
 * Rounds are interleaved and the median of each is reported, as the machine is shared.
 * Targets (issue 6): node ≥ 0.9× direct batch-1; with batching ≥ 1.5×.
 */
import * as ort from 'onnxruntime-node'
import pino from 'pino'
import sharp from 'sharp'
import { DynamicBatcher } from '../capabilities/image.classify/batcher.ts'
import { createImageClassify } from '../capabilities/image.classify/create.ts'
import { readManifest } from '../capabilities/image.classify/manifest.ts'
import { imageAt, loadFashionMnist } from '../scripts/image/fashion-mnist.ts'
import { createNode } from '../src/index.ts'
import { ratio } from './stats.ts'

const N = Number(process.env.BENCH_IMAGES ?? 2000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
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

async function throughput(inFlight: number, fn: (png: Buffer) => Promise<unknown>): Promise<number> {
  let next = 0
  const t = performance.now()
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < images.length) await fn(images[next++] as Buffer)
    }),
  )
  return images.length / ((performance.now() - t) / 1000)
}

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
async function inferenceOnly(fn: (x: Float32Array) => Promise<unknown>, inFlight: number): Promise<number> {
  let next = 0
  const t = performance.now()
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < tensors.length) await fn(tensors[next++] as Float32Array)
    }),
  )
  return tensors.length / ((performance.now() - t) / 1000)
}
const runOne = (x: Float32Array) => session.run({ image: new ort.Tensor('float32', x, [1, 1, 28, 28]) })

const results: Record<string, number[]> = { direct1: [], direct32: [], nodeOff: [], nodeOn: [], infer1: [], inferBatched: [] }
// warm-up: load models, JIT, thread pools
await throughput(8, direct)
await throughput(32, job(0))
await throughput(64, job(1))
for (let r = 0; r < ROUNDS; r++) {
  results.direct1?.push(await throughput(1, direct))
  results.direct32?.push(await throughput(32, direct))
  results.nodeOff?.push(await throughput(32, job(0)))
  results.nodeOn?.push(await throughput(64, job(1)))
  results.infer1?.push(await inferenceOnly(runOne, 1))
  results.inferBatched?.push(await inferenceOnly((x) => batcher.submit(x), 64))
}
const median = (v: number[] | undefined): number => {
  const s = [...(v ?? [])].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}
const d1 = median(results.direct1)
const d32 = median(results.direct32)
const base = Math.max(d1, d32)
const off = median(results.nodeOff)
const on = median(results.nodeOn)
const stats = batched.store
const loaded = await stats.get('fashion-mnist-cnn')
console.log(
  `image.classify, ${N} PNG images (28×28 Fashion-MNIST), median of ${ROUNDS} interleaved rounds, ${ort.env.versions.node ? `onnxruntime-node ${ort.env.versions.node}` : ''} CPU`,
)
console.log(`  direct sharp + ort batch-1, 1 in flight      ${d1.toFixed(0).padStart(6)} images/s`)
console.log(`  direct sharp + ort batch-1, 32 in flight     ${d32.toFixed(0).padStart(6)} images/s`)
console.log(
  `  node jobs, batching off (32 in flight)       ${off.toFixed(0).padStart(6)} jobs/s   ${ratio(off, base)} direct batch-1 (target ≥ 0.9×)`,
)
console.log(
  `  node jobs, batching 32/2 ms (64 in flight)   ${on.toFixed(0).padStart(6)} jobs/s   ${ratio(on, base)} direct batch-1 (target ≥ 1.5×)`,
)
const i1 = median(results.infer1)
const ib = median(results.inferBatched)
console.log(`  inference only: direct ort batch-1            ${i1.toFixed(0).padStart(6)} images/s`)
console.log(`  inference only: DynamicBatcher 32/2 ms        ${ib.toFixed(0).padStart(6)} images/s   ${ratio(ib, i1)} direct batch-1`)
console.log(`  mean batch size with batching on: ${(loaded.batcher.samples / Math.max(1, loaded.batcher.batches)).toFixed(1)}`)
console.log(`  rounds: ${JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.map((x) => Math.round(x))])))}`)
for (const node of nodes) await node.stop()
await unbatched.close()
await batched.close()
await session.release()
