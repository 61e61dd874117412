/** The capability simulated providers serve: it holds a slot for a while, like a small real job. */
import { defineCapability } from '../src/capability.ts'

export const simWork = defineCapability<{ ms?: number }, { ok: true }>({
  id: 'sim.work',
  version: '1.0.0',
  description: 'holds a slot for a while, like a small real job',
  concurrency: 8,
  queue: { limit: 256 },
  input: { type: 'object', properties: { ms: { type: 'integer', minimum: 0 } }, additionalProperties: false },
  output: { type: 'object', properties: { ok: { const: true } }, required: ['ok'] },
  async handler(ctx) {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, ctx.params.ms ?? 5)
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(t)
        reject(ctx.signal.reason)
      })
    })
    return { ok: true }
  },
})
