/** CSV ↔ JSON with the csv project's parser and stringifier, and tables rendered as HTML. */
import { parse } from 'csv-parse/sync'
import { stringify } from 'csv-stringify/sync'
import { documentError } from './errors.ts'
import { escapeHtml } from './html.ts'

export type Row = Record<string, unknown>

export interface CsvOptions {
  delimiter?: string
  /** Turn numeric and boolean-looking cells into numbers and booleans (CSV → JSON). */
  cast?: boolean
}

export function parseCsv(text: string, opts: CsvOptions, maxRows: number): { columns: string[]; rows: Row[] } {
  let rows: Row[]
  try {
    rows = parse(text, {
      columns: (header: string[]) => header.map((h, i) => (h.trim() === '' ? `column${i + 1}` : h.trim())),
      bom: true,
      skip_empty_lines: true,
      delimiter: opts.delimiter ?? ',',
      to: maxRows + 1,
      cast: opts.cast === true ? castCell : false,
    }) as Row[]
  } catch (err) {
    throw documentError('invalid_document', `CSV could not be parsed: ${(err as Error).message}`)
  }
  if (rows.length > maxRows) throw documentError('document_too_large', `CSV has more than ${maxRows} rows`)
  return { columns: rows.length > 0 ? Object.keys(rows[0] as Row) : [], rows }
}

function castCell(value: string, ctx: { header: boolean; quoting: boolean }): unknown {
  if (ctx.header || ctx.quoting) return value
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(value)) return Number(value)
  if (value === 'true' || value === 'false') return value === 'true'
  return value
}

/** A JSON array of objects (or an object holding one such array) as rows. */
export function parseJsonRows(text: string, maxRows: number): { columns: string[]; rows: Row[] } {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw documentError('invalid_document', `JSON could not be parsed: ${(err as Error).message}`)
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const arrays = Object.values(value).filter(Array.isArray)
    if (arrays.length === 1) value = arrays[0]
  }
  if (!Array.isArray(value) || !value.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))) {
    throw documentError('invalid_document', 'JSON for a table must be an array of objects')
  }
  if (value.length > maxRows) throw documentError('document_too_large', `JSON has ${value.length} rows; the limit is ${maxRows}`)
  const columns = new Set<string>()
  for (const r of value as Row[]) for (const k of Object.keys(r)) columns.add(k)
  return { columns: [...columns], rows: value as Row[] }
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return ''
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

export function rowsToCsv(columns: string[], rows: Row[], delimiter = ','): string {
  return stringify(
    rows.map((r) => columns.map((c) => cellText(r[c]))),
    { header: true, columns, delimiter },
  )
}

export function rowsToHtml(columns: string[], rows: Row[]): string {
  const head = `<thead><tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead>`
  const body = rows.map((r) => `<tr>${columns.map((c) => `<td>${escapeHtml(cellText(r[c]))}</td>`).join('')}</tr>`).join('\n')
  return `<table>\n${head}\n<tbody>\n${body}\n</tbody>\n</table>\n`
}
