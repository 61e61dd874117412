/**
 * stream.process@1: a long-lived job over a stream of records (NDJSON or CSV)
 * through a pipeline of operators — filter, map, project, windows, dedupe,
 * sample — to a stream of records. It reads its input one chunk at a time and
 * awaits each output write, so a slow consumer slows the producer end to end
 * and memory stays bounded by the operators' own caps.
 */
import { defineCapability, type JobContext } from '../../src/capability.ts'
import { streamError, streamErrors } from './errors.ts'
import { buildStages, type OperatorSpec, runStages } from './pipeline.ts'
import { readRecords } from './record-reader.ts'
import { RecordWriter } from './record-writer.ts'
import { paramsSchema, resultSchema } from './schema.ts'
import type { RejectSink } from './stage.ts'

export type { OperatorSpec }

export interface StreamProcessParams {
  format?: 'ndjson' | 'csv'
  outputFormat?: 'ndjson' | 'csv'
  csv?: { delimiter?: string; cast?: boolean; columns?: string[] }
  pipeline: OperatorSpec[]
  onMalformed?: 'continue' | 'fail'
  onLate?: 'continue' | 'fail'
  maxMalformed?: number
  maxRecordBytes?: number
  batchBytes?: number
  progressEvery?: number
}

export interface StreamProcessResult {
  recordsIn: number
  recordsOut: number
  malformed: number
  late: number
  bytesIn: number
  bytesOut: number
  durationMs: number
  operators: { op: string; stats: Record<string, number> }[]
  rejects: string[]
}

const MAX_REJECT_SAMPLES = 10
/** `maxRecordBytes` default: 1 MiB. */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024
/** `batchBytes` default: 64 KiB. */
export const DEFAULT_BATCH_BYTES = 64 * 1024
/** `progressEvery` default. */
export const DEFAULT_PROGRESS_EVERY = 10_000

export default defineCapability<StreamProcessParams, StreamProcessResult>({
  id: 'stream.process',
  version: '1.0.0',
  description:
    'Runs NDJSON or CSV records through filter/map/project/window/dedupe/sample operators, streaming records out with end-to-end backpressure.',
  input: paramsSchema,
  output: resultSchema,
  errors: streamErrors,
  tags: ['cpu', 'stream'],
  runtime: 'inline',
  concurrency: 8,
  module: import.meta.url,
  handler: processStream,
})

async function processStream(ctx: JobContext<StreamProcessParams>): Promise<StreamProcessResult> {
  const started = Date.now()
  const p = ctx.params
  const format = p.format ?? 'ndjson'
  /** `unreadable`: records the reader could not parse (a subset of `malformed`, which also counts unusable fields). */
  const counts = { recordsIn: 0, malformed: 0, unreadable: 0, late: 0, bytesIn: 0 }
  const rejects: string[] = []
  const note = (reason: string): void => {
    if (rejects.length < MAX_REJECT_SAMPLES) rejects.push(reason)
  }
  const malformed = (reason: string): void => {
    counts.malformed++
    note(`malformed: ${reason}`)
    if (p.onMalformed === 'fail') throw streamError('malformed_record', `malformed record: ${reason}`, { recordsIn: counts.recordsIn })
    if (p.maxMalformed !== undefined && counts.malformed > p.maxMalformed) {
      throw streamError('malformed_record', `more than ${p.maxMalformed} malformed records (last: ${reason})`, {
        malformed: counts.malformed,
      })
    }
  }
  const sink: RejectSink = {
    reject(kind, reason) {
      if (kind === 'malformed') return malformed(reason)
      counts.late++
      note(`late: ${reason}`)
      if (p.onLate === 'fail') throw streamError('late_record', `late record: ${reason}`, { recordsIn: counts.recordsIn })
    },
  }
  const stages = buildStages(p.pipeline, sink)
  const writer = new RecordWriter(p.outputFormat ?? format, p.batchBytes ?? DEFAULT_BATCH_BYTES, (c) => ctx.write(c), p.csv?.columns)
  const progressEvery = p.progressEvery ?? DEFAULT_PROGRESS_EVERY
  let nextProgress = progressEvery

  const batches = readRecords(ctx.input, {
    format,
    maxRecordBytes: p.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
    csv: { delimiter: p.csv?.delimiter ?? ',', cast: p.csv?.cast ?? false },
  })
  for await (const batch of batches) {
    ctx.signal.throwIfAborted()
    counts.bytesIn += batch.bytes
    counts.recordsIn += batch.records.length + batch.malformed.length
    counts.unreadable += batch.malformed.length
    for (const reason of batch.malformed) malformed(reason)
    await writer.add(runStages(stages, batch.records, false))
    // One output write per input chunk at most: records never wait for more input to leave.
    await writer.flush()
    if (counts.recordsIn >= nextProgress) {
      nextProgress = counts.recordsIn + progressEvery
      ctx.progress({ done: counts.recordsIn, message: `${writer.recordsOut} out, ${counts.malformed} malformed, ${counts.late} late` })
    }
  }
  if (counts.recordsIn > 0 && counts.unreadable === counts.recordsIn) throw noValidRecords(format, counts.recordsIn, rejects)
  await writer.add(runStages(stages, [], true))
  await writer.flush()
  ctx.progress({ done: counts.recordsIn, total: counts.recordsIn, message: `done: ${writer.recordsOut} out` })
  return {
    recordsIn: counts.recordsIn,
    recordsOut: writer.recordsOut,
    malformed: counts.malformed,
    late: counts.late,
    bytesIn: counts.bytesIn,
    bytesOut: writer.bytesOut,
    durationMs: Date.now() - started,
    operators: stages.map((s) => ({ op: s.name, stats: s.stats() })),
    rejects,
  }
}

/** Every record failed to parse: almost always the wrong `format` (or CSV delimiter), so the job fails and says so. */
function noValidRecords(format: 'ndjson' | 'csv', recordsIn: number, rejects: readonly string[]): Error {
  const hint = rejects.some((r) => r.endsWith('not valid UTF-8'))
    ? 'the input must be UTF-8 (UTF-16 or Latin-1 text must be converted first)'
    : format === 'ndjson'
      ? 'the input was read as NDJSON (the default); if it is CSV, set format: "csv"'
      : 'the input was read as CSV; if it is NDJSON, set format: "ndjson", and check csv.delimiter'
  return streamError('no_valid_records', `none of the ${recordsIn} records could be read: ${hint} (first: ${rejects[0] ?? '?'})`, {
    recordsIn,
    format,
  })
}
