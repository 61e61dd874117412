/**
 * Demo step for image.classify: classifies a few Fashion-MNIST test images, each in a different
 * file format, on the node at `route`. `scripts/demo.ts` can call `imageClassifyDemo`; run alone
 * (`node scripts/image/demo.ts`) it starts two nodes and sends the images from one to the other.
 */
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import type { ImageClassifyResult } from '../../capabilities/image.classify/create.ts'
import { type CrankNode, createNode } from '../../src/index.ts'
import { FASHION_MNIST_LABELS, fashionMnistAvailable, imageAt, loadFashionMnist } from './fashion-mnist.ts'

export async function imageClassifyDemo(client: CrankNode, route: string, log: (line: string) => void = console.log): Promise<void> {
  if (!fashionMnistAvailable()) {
    log('image.classify: skipped (install the Debian package dataset-fashion-mnist for test images)')
    return
  }
  const test = loadFashionMnist('test')
  const formats = ['png', 'jpeg', 'webp', 'gif', 'tiff', 'avif'] as const
  for (const [k, format] of formats.entries()) {
    const i = k * 7
    const bytes = await sharp(Buffer.from(imageAt(test, i)), { raw: { width: 28, height: 28, channels: 1 } })
      .toFormat(format, format === 'jpeg' || format === 'avif' ? { quality: 90 } : {})
      .toBuffer()
    const report = await client.submit({ capability: 'image.classify@^1', params: { top_k: 2 }, input: bytes, route }).outcome
    if (report.state !== 'succeeded') {
      log(`image.classify #${i} (${format}): ${report.state} ${report.error?.code}: ${report.error?.message}`)
      continue
    }
    const v = report.value as ImageClassifyResult
    const [first, second] = v.predictions
    log(
      `image.classify #${i} ${format.padEnd(4)} ${bytes.length} B → ${first?.label} ${((first?.probability ?? 0) * 100).toFixed(1)}%` +
        `${second ? `, ${second.label} ${(second.probability * 100).toFixed(1)}%` : ''} (true: ${FASHION_MNIST_LABELS[test.labels[i] as number]}; ${v.provider}, on ${report.route?.peer.slice(-8)})`,
    )
  }
  const bad = await client.submit({ capability: 'image.classify@^1', input: new TextEncoder().encode('not an image'), route }).outcome
  log(`image.classify on text: ${bad.state} ${bad.error?.code}: ${bad.error?.message}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { default: imageClassify } = await import('../../capabilities/image.classify/index.ts')
  const server = await createNode({
    capabilities: [imageClassify],
    listen: ['/memory/image-demo-server'],
    logLevel: 'warn',
    trust: { openMesh: true },
  })
  const client = await createNode({ listen: ['/memory/image-demo-client'], logLevel: 'warn', trust: { openMesh: true } })
  await server.start()
  await client.start()
  const peer = await client.connect(server.multiaddrs[0]!)
  await imageClassifyDemo(client, peer.toString())
  await client.stop()
  await server.stop()
}
