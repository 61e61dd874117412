/**
 * Image bytes → the model's input tensor, in sharp (libvips), driven by the manifest.
 * Headers are read first and oversized images are refused before any pixel is decoded, so a
 * small file that claims huge dimensions (a decompression bomb) costs a header parse, nothing more.
 */
import { imageSize } from 'image-size'
import sharp, { type Metadata, type OutputInfo, type Sharp } from 'sharp'
import { JobError } from '../../src/errors.ts'
import { type Box, borderColour, contentBox, isLight } from './background.ts'
import type { ResolvedManifest } from './manifest.ts'
import { backgroundFraction } from './ood.ts'

export interface DecodedInfo {
  format: string
  width: number
  height: number
  /** Whether the pixels were inverted (manifest `invert: true`, or `auto` on a light background). */
  inverted: boolean
  /** The content box kept before resizing (manifest `trim`), in the upright image's pixels; null when nothing was cropped. */
  crop: Box | null
  /** Share of the model's input that is background, for the OOD test (manifest `ood.background`). */
  backgroundFraction?: number
}

/** Trimming is skipped unless it enlarges the content by this factor (margins over ~7% of the longest side on each end). */
export const MIN_TRIM_GAIN = 1.15

/** Background analysis runs on a copy at most this large on a side: enough to find borders, cheap to scan. */
export const LOOK_SIZE = 256

export interface PreprocessOptions {
  /** Largest width × height × frames accepted (checked on the header). */
  maxInputPixels: number
}

interface Header {
  format: string
  width: number
  height: number
  /** EXIF orientation, when the header has one. */
  orientation?: number
}

/**
 * Reads dimensions from the header without decoding: image-size parses it synchronously in JS
 * (no thread-pool hop, which matters for small images); formats it does not know go to sharp.
 */
async function readHeader(bytes: Uint8Array): Promise<Header> {
  try {
    const h = imageSize(bytes)
    if (h.width > 0 && h.height > 0 && h.type !== undefined) {
      return {
        format: h.type === 'jpg' ? 'jpeg' : h.type,
        width: h.width,
        height: h.height,
        ...(h.orientation === undefined ? {} : { orientation: h.orientation }),
      }
    }
  } catch {
    // not a format image-size knows: ask sharp, which reads more
  }
  let meta: Metadata
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata()
  } catch (err) {
    throw new JobError('invalid_image', `not a readable image: ${(err as Error).message}`)
  }
  if (meta.width === undefined || meta.height === undefined || meta.format === undefined) {
    throw new JobError('invalid_image', 'image header has no dimensions')
  }
  return {
    format: meta.format,
    width: meta.width,
    height: meta.height,
    ...(meta.orientation === undefined ? {} : { orientation: meta.orientation }),
  }
}

