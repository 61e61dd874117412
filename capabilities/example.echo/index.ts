/**
 * example.echo: streams its input back and echoes its params. Used by tests,
 * benchmarks and the demo to exercise the job path without any real work.
 */
import { defineCapability } from '../../src/capability.ts'
import { JobError } from '../../src/errors.ts'

export interface EchoParams {
  /** Anything; returned as-is in the result. */
  echo?: unknown
  /** Report progress every N input bytes (0 = never). */
  progressEvery?: number
  /** Wait this long before answering; lets tests and demos exercise cancellation and deadlines. */
  delayMs?: number
  /** Fail with this declared error code; lets tests exercise typed failures. */
  failWith?: 'echo_failed'
}

export interface EchoResult {
  echo: unknown
  bytes: number
  chunks: number
}

export default defineCapability<EchoParams, EchoResult>({
  id: 'example.echo',
  version: '1.0.0',
  description: 'Streams its input back and echoes its params.',
  module: import.meta.url,
  tags: ['example'],
  input: {
    type: 'object',
    additionalProperties: false,
    properties: {
      echo: {},
      progressEvery: { type: 'integer', minimum: 0 },
      delayMs: { type: 'integer', minimum: 0, maximum: 3_600_000 },
      failWith: { enum: ['echo_failed'] },
    },
  },
  output: {
    type: 'object',
    additionalProperties: false,
    required: ['bytes', 'chunks'],
    properties: { echo: {}, bytes: { type: 'integer' }, chunks: { type: 'integer' } },
  },
  errors: {
    echo_failed: { retryable: false, description: 'the caller asked the echo to fail' },
  },
  async handler(ctx) {
    let bytes = 0
    let chunks = 0
    let nextProgress = ctx.params.progressEvery ?? 0
    for await (const chunk of ctx.input) {
      ctx.signal.throwIfAborted()
      await ctx.write(chunk)
      bytes += chunk.byteLength
      chunks++
      if (nextProgress > 0 && bytes >= nextProgress) {
        ctx.progress({ done: bytes, message: 'echoing' })
        nextProgress = bytes + (ctx.params.progressEvery ?? 0)
      }
    }
    if (ctx.params.delayMs) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, ctx.params.delayMs)
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(t)
          reject(ctx.signal.reason)
        })
      })
    }
    if (ctx.params.failWith) throw new JobError(ctx.params.failWith, 'failing as asked')
    return { echo: ctx.params.echo ?? null, bytes, chunks }
  },
})
