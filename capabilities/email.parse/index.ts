/**
 * email.parse@1: RFC 5322 / MIME bytes to structured JSON, built on mailparser.
 * One message in, one parsed email out; an mbox in, one NDJSON line per message
 * streamed out as each is parsed.
 */
import { defineCapability } from '../../src/capability.ts'
import { PARSED_EMAIL_SCHEMA } from '../email-shared/email-schema.ts'
import { EMAIL_ERRORS, forEachMessage, STREAM_PARAM_SCHEMA, type StreamParams } from '../email-shared/message-stream.ts'
import { type ParsedEmail, parseMessage, toParsedEmail } from '../email-shared/parse-email.ts'

export interface EmailParseParams extends StreamParams {
  /** Include each attachment's bytes (base64) in the result. */
  includeContent?: boolean
}

export interface EmailParseResult {
  format: 'rfc822' | 'mbox'
  messages: number
  failed: number
  /** The parsed message, for a single-message input. */
  email?: ParsedEmail
}

export default defineCapability<EmailParseParams, EmailParseResult>({
  id: 'email.parse',
  version: '1.0.0',
  description:
    'Parses an RFC 5322 message (or an mbox, streaming one NDJSON line per message) into headers, addresses, subject, date, text, html and attachments with sha256',
  input: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...STREAM_PARAM_SCHEMA,
      includeContent: { type: 'boolean', default: false, description: 'include attachment bytes, base64' },
    },
  },
  output: {
    type: 'object',
    required: ['format', 'messages', 'failed'],
    additionalProperties: false,
    properties: {
      format: { type: 'string', enum: ['rfc822', 'mbox'] },
      messages: { type: 'integer', minimum: 0 },
      failed: { type: 'integer', minimum: 0 },
      email: PARSED_EMAIL_SCHEMA,
    },
  },
  errors: EMAIL_ERRORS,
  tags: ['email', 'cpu'],
  runtime: 'inline',
  concurrency: 2,
  module: import.meta.url,
  async handler(ctx) {
    const includeContent = ctx.params.includeContent ?? false
    const summary = await forEachMessage(
      ctx,
      async (bytes) => toParsedEmail(await parseMessage(bytes), { includeContent, size: bytes.length }),
      (email) => ({ email }),
    )
    const result: EmailParseResult = { format: summary.format, messages: summary.messages, failed: summary.failed }
    if (summary.single !== undefined) result.email = summary.single
    return result
  },
})
