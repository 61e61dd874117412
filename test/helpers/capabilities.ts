import { defineCapability } from '../../src/index.ts'

/**
 * A capability that waits `ms` reading nothing, then answers `{waited}`; an abort rejects it with
 * the signal's reason. `onAbort` sees the job id and the reason's code, for tests that check the
 * far side of a cancel or deadline.
 */
export function waitingCapability(id: string, onAbort?: (jobId: string, code: string | undefined) => void) {
  return defineCapability<{ ms: number }, { waited: number }>({
    id,
    version: '1.0.0',
    description: 'waits, reading nothing, until done or aborted',
    input: { type: 'object', properties: { ms: { type: 'integer', minimum: 0 } }, required: ['ms'], additionalProperties: false },
    output: { type: 'object', properties: { waited: { type: 'integer' } }, required: ['waited'] },
    async handler(ctx) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, ctx.params.ms)
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(t)
          onAbort?.(ctx.jobId, (ctx.signal.reason as { code?: string }).code)
          reject(ctx.signal.reason)
        })
      })
      return { waited: ctx.params.ms }
    },
  })
}
