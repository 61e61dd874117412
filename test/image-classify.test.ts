import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deflateSync } from 'node:zlib'
import pino from 'pino'
import sharp from 'sharp'
import { createImageClassify, type ImageClassify, type ImageClassifyResult } from '../capabilities/image.classify/create.ts'
import { readManifest } from '../capabilities/image.classify/manifest.ts'
import { loadModel } from '../capabilities/image.classify/model-store.ts'
import { imageAt, loadFashionMnist } from '../scripts/image/fashion-mnist.ts'
import { createNode } from '../src/index.ts'
import { runCapability } from '../src/testing.ts'

const RGB32_DIR = new URL('../capabilities/image.classify/examples/fashion-rgb32-nhwc/', import.meta.url).pathname
const DEFAULT_MANIFEST = new URL('../capabilities/image.classify/models/fashion-mnist-cnn.json', import.meta.url).pathname

const test = loadFashionMnist('test')
const quiet = pino({ level: 'silent' })
const png = (i: number): Promise<Buffer> =>
  sharp(Buffer.from(imageAt(test, i)), { raw: { width: 28, height: 28, channels: 1 } })
    .png()
    .toBuffer()

async function classify(ic: ImageClassify, input: Uint8Array | string, params: Record<string, unknown> = {}): Promise<ImageClassifyResult> {
  const r = await runCapability(ic.capability, { input, params })
  assert.equal(r.outcome.state, 'succeeded', JSON.stringify(r.outcome))
  return (r.outcome as { result: ImageClassifyResult }).result
}

async function failure(
  ic: ImageClassify,
  input: Uint8Array | string,
  params: Record<string, unknown> = {},
): Promise<{ code: string; message: string; retryable: boolean }> {
  const r = await runCapability(ic.capability, { input, params })
  assert.equal(r.outcome.state, 'failed', JSON.stringify(r.outcome))
  return (r.outcome as { error: { code: string; message: string; retryable: boolean } }).error
}

