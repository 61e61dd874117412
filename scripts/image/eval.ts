/**
 * Sends the official Fashion-MNIST test set (10,000 images, PNG-encoded) through a Crank node as
 * image.classify jobs — the path users take — and prints accuracy, per-class accuracy and the
 * confusion matrix.
 *
 *   npm run eval:image-classify [-- --model fashion-mnist-cnn --in-flight 64 --limit 10000]
 */
import { parseArgs } from 'node:util'
import pino from 'pino'
import sharp from 'sharp'
import { createImageClassify, type ImageClassifyResult } from '../../capabilities/image.classify/create.ts'
import { createNode } from '../../src/index.ts'
import { FASHION_MNIST_LABELS, imageAt, loadFashionMnist } from './fashion-mnist.ts'

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'fashion-mnist-cnn' },
    'in-flight': { type: 'string', default: '64' },
    limit: { type: 'string' },
  },
})

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
if (failed > 0) process.exitCode = 1
