/**
 * Photographs from outside Fashion-MNIST, read from Debian packages (nothing is downloaded):
 *   - `python3-skimage`: scikit-image's sample photos (astronaut, cat, coffee, coins, rocket, …)
 *     and `lfw_subset.npy`, 200 greyscale 25×25 crops (100 faces from Labeled Faces in the Wild,
 *     100 other patches of natural images);
 *   - `python3-sklearn`: scikit-learn's two sample photos (china.jpg, flower.jpg).
 * Each full photo is also cut into four quarter crops (a photo seen closer), so a few dozen files
 * give a hundred-odd distinct inputs. The synthetic images those folders also hold (charts,
 * palettes, a silhouette, a checkerboard, a logo) are left out: they are not photos.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'

const SKIMAGE_INSTALLED = '/usr/lib/python3/dist-packages/skimage/data'
const SKLEARN_INSTALLED = '/usr/lib/python3/dist-packages/sklearn/datasets/images'
/** Where the packages install their images; the environment variables point elsewhere, e.g. at an unpacked .deb. */
export const SKIMAGE_DATA_DIR = process.env.SKIMAGE_DATA_DIR ?? SKIMAGE_INSTALLED
export const SKLEARN_IMAGES_DIR = process.env.SKLEARN_IMAGES_DIR ?? SKLEARN_INSTALLED

/** The photographs, by Debian package and file. */
export const PHOTO_SOURCES: ReadonlyArray<{ package: string; dir: string; installed: string; files: string[] }> = [
  {
    package: 'python3-skimage',
    dir: SKIMAGE_DATA_DIR,
    installed: SKIMAGE_INSTALLED,
    files: [
      'astronaut.png',
      'brick.png',
      'camera.png',
      'cell.png',
      'chelsea.png',
      'clock_motion.png',
      'coffee.png',
      'coins.png',
      'grass.png',
      'gravel.png',
      'hubble_deep_field.jpg',
      'ihc.png',
      'microaneurysms.png',
      'moon.png',
      'motorcycle_left.png',
      'motorcycle_right.png',
      'page.png',
      'retina.jpg',
      'rocket.jpg',
      'text.png',
    ],
  },
  { package: 'python3-sklearn', dir: SKLEARN_IMAGES_DIR, installed: SKLEARN_INSTALLED, files: ['china.jpg', 'flower.jpg'] },
]

export interface OutsideImage {
  /** e.g. `python3-skimage:chelsea.png`, `…#crop2`, `python3-skimage:lfw_subset.npy#17`. */
  name: string
  group: 'photo' | 'photo crop' | 'lfw patch'
  bytes: Uint8Array
}

function need(path: string, pkg: string): void {
  if (!existsSync(path)) throw new Error(`${path} not found: install the Debian package ${pkg} (apt-get install ${pkg})`)
}

/** The four quarter crops of an image (top-left, top-right, bottom-left, bottom-right), as PNG. */
async function quarters(bytes: Uint8Array): Promise<Buffer[]> {
  const { width = 0, height = 0 } = await sharp(bytes).metadata()
  const w = Math.floor(width / 2)
  const h = Math.floor(height / 2)
  return Promise.all(
    [
      [0, 0],
      [w, 0],
      [0, h],
      [w, h],
    ].map(([left = 0, top = 0]) => sharp(bytes).extract({ left, top, width: w, height: h }).png().toBuffer()),
  )
}

/** Reads a NumPy .npy of little-endian float64 (C order) — the format lfw_subset.npy comes in. */
function readNpyFloat64(path: string): { shape: number[]; data: Float64Array } {
  const buf = readFileSync(path)
  const headerLen = buf.readUInt16LE(8)
  const header = buf.subarray(10, 10 + headerLen).toString('latin1')
  if (!header.includes("'descr': '<f8'") || header.includes("'fortran_order': True"))
    throw new Error(`${path}: not a C-order float64 array`)
  const shape = (/'shape': \(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number)
  const start = 10 + headerLen
  const copy = Uint8Array.from(buf.subarray(start)) // aligned for Float64Array
  return { shape, data: new Float64Array(copy.buffer, 0, copy.byteLength / 8) }
}

export async function loadOutsideImages(): Promise<OutsideImage[]> {
  const out: OutsideImage[] = []
  for (const src of PHOTO_SOURCES) {
    for (const f of src.files) {
      const path = join(src.dir, f)
      need(path, src.package)
      const bytes = readFileSync(path)
      out.push({ name: `${src.package}:${f}`, group: 'photo', bytes })
      for (const [k, crop] of (await quarters(bytes)).entries())
        out.push({ name: `${src.package}:${f}#crop${k}`, group: 'photo crop', bytes: crop })
    }
  }
  const lfw = join(SKIMAGE_DATA_DIR, 'lfw_subset.npy')
  need(lfw, 'python3-skimage')
  const { shape, data } = readNpyFloat64(lfw)
  const [n = 0, h = 0, w = 0] = shape
  for (let i = 0; i < n; i++) {
    const px = Buffer.alloc(w * h)
    for (let p = 0; p < w * h; p++) px[p] = Math.round(255 * Math.min(1, Math.max(0, data[i * w * h + p] as number)))
    const png = await sharp(px, { raw: { width: w, height: h, channels: 1 } })
      .png()
      .toBuffer()
    out.push({ name: `python3-skimage:lfw_subset.npy#${i}`, group: 'lfw patch', bytes: png })
  }
  return out
}
