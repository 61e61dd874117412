import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import * as ort from 'onnxruntime-node'
import { readManifest } from '../capabilities/image.classify/manifest.ts'
import { allocParams, allocWorkspace, backward, type CnnArch, DEFAULT_ARCH, forward, initParams, normalise } from '../scripts/image/cnn.ts'
import { imageAt, loadFashionMnist, seededRandom } from '../scripts/image/fashion-mnist.ts'
import { readFloatInitializers } from '../scripts/image/onnx-builder.ts'
import { buildTrainingGraph, WEIGHT_NAMES, weightShapes } from '../scripts/image/train-graph.ts'

const manifestPath = new URL('../capabilities/image.classify/models/fashion-mnist-cnn.json', import.meta.url).pathname

describe('image.classify training and export', () => {
  it('the ONNX training graph computes the same loss and gradients as the TypeScript reference', async () => {
    const a: CnnArch = {
      ...DEFAULT_ARCH,
      conv1: { ...DEFAULT_ARCH.conv1, cout: 4 },
      conv2: { ...DEFAULT_ARCH.conv2, cin: 4, cout: 6 },
      hidden: 16,
    }
    const rand = seededRandom(11)
    const p = initParams(a, rand)
    const B = 4
    const x = new Float32Array(B * 784).map(() => rand() * 2 - 1)
    const y = [3, 0, 9, 3]
    const ws = allocWorkspace(a, B)
    const g = allocParams(a)
    forward(p, ws, x, B)
    const loss = backward(p, ws, y, B, g)
    const session = await ort.InferenceSession.create(buildTrainingGraph(a))
    const onehot = new Float32Array(B * 10)
    y.forEach((c, b) => {
      onehot[b * 10 + c] = 1
    })
    const shapes = weightShapes(a)
    const views = [p.w1, p.b1, p.w2, p.b2, p.w3, p.b3, p.w4, p.b4]
    const grads = [g.w1, g.b1, g.w2, g.b2, g.w3, g.b3, g.w4, g.b4]
    const feeds: Record<string, ort.Tensor> = {
      image: new ort.Tensor('float32', x, [B, 1, 28, 28]),
      onehot: new ort.Tensor('float32', onehot, [B, 10]),
      inv_batch: new ort.Tensor('float32', new Float32Array([1 / B]), []),
    }
    WEIGHT_NAMES.forEach((w, k) => {
      feeds[w] = new ort.Tensor('float32', (views[k] as Float32Array).slice(), shapes[w])
    })
    const out = await session.run(feeds)
    assert.ok(Math.abs(((out.loss as ort.Tensor).data[0] as number) - loss) < 1e-5)
    WEIGHT_NAMES.forEach((w, k) => {
      const got = out[`grad.${w}`]?.data as Float32Array
      const want = grads[k] as Float32Array
      assert.equal(got.length, want.length)
      let worst = 0
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs((got[i] as number) - (want[i] as number)))
      assert.ok(worst < 1e-5, `${w}: max |Δ| ${worst}`)
    })
    await session.release()
  })

  it('onnxruntime reproduces the TypeScript model on the committed default model', async () => {
    const m = readManifest(manifestPath)
    const arch = (m.training as { arch: CnnArch }).arch
    const inits = readFloatInitializers(readFileSync(m.modelPath))
    const flat = new Float32Array(allocParams(arch).flat.length)
    let off = 0
    for (const w of WEIGHT_NAMES) {
      const t = inits.get(w)
      assert.ok(t !== undefined, `initializer ${w} missing`)
      flat.set(t, off)
      off += t.length
    }
    const p = allocParams(arch, flat)
    const test = loadFashionMnist('test')
    const n = 64
    const x = new Float32Array(n * 784)
    for (let b = 0; b < n; b++) normalise(imageAt(test, 5000 + b), x, b * 784)
    const logits = forward(p, allocWorkspace(arch, n), x, n)
    const session = await ort.InferenceSession.create(m.modelPath)
    const probs = (await session.run({ image: new ort.Tensor('float32', x, [n, 1, 28, 28]) })).probabilities?.data as Float32Array
    let worst = 0
    for (let b = 0; b < n; b++) {
      let max = Number.NEGATIVE_INFINITY
      for (let c = 0; c < 10; c++) max = Math.max(max, logits[b * 10 + c] as number)
      let sum = 0
      for (let c = 0; c < 10; c++) sum += Math.exp((logits[b * 10 + c] as number) - max)
      for (let c = 0; c < 10; c++)
        worst = Math.max(worst, Math.abs(Math.exp((logits[b * 10 + c] as number) - max) / sum - (probs[b * 10 + c] as number)))
    }
    assert.ok(worst < 1e-4, `max |Δ probability| ${worst}`)
    await session.release()
  })
})
