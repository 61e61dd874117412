/**
 * Image bytes → the model's input tensor, in sharp (libvips), driven by the manifest.
 * Headers are read first and oversized images are refused before any pixel is decoded, so a
 * small file that claims huge dimensions (a decompression bomb) costs a header parse, nothing more.
 */
import sharp, { type Metadata, type OutputInfo } from 'sharp'
import { JobError } from '../../src/errors.ts'
import type { ResolvedManifest } from './manifest.ts'

export interface DecodedInfo {
  format: string
  width: number
  height: number
}

export interface PreprocessOptions {
  /** Largest width × height × frames accepted (checked on the header). */
  maxInputPixels: number
}

/**
 * Decodes, orients, resizes and normalises one image into `out` (one sample of the model's
 * input: width × height × channels floats, in the manifest's layout). One sharp instance reads the
 * header, checks the pixel limit, then decodes.
 */
export async function decodeImage(
  bytes: Uint8Array,
  m: ResolvedManifest,
  opts: PreprocessOptions,
  out: Float32Array,
): Promise<DecodedInfo> {
  if (bytes.length === 0) throw new JobError('invalid_image', 'empty input: send the image bytes as the job input')
  const { width, height, channels } = m.input
  const pp = m.preprocess
  // the pixel limit is enforced below from the header, with a typed error (sharp's own check would
  // fire inside metadata() as an untyped failure)
  const image = sharp(bytes, { limitInputPixels: false, failOn: 'error', pages: 1 })
  let meta: Metadata
  try {
    meta = await image.metadata()
  } catch (err) {
    throw new JobError('invalid_image', `not a readable image: ${(err as Error).message}`)
  }
  if (meta.width === undefined || meta.height === undefined || meta.format === undefined) {
    throw new JobError('invalid_image', 'image header has no dimensions')
  }
  // only the first frame of an animated image is decoded, so frames do not multiply the cost
  const pixels = meta.width * meta.height
  if (pixels > opts.maxInputPixels) {
    throw new JobError(
      'image_too_large',
      `image header claims ${meta.width}×${meta.height} = ${pixels} pixels, over the limit of ${opts.maxInputPixels}; refused before decoding`,
      { details: { width: meta.width, height: meta.height, limit: opts.maxInputPixels } },
    )
  }
  const [r, g, b] = pp.background
  const background = { r, g, b, alpha: 1 }
  let raw: { data: Buffer; info: OutputInfo }
  try {
    let img = image.rotate().flatten({ background }).resize(width, height, { fit: pp.resize, background, position: 'centre' })
    img = channels === 1 ? img.greyscale() : img.toColourspace('srgb')
    raw = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true })
  } catch (err) {
    throw new JobError('invalid_image', `cannot decode image: ${(err as Error).message}`)
  }
  const { data, info } = raw
  if (info.width !== width || info.height !== height) {
    throw new JobError('invalid_image', `decoder produced ${info.width}×${info.height}, expected ${width}×${height}`)
  }
  toTensor(data, info.channels, m, out)
  return { format: meta.format, width: meta.width, height: meta.height }
}

/** Interleaved 8-bit pixels → normalised floats in the manifest's layout. */
export function toTensor(data: Uint8Array, stride: number, m: ResolvedManifest, out: Float32Array): void {
  const { width, height, channels, layout } = m.input
  const pp = m.preprocess
  const plane = width * height
  for (let c = 0; c < channels; c++) {
    // greyscale output can carry one channel while the model wants 3: replicate it
    const src = Math.min(c, stride - 1)
    const mu = (pp.mean.length === 1 ? pp.mean[0] : pp.mean[c]) as number
    const inv = 1 / ((pp.std.length === 1 ? pp.std[0] : pp.std[c]) as number)
    for (let p = 0; p < plane; p++) {
      let v = data[p * stride + src] as number
      if (pp.invert === true) v = 255 - v
      out[layout === 'NCHW' ? c * plane + p : p * channels + c] = (v * pp.scale - mu) * inv
    }
  }
}
