/**
 * document.convert@1: converts among Markdown (CommonMark + GFM tables), HTML,
 * plain text, DOCX, PDF, CSV and JSON. The input streams in under a byte
 * limit; the format is detected from the bytes when `from` is not given; the
 * converted document streams out as the job's output, and the result says
 * what was done.
 */
import { defineCapability, type JobContext } from '../../src/capability.ts'
import { documentError, documentErrors } from './errors.ts'
import { FORMATS, type Format, MEDIA_TYPES } from './formats.ts'
import { readInput } from './read-input.ts'

export interface DocumentConvertParams {
  from?: Format
  to: Format
  title?: string
  standalone?: boolean
  rawHtml?: boolean
  csv?: { delimiter?: string; cast?: boolean }
  limits?: { maxBytes?: number; maxPages?: number; maxRows?: number; timeoutMs?: number; maxUncompressedBytes?: number }
}

export interface DocumentConvertResult {
  from: Format
  to: Format
  detected: boolean
  mediaType: string
  bytesIn: number
  bytesOut: number
  pages?: number
  rows?: number
  warnings: string[]
  durationMs: number
}

export const DEFAULT_LIMITS = {
  maxBytes: 25 * 1024 * 1024,
  maxPages: 500,
  maxRows: 1_000_000,
  timeoutMs: 60_000,
}

const OUTPUT_CHUNK = 64 * 1024

const formatSchema = { type: 'string', enum: [...FORMATS] }

export default defineCapability<DocumentConvertParams, DocumentConvertResult>({
  id: 'document.convert',
  version: '1.0.0',
  description:
    'Converts documents among markdown, html, text, docx and pdf, and tables between csv and json. Input and output are streamed bytes.',
  input: {
    type: 'object',
    properties: {
      from: { ...formatSchema, description: 'Input format; detected from the bytes when omitted.' },
      to: formatSchema,
      title: { type: 'string', maxLength: 500, description: 'Document title for DOCX/PDF metadata and standalone HTML.' },
      standalone: { type: 'boolean', description: 'HTML output as a full document rather than a fragment.' },
      rawHtml: { type: 'boolean', description: 'Let raw HTML in Markdown through (CommonMark does; default true).' },
      csv: {
        type: 'object',
        properties: { delimiter: { type: 'string', minLength: 1, maxLength: 1 }, cast: { type: 'boolean' } },
        additionalProperties: false,
      },
      limits: {
        type: 'object',
        properties: {
          maxBytes: { type: 'integer', minimum: 1, maximum: 512 * 1024 * 1024 },
          maxPages: { type: 'integer', minimum: 1, maximum: 100_000 },
          maxRows: { type: 'integer', minimum: 1, maximum: 100_000_000 },
          timeoutMs: { type: 'integer', minimum: 1, maximum: 3_600_000 },
          maxUncompressedBytes: { type: 'integer', minimum: 1, maximum: 2 * 1024 * 1024 * 1024 },
        },
        additionalProperties: false,
      },
    },
    required: ['to'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      from: formatSchema,
      to: formatSchema,
      detected: { type: 'boolean' },
      mediaType: { type: 'string' },
      bytesIn: { type: 'integer' },
      bytesOut: { type: 'integer' },
      pages: { type: 'integer' },
      rows: { type: 'integer' },
      warnings: { type: 'array', items: { type: 'string' } },
      durationMs: { type: 'number' },
    },
    required: ['from', 'to', 'detected', 'mediaType', 'bytesIn', 'bytesOut', 'warnings', 'durationMs'],
    additionalProperties: false,
  },
  errors: documentErrors,
  tags: ['cpu', 'document'],
  runtime: 'thread',
  concurrency: 2,
  module: import.meta.url,
  handler: convertDocument,
})

async function convertDocument(ctx: JobContext<DocumentConvertParams>): Promise<DocumentConvertResult> {
  const started = Date.now()
  const p = ctx.params
  const limits = { ...DEFAULT_LIMITS, ...p.limits }
  const timeLimitAt = started + limits.timeoutMs
  const checkTime = (): void => {
    ctx.signal.throwIfAborted()
    if (Date.now() > timeLimitAt) throw documentError('conversion_timeout', `conversion took longer than ${limits.timeoutMs} ms`)
  }

  // The converters pull in pdf.js, pdfkit, docx and mammoth (~0.8 s to load): load them on first use, not when the catalogue is imported.
  const [{ convert }, { sniffFormat }, { DEFAULT_ZIP_LIMITS }] = await Promise.all([
    import('./convert.ts'),
    import('./sniff.ts'),
    import('./zip-guard.ts'),
  ])
  const bytes = await readInput(ctx.input, limits.maxBytes, ctx.signal)
  ctx.progress({ done: bytes.byteLength, message: 'input received' })
  const from = p.from ?? (await sniffFormat(bytes))
  const out = await withTimeLimit(
    convert(bytes, {
      from,
      to: p.to,
      title: p.title ?? 'Document',
      standalone: p.standalone ?? false,
      rawHtml: p.rawHtml ?? true,
      csv: p.csv ?? {},
      maxPages: limits.maxPages,
      maxRows: limits.maxRows,
      zip: {
        ...DEFAULT_ZIP_LIMITS,
        ...(p.limits?.maxUncompressedBytes === undefined ? {} : { maxUncompressedBytes: p.limits.maxUncompressedBytes }),
      },
      checkTime,
    }),
    timeLimitAt - Date.now(),
    limits.timeoutMs,
  )
  // Read the size first: under the thread runtime a written chunk that owns its buffer is moved, not copied.
  const bytesOut = out.bytes.byteLength
  for (let off = 0; off < bytesOut; off += OUTPUT_CHUNK) {
    await ctx.write(out.bytes.subarray(off, off + OUTPUT_CHUNK))
  }
  return {
    from,
    to: p.to,
    detected: p.from === undefined,
    mediaType: MEDIA_TYPES[p.to],
    bytesIn: bytes.byteLength,
    bytesOut,
    ...(out.pages === undefined ? {} : { pages: out.pages }),
    ...(out.rows === undefined ? {} : { rows: out.rows }),
    warnings: out.warnings,
    durationMs: Date.now() - started,
  }
}

/** Rejects when the time limit passes even if a library step never yields to our checks. */
async function withTimeLimit<T>(work: Promise<T>, remainingMs: number, limitMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(documentError('conversion_timeout', `conversion took longer than ${limitMs} ms`)),
      Math.max(0, remainingMs),
    )
  })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}
