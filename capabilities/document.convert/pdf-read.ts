/**
 * Reads PDF text and structure with pdf.js (through unpdf's Node build, which
 * needs no canvas). Lines come from pdf.js text items; a line set in a font
 * clearly larger than the body text becomes a heading, and lines close
 * together become one paragraph, so PDF → Markdown/HTML keeps some structure.
 */
import { getDocumentProxy } from 'unpdf'
import { JobError } from '../../src/errors.ts'
import { documentError } from './errors.ts'

export interface PdfLine {
  text: string
  fontSize: number
  /** Baseline, PDF units from the bottom of the page. */
  y: number
}

export interface PdfPage {
  number: number
  width: number
  height: number
  lines: PdfLine[]
}

export interface PdfStructure {
  pageCount: number
  info: Record<string, string>
  outline: { title: string; items: PdfStructure['outline'] }[]
  pages: PdfPage[]
  warnings: string[]
}

export interface PdfLimits {
  maxPages: number
  /** Checked between pages: pdf.js yields there, so a long document stops on time. */
  checkTime: () => void
}

export async function readPdf(bytes: Uint8Array, limits: PdfLimits): Promise<PdfStructure> {
  let doc: PdfDocumentProxy
  try {
    // pdf.js detaches the buffer it is given; pass a copy.
    doc = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0, isEvalSupported: false, stopAtErrors: false })
  } catch (err) {
    const name = err instanceof Error ? err.name : ''
    const reason = name === 'PasswordException' ? 'PDF is encrypted with a password' : `PDF could not be read: ${(err as Error).message}`
    throw documentError('invalid_document', reason)
  }
  try {
    if (doc.numPages > limits.maxPages) {
      throw documentError('too_many_pages', `PDF has ${doc.numPages} pages; the limit is ${limits.maxPages}`, { pages: doc.numPages })
    }
    const pages: PdfPage[] = []
    const warnings: string[] = []
    for (let n = 1; n <= doc.numPages; n++) {
      limits.checkTime()
      const page = await doc.getPage(n)
      const [, , width = 0, height = 0] = page.view
      const content = await page.getTextContent()
      pages.push({ number: n, width, height, lines: toLines(content.items) })
      page.cleanup()
    }
    // Document info and the outline are extras: a PDF whose references to them are broken is still read.
    const info = await readInfo(doc).catch(() => {
      warnings.push('pdf: the document information (metadata) could not be read')
      return {}
    })
    const outline = await readOutline(doc).catch(() => {
      warnings.push('pdf: the outline could not be read')
      return []
    })
    return { pageCount: doc.numPages, info, outline, pages, warnings }
  } catch (err) {
    if (err instanceof JobError) throw err
    throw documentError('invalid_document', `PDF could not be read: ${(err as Error).message}`)
  } finally {
    await doc.destroy()
  }
}

type PdfDocumentProxy = Awaited<ReturnType<typeof getDocumentProxy>>

async function readInfo(doc: PdfDocumentProxy): Promise<Record<string, string>> {
  const meta = await doc.getMetadata()
  const info: Record<string, string> = {}
  for (const [k, v] of Object.entries((meta?.info ?? {}) as Record<string, unknown>)) {
    if (typeof v === 'string' && v !== '') info[k] = v
  }
  return info
}

async function readOutline(doc: PdfDocumentProxy): Promise<OutlineNode[]> {
  return simplifyOutline((await doc.getOutline()) ?? [])
}

interface TextItemLike {
  str?: string
  transform?: number[]
  hasEOL?: boolean
}

function toLines(items: readonly unknown[]): PdfLine[] {
  const lines: PdfLine[] = []
  let text = ''
  let fontSize = 0
  let y = 0
  const flush = (): void => {
    const t = text.replace(/\s+/g, ' ').trim()
    if (t !== '') lines.push({ text: t, fontSize: Math.round(fontSize * 10) / 10, y: Math.round(y * 10) / 10 })
    text = ''
    fontSize = 0
  }
  for (const raw of items) {
    const item = raw as TextItemLike
    if (typeof item.str !== 'string') continue
    const t = item.transform ?? []
    // A jump in baseline without an EOL marker still starts a new line.
    if (text !== '' && Math.abs((t[5] ?? y) - y) > Math.max(2, fontSize * 0.5)) flush()
    if (text === '') y = t[5] ?? 0
    text += item.str
    fontSize = Math.max(fontSize, Math.hypot(t[2] ?? 0, t[3] ?? 0))
    if (item.hasEOL === true) flush()
  }
  flush()
  return lines
}

interface OutlineNode {
  title: string
  items: OutlineNode[]
}

function simplifyOutline(nodes: readonly { title?: unknown; items?: readonly unknown[] }[]): OutlineNode[] {
  return nodes.map((n) => ({
    title: typeof n.title === 'string' ? n.title : '',
    items: simplifyOutline((n.items ?? []) as { title?: unknown; items?: unknown[] }[]),
  }))
}

/** Plain text: lines per page, pages separated by a form feed as pdftotext does. */
export function pdfToText(pdf: PdfStructure): string {
  return `${pdf.pages.map((p) => p.lines.map((l) => l.text).join('\n')).join('\n\f')}\n`
}

/** Markdown from lines: bigger-than-body lines become headings, nearby lines join into paragraphs. */
export function pdfToMarkdown(pdf: PdfStructure, escapeMd: (s: string) => string): string {
  const sizes = pdf.pages.flatMap((p) => p.lines.map((l) => l.fontSize)).sort((a, b) => a - b)
  const body = sizes[Math.floor(sizes.length / 2)] ?? 12
  const blocks: string[] = []
  for (const page of pdf.pages) {
    let para: string[] = []
    let prev: PdfLine | undefined
    const end = (): void => {
      if (para.length > 0) blocks.push(para.join(' '))
      para = []
    }
    for (const line of page.lines) {
      const ratio = line.fontSize / body
      if (ratio >= 1.3) {
        end()
        const level = ratio >= 1.8 ? 1 : ratio >= 1.5 ? 2 : 3
        blocks.push(`${'#'.repeat(level)} ${escapeMd(line.text)}`)
        prev = undefined
        continue
      }
      if (prev !== undefined && prev.y - line.y > Math.max(line.fontSize, prev.fontSize) * 1.8) end()
      para.push(escapeMd(line.text))
      prev = line
    }
    end()
  }
  return `${blocks.join('\n\n')}\n`
}
