/**
 * CSV input. A byte scanner finds record boundaries first (a newline inside a
 * quoted field stays in its record; LF, CRLF and CR all end one), so each
 * record's size and UTF-8 validity are checked before csv-parse sees it: a
 * record over `maxRecordBytes` is skipped without being buffered past the
 * limit, one with invalid UTF-8 is malformed, and neither costs the rest of
 * the file. (csv-parse's own max_record_size, under skip_records_with_error,
 * loses every record after the first long one.) A dropped record is replaced
 * by its line terminator, which csv-parse skips as an empty line, so the
 * parser stays in step. Records that pass go to csv-parse, fed chunk by chunk
 * and drained synchronously so a batch never waits for more input.
 */
import { Buffer, isUtf8 } from 'node:buffer'
import { parse as csvParser } from 'csv-parse'
import { castCell } from './csv-cast.ts'
import type { Rec } from './expression.ts'
import type { Batch } from './record-reader.ts'

const LF = 0x0a
const CR = 0x0d
const QUOTE = 0x22

export interface CsvReaderOptions {
  maxRecordBytes: number
  /** One ASCII character (the schema says so): the scanner compares bytes. */
  delimiter: string
  cast: boolean
}

export async function* readCsv(input: AsyncIterable<Uint8Array>, opts: CsvReaderOptions): AsyncGenerator<Batch> {
  const malformed: string[] = []
  const parser = csvParser({
    columns: uniqueColumns,
    bom: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    // Quoting is how a CSV writer says "text": only bare cells are cast, and the header never.
    cast: opts.cast ? (value, ctx) => (ctx.header || ctx.quoting ? value : castCell(value)) : false,
    delimiter: opts.delimiter,
  })
  parser.on('skip', (err: Error & { lines?: number }) => {
    malformed.push(`line ${err.lines ?? '?'}: ${err.message}`)
  })
  const scanner = csvRecordScanner(opts.delimiter.charCodeAt(0), opts.maxRecordBytes, {
    feed: (bytes) => {
      if (bytes.byteLength > 0) parser.write(bytes)
    },
    reject: (reason) => malformed.push(reason),
  })
  const drain = (bytes: number): Batch => {
    const records: Rec[] = []
    for (let r = parser.read() as Rec | null; r !== null; r = parser.read() as Rec | null) records.push(r)
    return { records, malformed: malformed.splice(0), bytes }
  }
  for await (const chunk of input) {
    scanner.push(chunk)
    yield drain(chunk.byteLength)
  }
  scanner.end()
  parser.end()
  const records: Rec[] = []
  for await (const r of parser) records.push(r as Rec)
  yield { records, malformed: malformed.splice(0), bytes: 0 }
}

/**
 * Header names, a repeated one suffixed `_2`, `_3`… (skipping names already
 * taken): exports often repeat a column name, and an object keeps only one.
 */
export function uniqueColumns(header: string[]): string[] {
  const taken = new Set(header)
  const seen = new Set<string>()
  return header.map((name) => {
    if (!seen.has(name)) {
      seen.add(name)
      return name
    }
    let k = 2
    while (taken.has(`${name}_${k}`)) k++
    const unique = `${name}_${k}`
    taken.add(unique)
    return unique
  })
}

interface ScannerSink {
  /** Bytes of whole records that passed, in input order. */
  feed(bytes: Uint8Array): void
  reject(reason: string): void
}

/**
 * Splits CSV bytes into records the way csv-parse does: a quote opens a quoted
 * field only at the start of a field, `""` inside one is an escaped quote, and
 * a line terminator outside quotes ends the record. Complete records are fed
 * on; the unfinished tail of a chunk is held (up to `maxRecordBytes`).
 */
