/**
 * Demo step for image.classify: classifies six Fashion-MNIST test images, each in a different
 * file format (committed under samples/ by make-samples.ts), on the node at `route`.
 * `scripts/demo.ts` calls `imageClassifyDemo`; run alone (`node scripts/image/demo.ts`) it starts
 * two nodes and sends the images from one to the other.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ImageClassifyResult } from '../../capabilities/image.classify/create.ts'
import { type CrankNode, createNode } from '../../src/index.ts'
import { FASHION_MNIST_LABELS } from './fashion-mnist.ts'

const SAMPLES_DIR = new URL('./samples/', import.meta.url)

export async function imageClassifyDemo(client: CrankNode, route: string, log: (line: string) => void = console.log): Promise<void> {
  for (const name of readdirSync(SAMPLES_DIR).sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10))) {
    // `<test index>-<label id>.<format>`
    const [index, label, format] = name.split(/[-.]/) as [string, string, string]
    const bytes = readFileSync(new URL(name, SAMPLES_DIR))
    const report = await client.submit({ capability: 'image.classify@^1', params: { top_k: 2 }, input: bytes, route }).outcome
    if (report.state !== 'succeeded') {
      log(`image.classify #${index} (${format}): ${report.state} ${report.error?.code}: ${report.error?.message}`)
      continue
    }
    const v = report.value as ImageClassifyResult
    const [first, second] = v.predictions
    log(
      `image.classify #${index} ${format.padEnd(4)} ${bytes.length} B → ${first?.label} ${((first?.probability ?? 0) * 100).toFixed(1)}%` +
        `${second ? `, ${second.label} ${(second.probability * 100).toFixed(1)}%` : ''} (true: ${FASHION_MNIST_LABELS[Number(label)]}; ${v.provider}, on ${report.route?.peer.slice(-8)})`,
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
