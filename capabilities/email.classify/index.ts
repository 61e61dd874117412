/**
 * email.classify@1: spam or ham with a probability, from a model the project
 * trains on the SpamAssassin corpus (scripts/email/train.ts) and runs with
 * onnxruntime-node. One message in, one verdict as the result; an mbox in,
 * one NDJSON verdict per message streamed out as each is read.
 */
import { defineCapability } from '../../src/capability.ts'
import { extractFeatures } from '../email-shared/features.ts'
import { EMAIL_ERRORS, forEachMessage, STREAM_PARAM_SCHEMA, type StreamParams } from '../email-shared/message-stream.ts'
import { parseMessage } from '../email-shared/parse-email.ts'
import { loadModel } from './model.ts'

export interface EmailClassifyParams extends StreamParams {
  /** Spam when probability > threshold; defaults to the model's. */
  threshold?: number
}

export interface Verdict {
  label: 'spam' | 'ham'
  /** Probability that the message is spam. */
  probability: number
  subject?: string
  messageId?: string
}

export interface EmailClassifyResult {
  format: 'rfc822' | 'mbox'
  messages: number
  failed: number
  spam: number
  ham: number
  threshold: number
  /** The verdict, for a single-message input. */
  label?: 'spam' | 'ham'
  probability?: number
  subject?: string
  messageId?: string
}

const verdictProps = {
  label: { type: 'string', enum: ['spam', 'ham'] },
  probability: { type: 'number', minimum: 0, maximum: 1 },
  subject: { type: 'string' },
  messageId: { type: 'string' },
} as const

export default defineCapability<EmailClassifyParams, EmailClassifyResult>({
  id: 'email.classify',
  version: '1.0.0',
  description: 'Spam or ham with a probability, for one RFC 5322 message or every message of an mbox (streamed as NDJSON)',
  input: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...STREAM_PARAM_SCHEMA,
      threshold: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'spam when probability > threshold' },
    },
  },
  output: {
    type: 'object',
    required: ['format', 'messages', 'failed', 'spam', 'ham', 'threshold'],
    additionalProperties: false,
    properties: {
      format: { type: 'string', enum: ['rfc822', 'mbox'] },
      messages: { type: 'integer', minimum: 0 },
      failed: { type: 'integer', minimum: 0 },
      spam: { type: 'integer', minimum: 0 },
      ham: { type: 'integer', minimum: 0 },
      threshold: { type: 'number' },
      ...verdictProps,
    },
  },
  errors: EMAIL_ERRORS,
  tags: ['email', 'cpu', 'onnx'],
  runtime: 'inline',
  concurrency: 2,
  resources: { memoryMb: 256 },
  module: import.meta.url,
  async handler(ctx) {
    const model = await loadModel()
    const threshold = ctx.params.threshold ?? model.config.threshold
    let spam = 0
    let ham = 0
    const summary = await forEachMessage(
      ctx,
      async (bytes): Promise<Verdict> => {
        const parsed = await parseMessage(bytes)
        const [probability] = await model.predict([extractFeatures(parsed, model.config.features)])
        const p = Math.round((probability as number) * 1e6) / 1e6
        const verdict: Verdict = { label: p > threshold ? 'spam' : 'ham', probability: p }
        if (verdict.label === 'spam') spam++
        else ham++
        if (parsed.mail.subject !== undefined) verdict.subject = parsed.mail.subject
        if (parsed.mail.messageId !== undefined) verdict.messageId = parsed.mail.messageId
        return verdict
      },
      (verdict) => ({ ...verdict }),
    )
    return { format: summary.format, messages: summary.messages, failed: summary.failed, spam, ham, threshold, ...(summary.single ?? {}) }
  },
})
