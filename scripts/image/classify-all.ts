/**
 * Runs many images through an image.classify capability in-process (the executor a node uses,
 * no network), a fixed number in flight so that jobs batch as they do on a busy node.
 */
import type { ImageClassify, ImageClassifyResult } from '../../capabilities/image.classify/create.ts'
import { runCapability } from '../../src/testing.ts'

export async function classifyAll(
  ic: ImageClassify,
  inputs: ArrayLike<Uint8Array> | ((i: number) => Promise<Uint8Array>),
  count: number,
  params: Record<string, unknown> = {},
  inFlight = 64,
): Promise<ImageClassifyResult[]> {
  const results = new Array<ImageClassifyResult>(count)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++
      const input = typeof inputs === 'function' ? await inputs(i) : (inputs[i] as Uint8Array)
      const r = await runCapability(ic.capability, { input, params })
      if (r.outcome.state !== 'succeeded') throw new Error(`image ${i}: ${JSON.stringify(r.outcome)}`)
      results[i] = r.outcome.result as ImageClassifyResult
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  return results
}
