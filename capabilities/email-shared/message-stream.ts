/**
 * The job loop both email capabilities share: split the input into messages
 * as it streams in, handle each one, and either return it (one message) or
 * stream one NDJSON line per message (an mbox), with bounded memory.
 */
import type { JobContext } from '../../src/capability.ts'
import { JobError } from '../../src/errors.ts'
import { splitMessages } from './mbox-split.ts'
import { NotAnEmailError } from './parse-email.ts'

export const DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024
export const MAX_MESSAGE_BYTES_LIMIT = 256 * 1024 * 1024

export const EMAIL_ERRORS = {
  message_too_large: { retryable: false, description: 'a message is larger than maxMessageBytes' },
  invalid_email: { retryable: false, description: 'the input holds no parseable RFC 5322 message' },
}

export interface StreamParams {
  format?: 'auto' | 'rfc822' | 'mbox'
  maxMessageBytes?: number
}

/** JSON Schema properties of StreamParams, shared by both capabilities' input schemas. */
export const STREAM_PARAM_SCHEMA = {
  format: {
    type: 'string',
    enum: ['auto', 'rfc822', 'mbox'],
    default: 'auto',
    description: '`auto`: an mbox when the input starts with a `From ` line and holds more than one message',
  },
  maxMessageBytes: { type: 'integer', minimum: 1, maximum: MAX_MESSAGE_BYTES_LIMIT, default: DEFAULT_MAX_MESSAGE_BYTES },
} as const

export interface MessageError {
  code: 'message_too_large' | 'invalid_email'
  message: string
}

export interface StreamSummary<T> {
  format: 'rfc822' | 'mbox'
  messages: number
  failed: number
  /** The result for the single message of an rfc822 input. */
  single?: T
}

/**
 * Runs `handle` on every message of the job's input. One message: its result is
 * returned and nothing is streamed; errors fail the job. An mbox: each result
 * (or error) is written as an NDJSON line `{index, ...line}` as soon as it is ready.
 */
export async function forEachMessage<P extends StreamParams, T>(
  ctx: JobContext<P>,
  handle: (bytes: Buffer) => Promise<T>,
  toLine: (result: T) => Record<string, unknown>,
): Promise<StreamSummary<T>> {
  const maxMessageBytes = ctx.params.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
  let messages = 0
  let failed = 0
  let oversize = 0
  let mbox = false
  const encoder = new TextEncoder()
  for await (const msg of splitMessages(ctx.input, { maxMessageBytes, format: ctx.params.format ?? 'auto' })) {
    if (ctx.signal.aborted) throw ctx.signal.reason
    messages++
    if (msg.index === 0 && msg.last && ctx.params.format !== 'mbox') {
      // A single message: the result carries it; errors fail the job.
      if (msg.oversize || msg.bytes === undefined) {
        throw new JobError('message_too_large', `the message is over ${maxMessageBytes} bytes (maxMessageBytes)`)
      }
      try {
        return { format: 'rfc822', messages: 1, failed: 0, single: await handle(msg.bytes) }
      } catch (err) {
        throw asJobError(err)
      }
    }
    mbox = true
    let line: Record<string, unknown>
    if (msg.oversize || msg.bytes === undefined) {
      failed++
      oversize++
      line = {
        index: msg.index,
        size: msg.size,
        error: {
          code: 'message_too_large',
          message: `message ${msg.index} is ${msg.size} bytes, over maxMessageBytes (${maxMessageBytes})`,
        },
      }
    } else {
      try {
        line = { index: msg.index, ...toLine(await handle(msg.bytes)) }
      } catch (err) {
        const e = asJobError(err)
        failed++
        line = { index: msg.index, size: msg.size, error: { code: e.code, message: e.message } }
      }
    }
    await ctx.write(encoder.encode(`${JSON.stringify(line)}\n`))
    ctx.progress({ done: messages, message: `${messages} messages` })
  }
  if (messages === 0) throw new JobError('invalid_email', 'the input is empty')
  if (mbox && failed === messages) {
    if (oversize === messages)
      throw new JobError('message_too_large', `all ${messages} messages are over maxMessageBytes (${maxMessageBytes})`)
    throw new JobError('invalid_email', `none of the ${messages} messages in the mailbox could be parsed`)
  }
  return { format: 'mbox', messages, failed }
}

function asJobError(err: unknown): JobError {
  if (err instanceof JobError) return err
  if (err instanceof NotAnEmailError) return new JobError('invalid_email', `not an email: ${err.message}`)
  // mailparser throws on input it cannot even tokenise; that is still bad input, not a crash.
  return new JobError('invalid_email', `the message could not be parsed: ${(err as Error).message}`)
}
