import assert from 'node:assert/strict'
import pino from 'pino'
import sharp from 'sharp'
import { borderColour, contentBox, isLight } from '../capabilities/image.classify/background.ts'
import { createImageClassify, type ImageClassify, type ImageClassifyResult } from '../capabilities/image.classify/create.ts'
import { imageAt, loadFashionMnist } from '../scripts/image/fashion-mnist.ts'
import { LETTERBOX, letterboxed } from '../scripts/image/letterbox.ts'
import { writeVariant } from '../scripts/image/manifest-variant.ts'
import { runCapability } from '../src/testing.ts'

const test = loadFashionMnist('test')
const quiet = pino({ level: 'silent' })

async function classify(ic: ImageClassify, input: Uint8Array, params: Record<string, unknown> = {}): Promise<ImageClassifyResult> {
  const r = await runCapability(ic.capability, { input, params })
  assert.equal(r.outcome.state, 'succeeded', JSON.stringify(r.outcome))
  return (r.outcome as { result: ImageClassifyResult }).result
}

describe('image.classify preprocessing: aspect ratio and light backgrounds', function () {
  this.timeout(120_000)
  let ic: ImageClassify
  before(async () => {
    // the default model, and the same model with image.classify 1.0's preprocessing (no trim, no invert)
    const old = writeVariant((m) => ({
      ...m,
      id: 'preprocessing-1.0',
      preprocess: { ...(m.preprocess as object), trim: false, invert: false },
    }))
    ic = await createImageClassify({ providers: ['cpu'], manifests: [old], log: quiet })
  })
  after(() => ic.close())

  it('classifies a garment letterboxed into a 300×200 RGB JPEG, light on black and dark on white', async () => {
    // test images 0–39: both the default model and the 28×28 original agree on these
    const n = 40
    const originals = await Promise.all(
      Array.from({ length: n }, async (_, i) =>
        classify(
          ic,
          await sharp(Buffer.from(imageAt(test, i)), { raw: { width: 28, height: 28, channels: 1 } })
            .png()
            .toBuffer(),
          { top_k: 1 },
        ),
      ),
    )
    const sure = Array.from({ length: n }, (_, i) => i).filter(
      (i) => originals[i]?.predictions[0]?.index === test.labels[i] && (originals[i]?.predictions[0]?.probability ?? 0) > 0.9,
    )
    assert.ok(sure.length >= 25, `only ${sure.length} confident originals`)
    for (const bg of ['dark', 'light'] as const) {
      let right = 0
      let rightBefore = 0
      for (const i of sure) {
        const jpeg = await letterboxed(imageAt(test, i), bg)
        const r = await classify(ic, jpeg, { top_k: 1 })
        assert.deepEqual([r.image.format, r.image.width, r.image.height], ['jpeg', LETTERBOX.width, LETTERBOX.height])
        assert.equal(r.preprocessing.inverted, bg === 'light')
        // the crop keeps the garment's box (within the 200×200 square it was drawn in) and drops the bars
        const crop = r.preprocessing.crop
        assert.ok(
          crop !== null && crop.left >= 45 && crop.left + crop.width <= 255 && crop.height <= LETTERBOX.height,
          JSON.stringify(crop),
        )
        if (r.predictions[0]?.index === test.labels[i]) right++
        const old = await classify(ic, jpeg, { model: 'preprocessing-1.0', top_k: 1 })
        if (old.predictions[0]?.index === test.labels[i]) rightBefore++
      }
      assert.ok(right >= sure.length - 2, `${bg}: ${right}/${sure.length} right`)
      // and it is the new preprocessing that does it: 1.0's stretch-free letterbox shrank the garment (62% on the whole test set), and never inverted
      assert.ok(rightBefore < right, `${bg}: 1.0 preprocessing got ${rightBefore}/${sure.length}, now ${right}`)
    }
  })

  it('pads a tall crop to square instead of stretching it', async () => {
    // a trouser (test image 2) alone in a tall white frame: cropped to itself, padded to square, inverted
    const i = 2
    assert.equal(test.labels[i], 1)
    const dark = Buffer.from(imageAt(test, i).map((v) => 255 - v))
    const tall = await sharp(dark, { raw: { width: 28, height: 28, channels: 1 } })
      .resize(112, 112)
      .extend({ top: 100, bottom: 100, left: 10, right: 10, background: '#ffffff' })
      .png()
      .toBuffer()
    const r = await classify(ic, tall, { top_k: 1 })
    assert.equal(r.predictions[0]?.label, 'Trouser')
    assert.equal(r.preprocessing.inverted, true)
    assert.ok(r.preprocessing.crop !== null && r.preprocessing.crop.height <= 120, JSON.stringify(r.preprocessing.crop))
  })

  it('leaves an image with nothing but background uncropped, without failing', async () => {
    const blank = await sharp({ create: { width: 50, height: 30, channels: 3, background: '#f0f0f0' } })
      .png()
      .toBuffer()
    const r = await classify(ic, blank)
    assert.equal(r.preprocessing.inverted, true)
    assert.equal(r.preprocessing.crop, null)
  })

  it('reads the background from the border and the content box from what differs from it', () => {
    // 6×4 RGB, white, with a dark 2×2 block at (3,1) and one JPEG-like near-white pixel
    const width = 6
    const height = 4
    const data = new Uint8Array(width * height * 3).fill(250)
    for (const [x, y] of [
      [3, 1],
      [4, 1],
      [3, 2],
      [4, 2],
    ] as const)
      data.fill(20, (y * width + x) * 3, (y * width + x) * 3 + 3)
    data.fill(235, 0, 3)
    const img = { data, width, height, channels: 3 }
    const bg = borderColour(img)
    assert.deepEqual(bg, [250, 250, 250])
    assert.equal(isLight(bg), true)
    assert.equal(isLight([10]), false)
    assert.deepEqual(contentBox(img, bg), { left: 3, top: 1, width: 2, height: 2 })
    assert.deepEqual(contentBox({ ...img, data: new Uint8Array(width * height * 3).fill(250) }, bg), { left: 0, top: 0, width, height })
  })
})
