/**
 * An image's background, read from its border: its colour (for padding to square, and to decide
 * whether a model trained on dark backgrounds needs the image inverted), and the box of the
 * content that differs from it (to crop letterboxing and empty margins away).
 */

/** A channel value this far (0–255) from the background's counts as content: above JPEG ringing. */
export const CONTENT_THRESHOLD = 32
/** A background this light (mean over channels, 0–255) or lighter is "light". */
export const LIGHT_BACKGROUND = 128

export interface Box {
  left: number
  top: number
  width: number
  height: number
}

export interface Pixels {
  data: Uint8Array
  width: number
  height: number
  /** Interleaved channels per pixel. */
  channels: number
}

/** The per-channel median of the border pixels (outermost rows and columns): robust to an object touching an edge. */
export function borderColour(img: Pixels): number[] {
  const { data, width, height, channels } = img
  const idx: number[] = []
  for (let x = 0; x < width; x++) idx.push(x, (height - 1) * width + x)
  for (let y = 1; y < height - 1; y++) idx.push(y * width, y * width + width - 1)
  const out: number[] = []
  const values = new Uint8Array(idx.length)
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < idx.length; i++) values[i] = data[(idx[i] as number) * channels + c] as number
    values.sort()
    out.push(values[values.length >> 1] as number)
  }
  return out
}

export function isLight(colour: number[]): boolean {
  return colour.reduce((a, b) => a + b, 0) / colour.length >= LIGHT_BACKGROUND
}

/** The smallest box holding every pixel that differs from `background`; the whole image when none does. */
export function contentBox(img: Pixels, background: number[], threshold = CONTENT_THRESHOLD): Box {
  const { data, width, height, channels } = img
  let left = width
  let right = -1
  let top = height
  let bottom = -1
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * channels
      let content = false
      for (let c = 0; c < channels && !content; c++) content = Math.abs((data[p + c] as number) - (background[c] as number)) > threshold
      if (!content) continue
      if (x < left) left = x
      if (x > right) right = x
      if (y < top) top = y
      if (y > bottom) bottom = y
    }
  }
  if (right < 0) return { left: 0, top: 0, width, height }
  return { left, top, width: right - left + 1, height: bottom - top + 1 }
}
