/**
 * Sends the official Fashion-MNIST test set (10,000 images, PNG-encoded) through a Crank node as
 * image.classify jobs — the path users take — and prints accuracy, per-class accuracy and the
 * confusion matrix. Then, in-process:
 *   - letterboxed garments (300×200 RGB JPEG, light-on-dark and dark-on-light): accuracy with the
 *     preprocessing of image.classify 1.0 (no trim, no invert) against the manifest's;
 *   - the out-of-distribution flag: how often Fashion-MNIST test images are flagged (false
 *     negatives of "in distribution") and how often outside photos from Debian packages
 *     (outside-photos.ts) are not (false positives), for the energy score the manifest uses and
 *     for max-softmax at the same validation TPR.
 *
 *   npm run eval:image-classify [-- --model fashion-mnist-cnn --in-flight 64 --limit 10000 --letterbox-limit 2000 --skip letterbox,ood]
 */

import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pino from 'pino'
import sharp from 'sharp'
import { BUILTIN_MODELS_DIR, createImageClassify, type ImageClassifyResult } from '../../capabilities/image.classify/create.ts'
import { readManifest } from '../../capabilities/image.classify/manifest.ts'
import { createNode } from '../../src/index.ts'
import { classifyAll } from './classify-all.ts'
import { FASHION_MNIST_LABELS, imageAt, loadFashionMnist } from './fashion-mnist.ts'
import { LETTERBOX, letterboxed } from './letterbox.ts'
import { writeVariant } from './manifest-variant.ts'
import { loadOutsideImages } from './outside-photos.ts'

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'fashion-mnist-cnn' },
    'in-flight': { type: 'string', default: '64' },
    limit: { type: 'string' },
    skip: { type: 'string', default: '' },
    'letterbox-limit': { type: 'string' },
  },
})
const skip = new Set(args.skip.split(','))

const test = loadFashionMnist('test')
const count = Math.min(test.count, Number(args.limit ?? test.count))
const inFlight = Number(args['in-flight'])
const ic = await createImageClassify({ log: pino({ level: 'warn' }) })
console.log(`providers: ${ic.probe.summary}`)
const node = await createNode({
  capabilities: [ic.capability],
  transports: ['memory'],
  listen: ['/memory/image-eval'],
  logLevel: 'silent',
  trust: { openMesh: true },
})
await node.start()