/**
 * Decodes, orients, resizes and normalises one image into `out` (one sample of the model's
 * input: width × height × channels floats, in the manifest's layout).
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
  const header = await readHeader(bytes)
  // only the first frame of an animated image is decoded, so frames do not multiply the cost
  const pixels = header.width * header.height
  const tooLarge = (): JobError =>
    new JobError(
      'image_too_large',
      `image header claims ${header.width}×${header.height} = ${pixels} pixels, over the limit of ${opts.maxInputPixels}; refused before decoding`,
      { details: { width: header.width, height: header.height, limit: opts.maxInputPixels } },
    )
  if (pixels > opts.maxInputPixels) throw tooLarge()
  const [r, g, b] = pp.background
  const background = { r, g, b, alpha: 1 }
  const look = pp.trim === true || pp.invert === 'auto'
  let raw: { data: Buffer; info: OutputInfo }
  let crop: Box | null = null
  let shownCrop: Box | null = null
  let invert = pp.invert === true
  try {
    // sharp's own pixel limit is the second guard, for a header that image-size read differently
    let img = sharp(bytes, { limitInputPixels: opts.maxInputPixels, failOn: 'error', pages: 1 })
    if (header.orientation !== undefined && header.orientation !== 1) img = img.rotate()
    img = img.flatten({ background })
    const colour = (s: Sharp): Sharp => (channels === 1 ? s.greyscale() : s.toColourspace('srgb')).removeAlpha()
    if (!look) {
      raw = await colour(img.resize(width, height, { fit: pp.resize, background, position: 'centre' }))
        .raw()
        .toBuffer({ resolveWithObject: true })
    } else {
      // One decode, bounded in size, to read the background from the border; the crop and the
      // final resize then run on those few pixels.
      const seen = await colour(img.resize(LOOK_SIZE, LOOK_SIZE, { fit: 'inside', withoutEnlargement: true }))
        .raw()
        .toBuffer({ resolveWithObject: true })
      const px = { data: seen.data, width: seen.info.width, height: seen.info.height, channels: seen.info.channels }
      const bg = borderColour(px)
      if (pp.invert === 'auto') invert = isLight(bg)
      if (pp.trim === true) crop = worthCropping(contentBox(px, bg), px)
      if (crop !== null) shownCrop = scaleBox(crop, px, header)
      if (crop === null && px.width === width && px.height === height) {
        // already the model's size, nothing to crop (images like the training data): no second pass
        raw = seen
      } else {
        const [br = 0, bgG = br, bb = br] = bg
        let second = sharp(seen.data, { raw: { width: px.width, height: px.height, channels: px.channels as 1 | 3 } })
        if (crop !== null) second = second.extract(crop)
        // pad with the image's own background, so that the padding looks like the background the model saw
        raw = await colour(
          second.resize(width, height, { fit: pp.resize, background: { r: br, g: bgG, b: bb, alpha: 1 }, position: 'centre' }),
        )
          .raw()
          .toBuffer({ resolveWithObject: true })
      }
    }
  } catch (err) {
    if (err instanceof JobError) throw err
    if (/pixel limit/i.test((err as Error).message)) throw tooLarge()
    throw new JobError('invalid_image', `cannot decode image: ${(err as Error).message}`)
  }
  const { data, info } = raw
  if (info.width !== width || info.height !== height) {
    throw new JobError('invalid_image', `decoder produced ${info.width}×${info.height}, expected ${width}×${height}`)
  }
  toTensor(data, info.channels, m, out, invert)
  const bg = m.ood?.background
  return {
    format: header.format,
    width: header.width,
    height: header.height,
    inverted: invert,
    crop: shownCrop,
    ...(bg === undefined ? {} : { backgroundFraction: backgroundFraction(data, info.channels, bg.level, invert) }),
  }
}

/**
 * The box, when cropping to it enlarges the content by at least MIN_TRIM_GAIN; else null. An
 * image already framed like the training data (a garment whose longest side spans the frame, with
 * faint edges a threshold would shave) is left as it is.
 */
function worthCropping(box: Box, img: { width: number; height: number }): Box | null {
  const gain = Math.max(img.width, img.height) / Math.max(box.width, box.height)
  return gain >= MIN_TRIM_GAIN ? box : null
}

/** A box found on the reduced copy, in the pixels of the upright original (EXIF orientations 5–8 swap the sides). */
function scaleBox(box: Box, seen: { width: number; height: number }, header: Header): Box {
  const swapped = header.orientation !== undefined && header.orientation >= 5
  const sx = (swapped ? header.height : header.width) / seen.width
  const sy = (swapped ? header.width : header.height) / seen.height
  return {
    left: Math.round(box.left * sx),
    top: Math.round(box.top * sy),
    width: Math.round(box.width * sx),
    height: Math.round(box.height * sy),
  }
}

/** Interleaved 8-bit pixels → normalised floats in the manifest's layout. */
export function toTensor(data: Uint8Array, stride: number, m: ResolvedManifest, out: Float32Array, invert: boolean): void {
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
      if (invert) v = 255 - v
      out[layout === 'NCHW' ? c * plane + p : p * channels + c] = (v * pp.scale - mu) * inv
    }
  }
}
