/**
 * A Fashion-MNIST garment as a user's photo might bring it: scaled up, letterboxed into a wider
 * RGB frame and saved as JPEG, either as the dataset draws it (light on black) or as a product
 * shot (dark on white, the garment's pixels inverted).
 */
import sharp from 'sharp'

export const LETTERBOX = { width: 300, height: 200, garment: 200, quality: 90 } as const

export async function letterboxed(pixels: Uint8Array, background: 'dark' | 'light'): Promise<Buffer> {
  const light = background === 'light'
  const garment = await sharp(Buffer.from(light ? pixels.map((v) => 255 - v) : pixels), { raw: { width: 28, height: 28, channels: 1 } })
    .resize(LETTERBOX.garment, LETTERBOX.garment, { kernel: 'lanczos3' })
    .toColourspace('srgb')
    .png()
    .toBuffer()
  const v = light ? 255 : 0
  return sharp({ create: { width: LETTERBOX.width, height: LETTERBOX.height, channels: 3, background: { r: v, g: v, b: v } } })
    .composite([{ input: garment, gravity: 'centre' }])
    .jpeg({ quality: LETTERBOX.quality })
    .toBuffer()
}
