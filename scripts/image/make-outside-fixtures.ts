/**
 * Writes the few outside photos the tests use (test/fixtures/images/outside/): photographs from
 * Debian packages (outside-photos.ts), resized to at most 128 px on a side as JPEG, so that tests
 * need neither the packages nor much space. Sources go to SOURCES.md beside them.
 *
 *   node scripts/image/make-outside-fixtures.ts   (needs python3-skimage and python3-sklearn installed)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { PHOTO_SOURCES } from './outside-photos.ts'

export const OUTSIDE_FIXTURES_DIR = new URL('../../test/fixtures/images/outside/', import.meta.url).pathname
const PICKED = ['astronaut.png', 'chelsea.png', 'rocket.jpg', 'coins.png', 'motorcycle_left.png', 'camera.png', 'china.jpg', 'flower.jpg']
const SIDE = 128

mkdirSync(OUTSIDE_FIXTURES_DIR, { recursive: true })
const lines = [
  '# Outside photos for the image.classify tests',
  '',
  `Made by \`node scripts/image/make-outside-fixtures.ts\`: resized to at most ${SIDE} px on a side, JPEG quality 85.`,
  '',
  '| file | Debian package | original |',
  '| ---- | -------------- | -------- |',
]
for (const src of PHOTO_SOURCES) {
  for (const f of src.files.filter((x) => PICKED.includes(x))) {
    const out = `${f.replace(/\.[a-z]+$/, '')}.jpg`
    const bytes = await sharp(readFileSync(join(src.dir, f)))
      .resize(SIDE, SIDE, { fit: 'inside' })
      .jpeg({ quality: 85 })
      .toBuffer()
    writeFileSync(join(OUTSIDE_FIXTURES_DIR, out), bytes)
    lines.push(`| ${out} | ${src.package} | ${join(src.installed, f)} |`)
  }
}
lines.push(
  '',
  "scikit-image sample data and scikit-learn sample images: see their packages' copyright files",
  '(/usr/share/doc/python3-skimage/copyright, /usr/share/doc/python3-sklearn/copyright).',
  '',
)
writeFileSync(join(OUTSIDE_FIXTURES_DIR, 'SOURCES.md'), lines.join('\n'))
console.log(`wrote ${PICKED.length} photos to ${OUTSIDE_FIXTURES_DIR}`)
