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

/**
 * A capability that waits `params.ms`, then answers `{ waited }`; `hooks` hear each run start and
 * each run that completes (not one that is aborted), by job id. For counting how often a job ran.
 */
export function slowCapability(
  id: string,
  hooks: {
    onStart?: (jobId: string) => void
    onDone?: (jobId: string) => void
    maxMs?: number
    idempotent?: boolean
    /** Jobs at once (default: inline's 256); raise it for tests that hold more. */
    concurrency?: number
  } = {},
) {
  return defineCapability<{ ms: number }, { waited: number }>({
    id,
    version: '1.0.0',
    description: 'waits, then answers; reports starts and completions',
    ...(hooks.idempotent === undefined ? {} : { idempotent: hooks.idempotent }),
    ...(hooks.concurrency === undefined ? {} : { concurrency: hooks.concurrency }),
    input: { type: 'object', properties: { ms: { type: 'integer', minimum: 0 } }, required: ['ms'], additionalProperties: false },
    output: { type: 'object', properties: { waited: { type: 'integer' } }, required: ['waited'] },
    async handler(ctx) {
      hooks.onStart?.(ctx.jobId)
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, Math.min(ctx.params.ms, hooks.maxMs ?? ctx.params.ms))
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(t)
          reject(ctx.signal.reason)
        })
      })
      hooks.onDone?.(ctx.jobId)
      return { waited: ctx.params.ms }
    },
  })
}