/** A PNG whose header says width × height but whose pixel data is a few bytes: a decompression bomb's shape. */
function pngClaiming(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    return c >>> 0
  })
  const crc = (buf: Buffer): number => {
    let c = 0xffffffff
    for (const b of buf) c = (crcTable[(c ^ b) & 0xff] as number) ^ (c >>> 8)
    return (c ^ 0xffffffff) >>> 0
  }
  const chunk = (type: string, data: Buffer): Buffer => {
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const len = Buffer.alloc(4)
    len.writeUInt32BE(data.length)
    const sum = Buffer.alloc(4)
    sum.writeUInt32BE(crc(td))
    return Buffer.concat([len, td, sum])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr.set([8, 0, 0, 0, 0], 8) // 8-bit greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

describe('image.classify', function () {
  this.timeout(60_000)
  let ic: ImageClassify
  const logLines: string[] = []

  before(async () => {
    const log = pino({ level: 'info' }, { write: (line: string) => logLines.push(line) })
    // `auto`: probe CUDA and WebGPU exactly as a node does at start
    ic = await createImageClassify({
      providers: 'auto',
      modelDirs: [new URL('../capabilities/image.classify/models/', import.meta.url).pathname, RGB32_DIR],
      log,
    })
  })
  after(() => ic.close())

  it('probes GPU providers at start and falls back to CPU with the reason logged when none runs', async () => {
    // This machine has no GPU (and no Vulkan driver): the WebGPU warm-up cannot get an adapter.
    // On a machine where a GPU provider really runs, this test fails on purpose: run scripts/image/gpu-check.ts there.
    assert.equal(ic.probe.gpu, false, `a GPU provider ran here: ${ic.probe.summary}`)
    assert.equal(ic.probe.provider, 'cpu')
    assert.deepEqual(
      ic.probe.attempts.map((a) => a.provider),
      ['cuda', 'webgpu'],
    )
    for (const a of ic.probe.attempts) {
      assert.equal(a.ok, false)
      assert.ok((a.reason ?? '').length > 10, `no reason for ${a.provider}`)
    }
    assert.equal(ic.capability.resources?.gpu, false)
    assert.ok(ic.capability.tags?.includes('cpu'))
    const line = logLines.find((l) => l.includes('serving on CPU'))
    assert.ok(line !== undefined, logLines.join('\n'))
    assert.match(line, /webgpu: /)
    const err = await failure(ic, await png(0), { require_gpu: true })
    assert.equal(err.code, 'gpu_unavailable')
    assert.equal(err.retryable, true)
  })

  it('reads every input format sharp supports: JPEG, PNG, WebP, GIF, TIFF, AVIF', async () => {
    // a test image the model is sure of, so lossy encodings keep the same answer
    const i = 1 // a pullover
    const base = sharp(Buffer.from(imageAt(test, i)), { raw: { width: 28, height: 28, channels: 1 } })
    const expected = test.labels[i] as number
    const encoded: Record<string, Buffer> = {
      jpeg: await base.clone().jpeg({ quality: 95 }).toBuffer(),
      png: await base.clone().png().toBuffer(),
      webp: await base.clone().webp({ lossless: true }).toBuffer(),
      gif: await base.clone().gif().toBuffer(),
      tiff: await base.clone().tiff().toBuffer(),
      avif: await base.clone().avif({ quality: 90 }).toBuffer(),
    }
    for (const [format, bytes] of Object.entries(encoded)) {
      const r = await classify(ic, bytes, { top_k: 3 })
      assert.equal(r.image.format, format)
      assert.deepEqual([r.image.width, r.image.height], [28, 28])
      assert.equal(r.predictions.length, 3)
      assert.equal(r.predictions[0]?.index, expected, `${format}: ${JSON.stringify(r.predictions)}`)
    }
  })

  it('resizes, flattens transparency and converts colour as the manifest says', async () => {
    // a 3× larger RGBA image of a trouser: resized to 28×28, alpha flattened on black, converted to grey
    const i = 2
    const grey = await sharp(Buffer.from(imageAt(test, i)), { raw: { width: 28, height: 28, channels: 1 } })
      .resize(84, 84)
      .toColourspace('srgb')
      .ensureAlpha()
      .png()
      .toBuffer()
    const r = await classify(ic, grey)
    assert.deepEqual([r.image.width, r.image.height], [84, 84])
    assert.equal(r.predictions[0]?.index, test.labels[i])
  })

  it('classifies a few hundred real test images correctly, batching concurrent jobs', async () => {
    const n = 300
    const offset = 1000
    const inputs = await Promise.all(Array.from({ length: n }, (_, k) => png(offset + k)))
    const results = await Promise.all(inputs.map((b) => classify(ic, b, { top_k: 1 })))
    const correct = results.filter((r, k) => r.predictions[0]?.index === test.labels[offset + k]).length
    assert.ok(correct / n >= 0.88, `accuracy ${correct}/${n}`)
    assert.ok(
      results.some((r) => r.batch_size > 1),
      'concurrent jobs were never batched',
    )
    for (const r of results) assert.equal(r.model.id, 'fashion-mnist-cnn')
  })

  it('gives the same probabilities batched and unbatched', async () => {
    const solo = await createImageClassify({ providers: ['cpu'], batching: { maxBatch: 1 }, log: quiet })
    try {
      const inputs = await Promise.all([10, 11, 12, 13, 14, 15, 16, 17].map(png))
      const batched = await Promise.all(inputs.map((b) => classify(ic, b, { top_k: 10 })))
      const single = await Promise.all(inputs.map((b) => classify(solo, b, { top_k: 10 })))
      assert.ok(batched.some((r) => r.batch_size > 1))
      assert.ok(single.every((r) => r.batch_size === 1))
      for (let k = 0; k < inputs.length; k++) {
        const a = batched[k]!.predictions
        const b = single[k]!.predictions
        assert.deepEqual(
          a.map((p) => p.index),
          b.map((p) => p.index),
        )
        for (let j = 0; j < a.length; j++) assert.ok(Math.abs(a[j]!.probability - b[j]!.probability) < 1e-5)
      }
    } finally {
      await solo.close()
    }
  })

  it('serves a second model with another size, layout, channel count and normalisation from its manifest', async () => {
    // fashion-rgb32-nhwc: 32×32 RGB, NHWC, mean/std 0.5, logits (softmax applied by the handler)
    const n = 200
    const offset = 2000
    const inputs = await Promise.all(Array.from({ length: n }, (_, k) => png(offset + k)))
    const results = await Promise.all(inputs.map((b) => classify(ic, b, { model: 'fashion-rgb32-nhwc', top_k: 10 })))
    const correct = results.filter((r, k) => r.predictions[0]?.index === test.labels[offset + k]).length
    // a linear model over pixel positions: a wrong layout or size would leave it near chance (10%)
    assert.ok(correct / n >= 0.75, `accuracy ${correct}/${n}`)
    const sum = results[0]!.predictions.reduce((s, p) => s + p.probability, 0)
    assert.ok(Math.abs(sum - 1) < 1e-4, `softmax over logits sums to ${sum}`)
    assert.equal(results[0]!.model.id, 'fashion-rgb32-nhwc')
  })

  it('fails a corrupt image with invalid_image', async () => {
    const good = await sharp(Buffer.from(imageAt(test, 3)), { raw: { width: 28, height: 28, channels: 1 } })
      .jpeg()
      .toBuffer()
    const truncated = good.subarray(0, Math.floor(good.length / 2))
    for (const bad of [truncated, Buffer.from('this is not an image'), new Uint8Array(0)]) {
      const err = await failure(ic, bad)
      assert.equal(err.code, 'invalid_image', err.message)
      assert.equal(err.retryable, false)
    }
  })

  it('refuses a decompression bomb from its header, before decoding pixels', async () => {
    const bomb = pngClaiming(60_000, 60_000) // 3.6 gigapixels claimed in a ~1 KB file
    assert.ok(bomb.length < 2048)
    const before = process.memoryUsage().rss
    const err = await failure(ic, bomb)
    assert.equal(err.code, 'image_too_large')
    assert.match(err.message, /60000×60000/)
    assert.match(err.message, /refused before decoding/)
    // 3.6 GB of pixels were never allocated
    assert.ok(process.memoryUsage().rss - before < 256 * 1024 * 1024)
  })

  it('refuses input over the byte limit', async () => {
    const small = await createImageClassify({ providers: ['cpu'], maxInputBytes: 100, log: quiet })
    try {
      const err = await failure(small, await png(4))
      assert.equal(err.code, 'image_too_large')
    } finally {
      await small.close()
    }
  })

  it('fails an unknown model with unknown_model, naming the models it has', async () => {
    const err = await failure(ic, await png(5), { model: 'mobilenetv2' })
    assert.equal(err.code, 'unknown_model')
    assert.match(err.message, /fashion-mnist-cnn/)
  })

  it('rejects a manifest whose input shape does not match its model, at load, with a clear error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crank-image-'))
    try {
      const m = readManifest(DEFAULT_MANIFEST)
      const wrong = {
        ...JSON.parse(JSON.stringify({ ...m, labels: m.labels, manifestPath: undefined, modelPath: undefined })),
        id: 'wrong-size',
        file: m.modelPath,
        input: { ...m.input, width: 32, height: 32 },
      }
      const path = join(dir, 'wrong-size.json')
      await writeFile(path, JSON.stringify(wrong))
      await assert.rejects(
        loadModel(readManifest(path), { provider: 'cpu', batching: { maxBatch: 4, maxWaitMs: 1, maxInFlight: 1 }, intraOpThreads: 1 }),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, 'model_mismatch')
          assert.match(e.message, /NCHW \[batch, 1, 32, 32\]/)
          assert.match(e.message, /model expects \[batch, 1, 28, 28\]/)
          return true
        },
      )
      // through the capability, the same problem reaches the caller as model_load_failed
      const withWrong = await createImageClassify({ providers: ['cpu'], manifests: [path], log: quiet })
      try {
        const err = await failure(withWrong, await png(6), { model: 'wrong-size' })
        assert.equal(err.code, 'model_load_failed')
        assert.match(err.message, /model expects \[batch, 1, 28, 28\]/)
      } finally {
        await withWrong.close()
      }
      // a labels list of the wrong length is caught too
      await writeFile(path, JSON.stringify({ ...wrong, input: m.input, labels: ['a', 'b', 'c'] }))
      await assert.rejects(
        loadModel(readManifest(path), { provider: 'cpu', batching: { maxBatch: 4, maxWaitMs: 1, maxInFlight: 1 }, intraOpThreads: 1 }),
        /outputs 10 classes but the labels list has 3/,
      )
      // and a manifest that is not valid at all
      await writeFile(path, JSON.stringify({ ...wrong, input: { ...m.input, layout: 'CHW' } }))
      assert.throws(
        () => readManifest(path),
        (e: Error & { code?: string }) => e.code === 'invalid_model_manifest' && /layout/.test(e.message),
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('runs through a node, the path users take', async () => {
    const node = await createNode({
      capabilities: [ic.capability],
      transports: ['memory'],
      listen: ['/memory/image-classify-test'],
      logLevel: 'silent',
      trust: { openMesh: true },
    })
    await node.start()
    try {
      const handles = [20, 21, 22, 23].map(
        async (i) => node.submit({ capability: 'image.classify@^1', params: { top_k: 2 }, input: await png(i), route: 'local' }).result,
      )
      const results = await Promise.all(handles)
      for (const r of results) {
        const v = r.value as ImageClassifyResult
        assert.equal(v.predictions.length, 2)
        assert.equal(v.provider, 'cpu')
      }
      // a job that requires a GPU is never routed to this CPU-only provider
      const gpuJob = await node.submit({ capability: 'image.classify@^1', gpu: true, route: 'local', input: await png(24) }).outcome
      assert.equal(gpuJob.state, 'failed')
      assert.equal(gpuJob.error?.code, 'no_provider')
      assert.match(gpuJob.error?.message ?? '', /image.classify@\^1 with gpu/)
    } finally {
      await node.stop()
    }
  })
})