const K = FASHION_MNIST_LABELS.length
const confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0))
const batchSizes = new Map<number, number>()
const flaggedOod: number[] = []
const testScores: Array<{ energy: number; msp: number }> = []
let next = 0
let failed = 0
const t0 = performance.now()
async function worker(): Promise<void> {
  while (next < count) {
    const i = next++
    const png = await sharp(Buffer.from(imageAt(test, i)), { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toBuffer()
    const r = await node.submit({ capability: 'image.classify@^1', params: { model: args.model, top_k: 1 }, input: png, route: 'local' })
      .outcome
    if (r.state !== 'succeeded') {
      failed++
      if (failed <= 3) console.error(`image ${i}: ${r.state} ${JSON.stringify(r.error)}`)
      continue
    }
    const v = r.value as ImageClassifyResult
    const row = confusion[test.labels[i] as number] as number[]
    const pred = v.predictions[0]?.index ?? -1
    row[pred] = (row[pred] ?? 0) + 1
    batchSizes.set(v.batch_size, (batchSizes.get(v.batch_size) ?? 0) + 1)
    if (v.in_distribution === false) flaggedOod.push(i)
    if (v.ood_score !== undefined) testScores.push({ energy: v.ood_score.value, msp: v.predictions[0]?.probability ?? 0 })
  }
}
await Promise.all(Array.from({ length: inFlight }, worker))
const seconds = (performance.now() - t0) / 1000
await node.stop()
await ic.close()

const correct = confusion.reduce((s, row, k) => s + (row[k] ?? 0), 0)
console.log(`\nimage.classify@1 model ${args.model} on the Fashion-MNIST test set, through a node (${inFlight} jobs in flight)`)
console.log(`images ${count}, failed jobs ${failed}, ${(count / seconds).toFixed(0)} jobs/s (PNG encode included)`)
console.log(`ACCURACY ${((100 * correct) / count).toFixed(2)}% (${correct}/${count})\n`)
console.log('per-class accuracy:')
for (let k = 0; k < K; k++) {
  const row = confusion[k] as number[]
  const n = row.reduce((a, b) => a + b, 0)
  console.log(
    `  ${(FASHION_MNIST_LABELS[k] as string).padEnd(12)} ${((100 * (row[k] ?? 0)) / Math.max(1, n)).toFixed(1).padStart(5)}%  (${row[k]}/${n})`,
  )
}
console.log('\nconfusion matrix (rows: true class, columns: predicted):')
const short = FASHION_MNIST_LABELS.map((l) => l.slice(0, 7))
console.log(`${''.padEnd(12)}${short.map((s) => s.padStart(8)).join('')}`)
for (let k = 0; k < K; k++)
  console.log(`${(FASHION_MNIST_LABELS[k] as string).padEnd(12)}${(confusion[k] as number[]).map((v) => String(v).padStart(8)).join('')}`)
const sizes = [...batchSizes.entries()].sort((a, b) => a[0] - b[0])
const mean = sizes.reduce((s, [b, n]) => s + b * n, 0) / Math.max(1, count - failed)
console.log(`\ndynamic batching: mean batch ${mean.toFixed(1)} images (by image), largest ${sizes.at(-1)?.[0] ?? 0}`)
{
  const cal = readManifest(join(BUILTIN_MODELS_DIR, `${args.model}.json`)).ood?.calibration
  const e = testScores.filter((t) => t.energy < Number(cal?.energyOnlyThreshold)).length
  const p = testScores.filter((t) => t.msp < Number(cal?.maxSoftmaxThreshold)).length
  console.log(
    `out-of-distribution flag on the test set (false negatives): ${flaggedOod.length}/${count - failed} (${pct(flaggedOod.length, count - failed)}); energy alone ${pct(e, testScores.length)}, max-softmax ${pct(p, testScores.length)}`,
  )
}
if (failed > 0) process.exitCode = 1

if (!skip.has('letterbox')) await letterboxEval()
if (!skip.has('ood')) await oodEval()

function pct(n: number, of: number): string {
  return `${((100 * n) / Math.max(1, of)).toFixed(2)}%`
}

async function letterboxEval(): Promise<void> {
  const before = writeVariant((m) => ({
    ...m,
    id: 'preprocessing-1.0',
    preprocess: { ...(m.preprocess as object), trim: false, invert: false },
  }))
  const lic = await createImageClassify({
    providers: ['cpu'],
    modelDirs: [BUILTIN_MODELS_DIR],
    manifests: [before],
    log: pino({ level: 'warn' }),
  })
  const n = Math.min(count, Number(args['letterbox-limit'] ?? count))
  console.log(
    `\nletterboxed garments (the first ${n} test images): each scaled to ${LETTERBOX.garment} px, centred in a ${LETTERBOX.width}×${LETTERBOX.height} RGB JPEG (quality ${LETTERBOX.quality})`,
  )
  console.log(
    `${'background'.padEnd(28)}${'1.0 preprocessing'.padStart(20)}${'trim + invert auto'.padStart(20)}${'flagged OOD'.padStart(14)}`,
  )
  for (const bg of ['dark', 'light'] as const) {
    const inputs: Buffer[] = []
    for (let i = 0; i < n; i++) inputs.push(await letterboxed(imageAt(test, i), bg))
    const old = await classifyAll(lic, inputs, n, { model: 'preprocessing-1.0', top_k: 1 })
    const now = await classifyAll(lic, inputs, n, { model: args.model, top_k: 1 })
    const right = (rs: ImageClassifyResult[]): number => rs.filter((r, i) => r.predictions[0]?.index === test.labels[i]).length
    const ood = now.filter((r) => r.in_distribution === false).length
    const label = bg === 'dark' ? 'light garment on black' : 'dark garment on white'
    console.log(`${label.padEnd(28)}${pct(right(old), n).padStart(20)}${pct(right(now), n).padStart(20)}${pct(ood, n).padStart(14)}`)
  }
  await lic.close()
}

async function oodEval(): Promise<void> {
  const manifest = readManifest(join(BUILTIN_MODELS_DIR, `${args.model}.json`))
  const ood = manifest.ood
  if (ood === undefined) {
    console.log(`\nmodel ${args.model} has no ood block: no out-of-distribution figures`)
    return
  }
  const mspThreshold = Number(ood.calibration?.maxSoftmaxThreshold ?? Number.NaN)
  const energyOnly = Number(ood.calibration?.energyOnlyThreshold ?? Number.NaN)
  const oic = await createImageClassify({ providers: ['cpu'], log: pino({ level: 'warn' }) })
  const outside = await loadOutsideImages()
  const results = await classifyAll(
    oic,
    outside.map((o) => o.bytes),
    outside.length,
    { model: args.model, top_k: 1 },
  )
  await oic.close()
  const bg = ood.background
  console.log(
    `\nout-of-distribution flag: in distribution when ${ood.score} ≥ ${ood.threshold}${bg === undefined ? '' : ` and background (≤ ${bg.level}) ≥ ${bg.min_fraction} of the input`} (calibrated at TPR ${String(ood.calibration?.tpr)} on validation data)`,
  )
  console.log(`for comparison, at the same TPR: ${ood.score} alone ≥ ${energyOnly}, max-softmax ≥ ${mspThreshold}`)
  console.log('outside photos (Debian python3-skimage, python3-sklearn) called in distribution — false positives:')
  console.log(
    `${'group'.padEnd(14)}${'images'.padStart(8)}${'manifest'.padStart(14)}${`${ood.score} alone`.padStart(16)}${'max-softmax'.padStart(14)}   top label (count)`,
  )
  const groups = ['photo', 'photo crop', 'lfw patch'] as const
  const rows = [
    ...groups.map((g) => [g, outside.flatMap((o, i) => (o.group === g ? [i] : []))] as const),
    ['all', outside.map((_, i) => i)] as const,
  ]
  for (const [g, idx] of rows) {
    const fpE = idx.filter((i) => results[i]?.in_distribution === true).length
    const fpM = idx.filter((i) => (results[i]?.predictions[0]?.probability ?? 0) >= mspThreshold).length
    const fpS = idx.filter((i) => (results[i]?.ood_score?.value ?? Number.NEGATIVE_INFINITY) >= energyOnly).length
    const labels = new Map<string, number>()
    for (const i of idx) {
      const l = results[i]?.predictions[0]?.label ?? '?'
      labels.set(l, (labels.get(l) ?? 0) + 1)
    }
    const top = [...labels.entries()].sort((a, b) => b[1] - a[1])[0]
    console.log(
      `${g.padEnd(14)}${String(idx.length).padStart(8)}${`${fpE} (${pct(fpE, idx.length)})`.padStart(14)}${`${fpS} (${pct(fpS, idx.length)})`.padStart(16)}${`${fpM} (${pct(fpM, idx.length)})`.padStart(14)}   ${top?.[0]} (${top?.[1]})`,
    )
  }
  const passed = outside.flatMap((o, i) => (o.group === 'photo' && results[i]?.in_distribution === true ? [o.name] : []))
  if (passed.length > 0) console.log(`whole photos called in distribution: ${passed.join(', ')}`)
}
