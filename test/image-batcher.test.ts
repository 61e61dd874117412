import assert from 'node:assert/strict'
import { DynamicBatcher } from '../capabilities/image.classify/batcher.ts'

/** A model stand-in: output row i = [sum of sample i, batch size]. The batcher itself is what is under test. */
function recorder(): { sizes: number[]; run: (x: Float32Array, n: number) => Promise<Float32Array> } {
  const sizes: number[] = []
  return {
    sizes,
    run: async (x, n) => {
      sizes.push(n)
      await new Promise((r) => setTimeout(r, 1))
      const out = new Float32Array(n * 2)
      for (let i = 0; i < n; i++) {
        out[i * 2] = x[i * 3]! + x[i * 3 + 1]! + x[i * 3 + 2]!
        out[i * 2 + 1] = n
      }
      return out
    },
  }
}

describe('image.classify dynamic batcher', () => {
  it('batches concurrent samples up to maxBatch and returns each its own row', async () => {
    const r = recorder()
    const b = new DynamicBatcher(r.run, 3, 2, { maxBatch: 32, maxWaitMs: 5, maxInFlight: 1 })
    const results = await Promise.all(Array.from({ length: 70 }, (_, i) => b.submit(Float32Array.of(i, i, i))))
    results.forEach((res, i) => {
      assert.equal(res.output[0], 3 * i)
      assert.equal(res.batchSize, res.output[1])
    })
    assert.deepEqual(r.sizes, [32, 32, 6])
    assert.equal(b.samples, 70)
  })

  it('runs a lone sample after maxWait, and maxBatch 1 turns batching off', async () => {
    const r = recorder()
    const b = new DynamicBatcher(r.run, 3, 2, { maxBatch: 32, maxWaitMs: 2, maxInFlight: 1 })
    assert.equal((await b.submit(Float32Array.of(1, 2, 3))).batchSize, 1)
    const off = recorder()
    const solo = new DynamicBatcher(off.run, 3, 2, { maxBatch: 1, maxWaitMs: 2, maxInFlight: 1 })
    await Promise.all(Array.from({ length: 5 }, () => solo.submit(Float32Array.of(0, 0, 0))))
    assert.deepEqual(off.sizes, [1, 1, 1, 1, 1])
  })

  it('fails every job of a batch whose run fails, and keeps serving', async () => {
    let fail = true
    const b = new DynamicBatcher(
      async (_x, n) => {
        if (fail) throw new Error('boom')
        return new Float32Array(n * 2)
      },
      3,
      2,
      { maxBatch: 4, maxWaitMs: 1, maxInFlight: 1 },
    )
    const first = await Promise.allSettled([1, 2, 3].map(() => b.submit(new Float32Array(3))))
    assert.ok(first.every((s) => s.status === 'rejected'))
    fail = false
    assert.equal((await b.submit(new Float32Array(3))).output.length, 2)
    await assert.rejects(b.submit(new Float32Array(2)), RangeError)
  })
})
