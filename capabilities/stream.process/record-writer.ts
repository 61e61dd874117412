/**
 * Serialises output records as NDJSON or CSV and writes them in batches of
 * about `batchBytes`. Each `await ctx.write` resolves only when the consumer
 * has taken the batch: that await is the backpressure that slows the reader.
 */
import { stringify } from 'csv-stringify/sync'
import type { Rec } from './expression.ts'

export class RecordWriter {
  bytesOut = 0
  recordsOut = 0
  private parts: string[] = []
  private pending = 0
  private columns: string[] | undefined
  private headerWritten = false
  private readonly format: 'ndjson' | 'csv'
  private readonly batchBytes: number
  private readonly write: (chunk: Uint8Array) => Promise<void>
  private readonly encoder = new TextEncoder()

  constructor(format: 'ndjson' | 'csv', batchBytes: number, write: (chunk: Uint8Array) => Promise<void>, columns?: string[]) {
    this.format = format
    this.batchBytes = batchBytes
    this.write = write
    this.columns = columns
  }

  /** Adds records; writes (and waits for the consumer) whenever a batch fills. */
  async add(records: readonly Rec[]): Promise<void> {
    if (records.length === 0) return
    this.recordsOut += records.length
    if (this.format === 'ndjson') {
      for (const r of records) {
        const line = `${JSON.stringify(r)}\n`
        this.parts.push(line)
        this.pending += line.length
        if (this.pending >= this.batchBytes) await this.flush()
      }
      return
    }
    const header = !this.headerWritten
    this.headerWritten = true
    const columns = this.columns ?? Object.keys(records[0] as Rec)
    this.columns = columns
    const text = stringify(
      records.map((r) => columns.map((c) => cell(r[c]))),
      { header, columns },
    )
    this.parts.push(text)
    this.pending += text.length
    if (this.pending >= this.batchBytes) await this.flush()
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return
    const chunk = this.encoder.encode(this.parts.join(''))
    this.parts = []
    this.pending = 0
    this.bytesOut += chunk.byteLength
    await this.write(chunk)
  }
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return ''
  return typeof v === 'object' ? JSON.stringify(v) : String(v)
}