export function csvRecordScanner(
  delimiter: number,
  maxRecordBytes: number,
  sink: ScannerSink,
): { push(chunk: Uint8Array): void; end(): void } {
  let inQuote = false
  let fieldStart = true
  let afterClose = false
  let prevCR = false
  /** Physical line (1-based) the scanner is on, and the one the current record started on. */
  let line = 1
  let recordLine = 1
  let carry: Uint8Array[] = []
  let carryBytes = 0
  /** The current record is over the limit: drop its bytes up to its terminator. */
  let skipping = false

  const tooLong = (): void => sink.reject(`line ${recordLine}: longer than ${maxRecordBytes} bytes`)
  const notUtf8 = (at: number): void => sink.reject(`line ${at}: not valid UTF-8`)

  return {
    push(chunk) {
      /** Start of the current record in this chunk (a carried record continues at 0). */
      let start = 0
      /** Start of complete in-chunk records not yet fed, and their ends and lines (kept for the invalid-UTF-8 path). */
      let pending = 0
      const ends: number[] = []
      const lines: number[] = []
      const flushPending = (upTo: number): void => {
        if (upTo <= pending) return
        const region = chunk.subarray(pending, upTo)
        if (isUtf8(region)) sink.feed(region)
        else {
          let from = pending
          for (let k = 0; k < ends.length; k++) {
            const to = ends[k] as number
            const rec = chunk.subarray(from, to)
            if (isUtf8(rec)) sink.feed(rec)
            else {
              notUtf8(lines[k] as number)
              sink.feed(terminator(rec))
            }
            from = to
          }
        }
        ends.length = 0
        lines.length = 0
        pending = upTo
      }
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i] as number
        if (inQuote) {
          if (b === QUOTE) {
            inQuote = false
            afterClose = true
          } else if (b === LF) line++
          continue
        }
        if (b === QUOTE) {
          if (fieldStart || afterClose) inQuote = true
          fieldStart = false
          afterClose = false
          prevCR = false
          continue
        }
        afterClose = false
        if (b === delimiter) {
          fieldStart = true
          prevCR = false
          continue
        }
        if (b !== LF && b !== CR) {
          fieldStart = false
          prevCR = false
          continue
        }
        // A terminator: the record is chunk[start, i] (plus any carry), its terminator included.
        if (!(b === LF && prevCR)) line++
        prevCR = b === CR
        fieldStart = true
        const end = i + 1
        const carried = carry.length > 0 || skipping
        if (skipping) {
          skipping = false
          sink.feed(chunk.subarray(i, end))
          pending = end
        } else if (carryBytes + (end - 1 - start) > maxRecordBytes) {
          flushPending(start)
          tooLong()
          sink.feed(chunk.subarray(i, end))
          pending = end
        } else if (carried) {
          carry.push(chunk.subarray(0, end))
          const rec = Buffer.concat(carry)
          if (isUtf8(rec)) sink.feed(rec)
          else {
            notUtf8(recordLine)
            sink.feed(chunk.subarray(i, end))
          }
          pending = end
        } else {
          ends.push(end)
          lines.push(recordLine)
        }
        if (carried) {
          carry = []
          carryBytes = 0
        }
        start = end
        recordLine = line
      }
      flushPending(start)
      hold(chunk.subarray(start))
    },
    end() {
      if (!skipping && carry.length > 0) {
        const rec = Buffer.concat(carry)
        if (isUtf8(rec)) sink.feed(rec)
        else notUtf8(recordLine)
      }
      carry = []
      carryBytes = 0
    },
  }

  function hold(tail: Uint8Array): void {
    if (skipping || tail.byteLength === 0) return
    if (carryBytes + tail.byteLength > maxRecordBytes) {
      tooLong()
      skipping = true
      carry = []
      carryBytes = 0
      return
    }
    carry.push(tail.slice())
    carryBytes += tail.byteLength
  }
}

/** The line terminator a record ends with (its last byte, or CRLF's two), standing in for a dropped record. */
function terminator(rec: Uint8Array): Uint8Array {
  const n = rec.byteLength
  if (n === 0) return rec
  const last = rec[n - 1]
  if (last !== LF && last !== CR) return rec.subarray(n)
  return rec.subarray(n - 1)
}
