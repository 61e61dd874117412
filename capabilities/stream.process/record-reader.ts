/**
 * Turns the job's input bytes into batches of records, one batch per input
 * chunk, pulling the next chunk only when the caller asks: the consumer's pace
 * is the producer's pace. NDJSON is split here (a line over maxRecordBytes is
 * malformed and skipped without being buffered); CSV goes through csv-parse,
 * fed chunk by chunk and drained synchronously so a batch never waits for
 * more input.
 */
import { parse as csvParser } from 'csv-parse'
import type { Rec } from './expression.ts'

export interface Batch {
  records: Rec[]
  /** Reasons for records in this chunk that could not be parsed. */
  malformed: string[]
  bytes: number
}

export interface ReaderOptions {
  format: 'ndjson' | 'csv'
  maxRecordBytes: number
  csv: { delimiter?: string; cast?: boolean }
}

export function readRecords(input: AsyncIterable<Uint8Array>, opts: ReaderOptions): AsyncGenerator<Batch> {
  return opts.format === 'csv' ? readCsv(input, opts) : readNdjson(input, opts.maxRecordBytes)
}

async function* readNdjson(input: AsyncIterable<Uint8Array>, maxRecordBytes: number): AsyncGenerator<Batch> {
  const decoder = new TextDecoder()
  let carry = ''
  let skippingLongLine = false
  let lineNo = 0
  const parseLine = (line: string, batch: Batch): void => {
    lineNo++
    if (line.trim() === '') return
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      batch.malformed.push(`line ${lineNo}: not JSON`)
      return
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) batch.malformed.push(`line ${lineNo}: not a JSON object`)
    else batch.records.push(value as Rec)
  }
  for await (const chunk of input) {
    const batch: Batch = { records: [], malformed: [], bytes: chunk.byteLength }
    const text = carry + decoder.decode(chunk, { stream: true })
    let start = 0
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      if (skippingLongLine) {
        skippingLongLine = false
        lineNo++
      } else parseLine(text.slice(start, nl), batch)
      start = nl + 1
    }
    carry = text.slice(start)
    if (carry.length > maxRecordBytes) {
      if (!skippingLongLine) batch.malformed.push(`line ${lineNo + 1}: longer than ${maxRecordBytes} bytes`)
      skippingLongLine = true
      carry = ''
    }
    yield batch
  }
  const rest = carry + decoder.decode()
  if (!skippingLongLine && rest.trim() !== '') {
    const batch: Batch = { records: [], malformed: [], bytes: 0 }
    parseLine(rest, batch)
    yield batch
  }
}

async function* readCsv(input: AsyncIterable<Uint8Array>, opts: ReaderOptions): AsyncGenerator<Batch> {
  const malformed: string[] = []
  const parser = csvParser({
    columns: true,
    bom: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    cast: opts.csv.cast ?? true,
    delimiter: opts.csv.delimiter ?? ',',
    max_record_size: opts.maxRecordBytes,
  })
  parser.on('skip', (err: Error & { lines?: number }) => {
    malformed.push(`line ${err.lines ?? '?'}: ${err.message}`)
  })
  const drain = (bytes: number): Batch => {
    const records: Rec[] = []
    for (let r = parser.read() as Rec | null; r !== null; r = parser.read() as Rec | null) records.push(r)
    return { records, malformed: malformed.splice(0), bytes }
  }
  for await (const chunk of input) {
    parser.write(chunk)
    yield drain(chunk.byteLength)
  }
  parser.end()
  const records: Rec[] = []
  for await (const r of parser) records.push(r as Rec)
  yield { records, malformed: malformed.splice(0), bytes: 0 }
}
