/**
 * Reads Fashion-MNIST from the Debian package `dataset-fashion-mnist` (IDX files, gzipped).
 * The official split is kept: 60k train, 10k test. The validation split is carved from train
 * by `splitTrainValidation`, with a fixed seed, so that the test set is used only for the final figure.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { mulberry32 } from '../../src/random.ts'

export const FASHION_MNIST_DIR = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist'

export const FASHION_MNIST_LABELS = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const

export interface ImageSet {
  /** count × rows × cols bytes, row-major, 0 = background. */
  images: Uint8Array
  labels: Uint8Array
  count: number
  rows: number
  cols: number
}

export function fashionMnistAvailable(): boolean {
  return existsSync(join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz'))
}

function readIdx(file: string, magic: number): { dims: number[]; data: Uint8Array } {
  const path = join(FASHION_MNIST_DIR, file)
  if (!existsSync(path)) {
    throw new Error(`${path} not found: install the Debian package dataset-fashion-mnist (or set FASHION_MNIST_DIR)`)
  }
  const buf = gunzipSync(readFileSync(path))
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  if (view.getUint32(0) !== magic) throw new Error(`${path}: bad IDX magic ${view.getUint32(0).toString(16)}`)
  const ndim = magic & 0xff
  const dims: number[] = []
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i))
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + 4 + 4 * ndim) }
}

export function loadFashionMnist(split: 'train' | 'test'): ImageSet {
  const prefix = split === 'train' ? 'train' : 't10k'
  const img = readIdx(`${prefix}-images-idx3-ubyte.gz`, 0x00000803)
  const lab = readIdx(`${prefix}-labels-idx1-ubyte.gz`, 0x00000801)
  const [count = 0, rows = 0, cols = 0] = img.dims
  if (lab.dims[0] !== count) throw new Error(`Fashion-MNIST ${split}: ${count} images but ${lab.dims[0]} labels`)
  return { images: img.data, labels: lab.data, count, rows, cols }
}

/** One image's pixels (a view, not a copy). */
export function imageAt(set: ImageSet, i: number): Uint8Array {
  const n = set.rows * set.cols
  return set.images.subarray(i * n, (i + 1) * n)
}

/** Deterministic PRNG (mulberry32): training, splits and sampling are reproducible from a seed. */
export const seededRandom = mulberry32

export function shuffled(n: number, rand: () => number): Uint32Array {
  const idx = new Uint32Array(n)
  for (let i = 0; i < n; i++) idx[i] = i
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    const t = idx[i] as number
    idx[i] = idx[j] as number
    idx[j] = t
  }
  return idx
}

/** Carves a fixed validation split from the official training set. */
export function splitTrainValidation(count: number, validation: number, seed: number): { train: Uint32Array; validation: Uint32Array } {
  const idx = shuffled(count, seededRandom(seed))
  return { validation: idx.slice(0, validation), train: idx.slice(validation) }
}
