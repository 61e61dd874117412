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

  it('with a dropout mask, the training graph matches the reference with that mask folded into fc2', async () => {
    const a: CnnArch = {
      ...DEFAULT_ARCH,
      conv1: { ...DEFAULT_ARCH.conv1, cout: 4 },
      conv2: { ...DEFAULT_ARCH.conv2, cin: 4, cout: 6 },
      hidden: 16,
    }
    const rand = seededRandom(12)
    const p = initParams(a, rand)
    const B = 4
    const x = new Float32Array(B * 784).map(() => rand() * 2 - 1)
    const y = [1, 7, 7, 2]
    // the same mask for every sample, so it folds into fc2's columns: logits = W4·(m ⊙ h) = (W4·diag m)·h
    const m = Float32Array.from({ length: a.hidden }, (_, h) => (h % 3 === 0 ? 0 : 1.5))
    const folded = allocParams(a, p.flat.slice())
    for (let c = 0; c < a.classes; c++)
      for (let h = 0; h < a.hidden; h++) folded.w4[c * a.hidden + h] = (p.w4[c * a.hidden + h] as number) * (m[h] as number)
    const ws = allocWorkspace(a, B)
    const g = allocParams(a)
    forward(folded, ws, x, B)
    const loss = backward(folded, ws, y, B, g)
    const session = await ort.InferenceSession.create(buildTrainingGraph(a, { dropout: true }))
    const onehot = new Float32Array(B * 10)
    y.forEach((c, b) => {
      onehot[b * 10 + c] = 1
    })
    const mask = new Float32Array(B * a.hidden)
    for (let b = 0; b < B; b++) mask.set(m, b * a.hidden)
    const shapes = weightShapes(a)
    const views = [p.w1, p.b1, p.w2, p.b2, p.w3, p.b3, p.w4, p.b4]
    const feeds: Record<string, ort.Tensor> = {
      image: new ort.Tensor('float32', x, [B, 1, 28, 28]),
      onehot: new ort.Tensor('float32', onehot, [B, 10]),
      inv_batch: new ort.Tensor('float32', new Float32Array([1 / B]), []),
      drop_mask: new ort.Tensor('float32', mask, [B, a.hidden]),
    }
    WEIGHT_NAMES.forEach((w, k) => {
      feeds[w] = new ort.Tensor('float32', (views[k] as Float32Array).slice(), shapes[w])
    })
    const out = await session.run(feeds)
    assert.ok(Math.abs(((out.loss as ort.Tensor).data[0] as number) - loss) < 1e-5)
    // d loss/d W4[c,h] = m[h] · d loss/d W4'[c,h]; every other gradient is the folded model's
    const want = [g.w1, g.b1, g.w2, g.b2, g.w3, g.b3, g.w4.map((v, i) => v * (m[i % a.hidden] as number)), g.b4]
    WEIGHT_NAMES.forEach((w, k) => {
      const got = out[`grad.${w}`]?.data as Float32Array
      const exp = want[k] as Float32Array
      assert.equal(got.length, exp.length)
      let worst = 0
      for (let i = 0; i < exp.length; i++) worst = Math.max(worst, Math.abs((got[i] as number) - (exp[i] as number)))
      assert.ok(worst < 1e-5, `${w}: max |Δ| ${worst}`)
    })
    // the dropped units get no gradient in fc1
    const gw3 = out['grad.fc1.weight']?.data as Float32Array
    const F = gw3.length / a.hidden
    for (let i = 0; i < F; i++) assert.equal(gw3[i], 0)
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
