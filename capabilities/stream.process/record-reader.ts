/**
 * Turns the job's input bytes into batches of records, one batch per input
 * chunk, pulling the next chunk only when the caller asks: the consumer's pace
 * is the producer's pace. Both formats check every record's size and UTF-8
 * before parsing it (ndjson-reader.ts, csv-reader.ts).
 */
import { readCsv } from './csv-reader.ts'
import type { Rec } from './expression.ts'
import { readNdjson } from './ndjson-reader.ts'

export interface Batch {
  records: Rec[]
  /** Reasons for records in this chunk that could not be read. */
  malformed: string[]
  bytes: number
}

export interface ReaderOptions {
  format: 'ndjson' | 'csv'
  maxRecordBytes: number
  csv: { delimiter: string; cast: boolean }
}

export function readRecords(input: AsyncIterable<Uint8Array>, opts: ReaderOptions): AsyncGenerator<Batch> {
  return opts.format === 'csv'
    ? readCsv(input, { maxRecordBytes: opts.maxRecordBytes, ...opts.csv })
    : readNdjson(input, opts.maxRecordBytes)
}
