/**
 * Writes the demo's sample images: six Fashion-MNIST test images, one per file format, into
 * scripts/image/samples/ as `<test index>-<label id>.<format>`. They are committed so that
 * `npm run demo` shows image.classify on a machine without the Debian dataset package.
 * Run: `node scripts/image/make-samples.ts` (needs `dataset-fashion-mnist`).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import sharp from 'sharp'
import { imageAt, loadFashionMnist } from './fashion-mnist.ts'

const SAMPLES_DIR = new URL('./samples/', import.meta.url)
const FORMATS = ['png', 'jpeg', 'webp', 'gif', 'tiff', 'avif'] as const

const test = loadFashionMnist('test')
mkdirSync(SAMPLES_DIR, { recursive: true })
for (const [k, format] of FORMATS.entries()) {
  const i = k * 7
  const bytes = await sharp(Buffer.from(imageAt(test, i)), { raw: { width: 28, height: 28, channels: 1 } })
    .toFormat(format, format === 'jpeg' || format === 'avif' ? { quality: 90 } : {})
    .toBuffer()
  const name = `${i}-${test.labels[i]}.${format}`
  writeFileSync(new URL(name, SAMPLES_DIR), bytes)
  console.log(`${name}: ${bytes.length} B`)
}
