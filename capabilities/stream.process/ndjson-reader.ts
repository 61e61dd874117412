/**
 * NDJSON input, split on bytes: every line's size is known before it is
 * decoded, so `maxRecordBytes` holds for each line (one that spans chunks is
 * skipped without being buffered past the limit), and invalid UTF-8 is
 * found per line instead of silently becoming U+FFFD. The common case (a
 * chunk of valid UTF-8) costs one validation and one decode per chunk.
 */
import { Buffer, isUtf8 } from 'node:buffer'
import { parseJsonLine } from './exact-json.ts'
import type { Rec } from './expression.ts'
import type { Batch } from './record-reader.ts'

const LF = 0x0a
/** A UTF-8 byte order mark is allowed before the first record (as editors on Windows write it). */
const BOM = '\uFEFF'

export async function* readNdjson(input: AsyncIterable<Uint8Array>, maxRecordBytes: number): AsyncGenerator<Batch> {
  // BOMs are kept by the decoder and stripped only from the first line: elsewhere one is a malformed record.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true })
  let carry: Uint8Array[] = []
  let carryBytes = 0
  /** Inside a line already reported as too long: its bytes are dropped up to its newline. */
  let skipping = false
  let lineNo = 0
  let batch: Batch = { records: [], malformed: [], bytes: 0 }

  const tooLong = (n: number): void => {
    batch.malformed.push(`line ${n}: longer than ${maxRecordBytes} bytes`)
  }
  const parseText = (line: string): void => {
    lineNo++
    if (lineNo === 1 && line.startsWith(BOM)) line = line.slice(1)
    // JSON.parse accepts surrounding whitespace, so CRLF line endings need nothing more.
    if (line.length === 0) return
    let value: unknown
    try {
      value = parseJsonLine(line)
    } catch {
      // A blank (or CR-only) line is no record.
      if (line.trim() !== '') batch.malformed.push(`line ${lineNo}: not JSON`)
      return
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) batch.malformed.push(`line ${lineNo}: not a JSON object`)
    else batch.records.push(value as Rec)
  }
  /** One line's bytes, without its newline. */
  const parseBytes = (bytes: Uint8Array): void => {
    if (bytes.byteLength > maxRecordBytes) {
      tooLong(++lineNo)
      return
    }
    if (!isUtf8(bytes)) {
      batch.malformed.push(`line ${++lineNo}: not valid UTF-8`)
      return
    }
    parseText(decoder.decode(bytes))
  }
  /** Whole lines (`region` ends with a newline). */
  const parseRegion = (region: Uint8Array): void => {
    if (!isUtf8(region)) {
      for (let start = 0, nl = region.indexOf(LF); nl !== -1; start = nl + 1, nl = region.indexOf(LF, start)) {
        parseBytes(region.subarray(start, nl))
      }
      return
    }
    const text = decoder.decode(region)
    // A UTF-16 unit is at most 3 UTF-8 bytes, and ASCII text is one byte per unit.
    const ascii = text.length === region.byteLength
    for (let start = 0, nl = text.indexOf('\n'); nl !== -1; start = nl + 1, nl = text.indexOf('\n', start)) {
      const units = nl - start
      if (units > maxRecordBytes || (!ascii && units * 3 > maxRecordBytes && Buffer.byteLength(text.slice(start, nl)) > maxRecordBytes)) {
        tooLong(++lineNo)
      } else parseText(text.slice(start, nl))
    }
  }
  /** The start of a line whose newline is in a later chunk. */
  const hold = (bytes: Uint8Array): void => {
    if (skipping || bytes.byteLength === 0) return
    if (carryBytes + bytes.byteLength > maxRecordBytes) {
      tooLong(lineNo + 1)
      skipping = true
      carry = []
      carryBytes = 0
      return
    }
    carry.push(bytes.slice())
    carryBytes += bytes.byteLength
  }

  for await (const chunk of input) {
    batch = { records: [], malformed: [], bytes: chunk.byteLength }
    const first = chunk.indexOf(LF)
    if (first === -1) {
      hold(chunk)
      yield batch
      continue
    }
    if (skipping) {
      skipping = false
      lineNo++
    } else if (carryBytes + first > maxRecordBytes) {
      carry = []
      carryBytes = 0
      tooLong(++lineNo)
    } else if (carry.length > 0) {
      carry.push(chunk.subarray(0, first))
      parseBytes(Buffer.concat(carry))
      carry = []
      carryBytes = 0
    } else parseBytes(chunk.subarray(0, first))
    const last = chunk.lastIndexOf(LF)
    if (last > first) parseRegion(chunk.subarray(first + 1, last + 1))
    hold(chunk.subarray(last + 1))
    yield batch
  }
  if (carry.length > 0) {
    batch = { records: [], malformed: [], bytes: 0 }
    parseBytes(Buffer.concat(carry))
    yield batch
  }
}
