/**
 * The conversion graph. A reader turns the input into whichever of HTML,
 * Markdown or text it yields natively; the others are derived on demand
 * (Markdown → HTML by markdown-it, HTML → Markdown by turndown, HTML → text by
 * html-to-text), and the DOCX and PDF writers both draw from Markdown's block
 * tree. Tables (CSV, JSON records) render through an HTML table.
 */
import TurndownService from 'turndown'
import { decodeText } from './decode-text.ts'
import { readDocx } from './docx-read.ts'
import { blocksToDocx } from './docx-write.ts'
import { documentError } from './errors.ts'
import { type Format, isSupported } from './formats.ts'
import { htmlToMarkdown, htmlToText, standaloneHtml, textToHtml } from './html.ts'
import { createMarkdown, markdownToBlocks } from './markdown.ts'
import { pdfToMarkdown, pdfToText, readPdf } from './pdf-read.ts'
import { blocksToPdf } from './pdf-write.ts'
import { type CsvOptions, parseCsv, parseJsonRows, type Row, rowsToCsv, rowsToHtml } from './tabular.ts'
import type { ZipLimits } from './zip-guard.ts'

export interface ConvertOptions {
  from: Format
  to: Format
  title: string
  standalone: boolean
  rawHtml: boolean
  csv: CsvOptions
  maxPages: number
  maxRows: number
  zip: ZipLimits
  /** Throws conversion_timeout once the time limit has passed; called between steps. */
  checkTime: () => void
}

export interface Converted {
  bytes: Uint8Array
  pages?: number
  rows?: number
  warnings: string[]
}

/** A document in whichever text forms are known so far. */
interface Doc {
  html?: string
  markdown?: string
  text?: string
}

const encoder = new TextEncoder()
const escapeMarkdown = (s: string): string => TurndownService.prototype.escape(s)

export async function convert(bytes: Uint8Array, o: ConvertOptions): Promise<Converted> {
  if (!isSupported(o.from, o.to)) {
    throw documentError('unsupported_conversion', `document.convert does not convert ${o.from} to ${o.to}`, { from: o.from, to: o.to })
  }
  const warnings: string[] = []
  let pagesIn: number | undefined
  let table: { columns: string[]; rows: Row[] } | undefined
  const doc: Doc = {}
  const text = (html = false): string => {
    const decoded = decodeText(bytes, { html })
    warnings.push(...decoded.warnings)
    return decoded.text
  }

  switch (o.from) {
    case 'markdown':
      doc.markdown = text()
      break
    case 'html':
      doc.html = text(true)
      break
    case 'text':
      doc.text = text()
      break
    case 'docx': {
      const read = await readDocx(bytes, o.zip)
      doc.html = read.html
      warnings.push(...read.warnings)
      break
    }
    case 'pdf': {
      const pdf = await readPdf(bytes, { maxPages: o.maxPages, checkTime: o.checkTime })
      pagesIn = pdf.pageCount
      warnings.push(...pdf.warnings)
      if (o.to === 'json') {
        const { warnings: _, ...structure } = pdf
        return { bytes: encoder.encode(`${JSON.stringify(structure, null, 2)}\n`), pages: pagesIn, warnings }
      }
      doc.text = pdfToText(pdf)
      doc.markdown = pdfToMarkdown(pdf, escapeMarkdown)
      break
    }
    case 'csv':
      table = parseCsv(text(), o.csv, o.maxRows)
      break
    case 'json':
      // RFC 8259: JSON exchanged between systems is UTF-8, so there is no legacy fallback to guess.
      table = parseJsonRows(decodeUtf8(bytes), o.maxRows)
      break
  }
  o.checkTime()

  if (table !== undefined) {
    if (o.to === 'json') return { bytes: encoder.encode(`${JSON.stringify(table.rows, null, 2)}\n`), rows: table.rows.length, warnings }
    if (o.to === 'csv')
      return { bytes: encoder.encode(rowsToCsv(table.columns, table.rows, o.csv.delimiter)), rows: table.rows.length, warnings }
    doc.html = rowsToHtml(table.columns, table.rows)
  }

  const md = createMarkdown({ rawHtml: o.rawHtml })
  const html = (): string => {
    const v = doc.html ?? (doc.markdown !== undefined ? md.render(doc.markdown) : textToHtml(doc.text ?? ''))
    doc.html = v
    return v
  }
  const markdown = (): string => {
    const v = doc.markdown ?? htmlToMarkdown(html())
    doc.markdown = v
    return v
  }
  const plain = (): string => {
    const v = doc.text ?? htmlToText(html())
    doc.text = v
    return v
  }

  const pages = pagesIn === undefined ? {} : { pages: pagesIn }
  const rows = table === undefined ? {} : { rows: table.rows.length }
  switch (o.to) {
    case 'html': {
      const body = html()
      return { bytes: encoder.encode(o.standalone ? standaloneHtml(body, o.title) : body), ...pages, ...rows, warnings }
    }
    case 'markdown':
      return { bytes: encoder.encode(markdown()), ...pages, ...rows, warnings }
    case 'text':
      return { bytes: encoder.encode(plain()), ...pages, ...rows, warnings }
    case 'docx': {
      const blocks = markdownToBlocks(md, markdown())
      o.checkTime()
      return { bytes: await blocksToDocx(blocks, o.title), ...pages, ...rows, warnings }
    }
    case 'pdf': {
      const blocks = markdownToBlocks(md, markdown())
      o.checkTime()
      const out = await blocksToPdf(blocks, o.title)
      return { bytes: out.bytes, pages: out.pages, ...rows, warnings: [...warnings, ...out.warnings] }
    }
    default:
      throw documentError('unsupported_conversion', `document.convert does not convert ${o.from} to ${o.to}`, { from: o.from, to: o.to })
  }
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    throw documentError('invalid_document', 'input is not valid UTF-8 text')
  }
}
