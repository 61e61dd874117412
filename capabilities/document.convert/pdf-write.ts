/**
 * Writes PDF with pdfkit from the shared block tree, in the fonts pdf-fonts.ts picks for the text (the standard
 * Helvetica/Courier, DejaVu or Noto Sans CJK); characters no font can draw are reported as a warning. Tabs are
 * expanded to spaces: fonts have no glyph for them.
 */
import PDFDocument from 'pdfkit'
import { type Block, type Inline, inlineText } from './markdown.ts'
import { chooseFonts, type FontFace, type FontRole, NOT_CP1252 } from './pdf-fonts.ts'

/** Columns between tab stops, pandoc's default. */
export const TAB_STOP = 4

/** Replaces each tab with the spaces that reach the next tab stop, line by line. */
export function expandTabs(s: string): string {
  if (!s.includes('\t')) return s
  return s
    .split('\n')
    .map((line) => {
      let out = ''
      for (const ch of line) out += ch === '\t' ? ' '.repeat(TAB_STOP - ([...out].length % TAB_STOP)) : ch
      return out
    })
    .join('\n')
}

const roleOf = (r: Inline, forceBold: boolean): FontRole => {
  const bold = r.bold === true || forceBold
  return r.code ? 'mono' : bold && r.italic ? 'boldItalic' : bold ? 'bold' : r.italic ? 'italic' : 'regular'
}

/** The text each font role will draw, walking the blocks as render() does. */
function textByRole(blocks: Block[], into = new Map<FontRole, string>()): Map<FontRole, string> {
  const add = (role: FontRole, text: string): void => {
    into.set(role, (into.get(role) ?? '') + text)
  }
  const runs = (list: Inline[], bold: boolean): void => {
    for (const r of list) add(roleOf(r, bold), r.text)
  }
  for (const b of blocks) {
    if (b.type === 'heading') runs(b.inlines, true)
    else if (b.type === 'paragraph') runs(b.inlines, false)
    else if (b.type === 'code') add('mono', b.text)
    else if (b.type === 'quote') textByRole(b.blocks, into)
    else if (b.type === 'list') {
      add('regular', '•0123456789.')
      for (const item of b.items) textByRole(item, into)
    } else if (b.type === 'table') for (const row of [b.header, ...b.rows]) for (const c of row) add('regular', inlineText(c))
  }
  return into
}

/** Horizontal padding pdfkit's table puts in a cell, both sides together (its default is 0.25 em a side and more). */
const TABLE_CELL_PADDING = 12
/** A row needing more than this share of a page's height is not set as a table row (pdfkit cannot split one). */
const TALL_ROW_SHARE = 0.8

const HEADING_SIZES = [22, 18, 15, 13, 12, 11]
const BODY_SIZE = 11

export interface PdfWriteResult {
  bytes: Uint8Array
  pages: number
  warnings: string[]
}

export async function blocksToPdf(blocks: Block[], title: string): Promise<PdfWriteResult> {
  const warnings: string[] = []
  const choice = chooseFonts(textByRole(blocks))
  warnings.push(...choice.warnings)
  const faces = choice.fonts.faces
  // The standard fonts cannot even encode what they lack; embedded fonts draw their .notdef box instead.
  const replace =
    choice.fonts.name === 'standard' ? (s: string): string => expandTabs(s).replace(NOT_CP1252, '?') : (s: string): string => expandTabs(s)
  const useFont = (face: FontFace): void => {
    if (face.family === undefined) doc.font(face.src)
    else doc.font(face.src, face.family)
  }

  const doc = new PDFDocument({ size: 'A4', margin: 56, bufferPages: true, info: { Title: title, Creator: 'crank document.convert' } })
  const chunks: Buffer[] = []
  doc.on('data', (c: Buffer) => chunks.push(c))
  const ended = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve)
    doc.on('error', reject)
  })
  const left = doc.page.margins.left
  const contentWidth = doc.page.width - doc.page.margins.left - doc.page.margins.right

  const writeRuns = (runs: Inline[], opts: { indent: number; size: number; bold?: boolean; prefix?: string }): void => {
    const x = left + opts.indent
    const width = contentWidth - opts.indent
    const all: Inline[] = opts.prefix === undefined ? runs : [{ text: opts.prefix }, ...runs]
    if (all.length === 0) return
    doc.x = x
    all.forEach((r, i) => {
      useFont(faces[roleOf(r, opts.bold === true)])
      doc.fontSize(opts.size)
      const text = replace((r.breakBefore ? '\n' : '') + r.text)
      const options = {
        width,
        continued: i < all.length - 1,
        ...(r.link !== undefined ? { link: r.link, underline: true } : { link: null, underline: false }),
        strike: r.strike === true,
      }
      // Only the first run takes a position: pdfkit ends a continued line when later runs pass one, even undefined.
      if (i === 0) doc.text(text, x, doc.y, options)
      else doc.text(text, options)
    })
    doc.moveDown(0.4)
  }

  const render = (list: Block[], indent: number): void => {
    for (const b of list) {
      switch (b.type) {
        case 'heading':
          doc.moveDown(0.3)
          writeRuns(b.inlines, { indent, size: HEADING_SIZES[b.level - 1] ?? BODY_SIZE, bold: true })
          break
        case 'paragraph':
          writeRuns(b.inlines, { indent, size: BODY_SIZE })
          break
        case 'code':
          writeRuns([{ text: b.text, code: true }], { indent: indent + 12, size: 9 })
          break
        case 'quote':
          render(b.blocks, indent + 18)
          break
        case 'hr': {
          const y = doc.y + 4
          doc
            .moveTo(left, y)
            .lineTo(left + contentWidth, y)
            .lineWidth(0.5)
            .strokeColor('#999999')
            .stroke()
          doc.y = y + 8
          break
        }
        case 'list':
          b.items.forEach((item, n) => {
            const marker = b.ordered ? `${b.start + n}. ` : '• '
            item.forEach((child, k) => {
              if (k === 0 && child.type === 'paragraph') writeRuns(child.inlines, { indent: indent + 12, size: BODY_SIZE, prefix: marker })
              else render([child], indent + 24)
            })
          })
          break
        case 'table': {
          const cell = (c: Inline[]): string => replace(inlineText(c))
          const data = [...(b.header.length > 0 ? [b.header.map(cell)] : []), ...b.rows.map((r) => r.map(cell))]
          const width = Math.max(...data.map((r) => r.length))
          const rows = data.map((r) => Array.from({ length: width }, (_, i) => r[i] ?? ''))
          useFont(faces.regular)
          doc.fontSize(9)
          // pdfkit cuts a row taller than a page off at the page's end; such rows are written as paragraphs instead.
          const cellWidth = (contentWidth - indent) / width - TABLE_CELL_PADDING
          const pageRoom = (doc.page.height - doc.page.margins.top - doc.page.margins.bottom) * TALL_ROW_SHARE
          const tall = (row: string[]): boolean => row.some((c) => doc.heightOfString(c, { width: cellWidth }) > pageRoom)
          let run: string[][] = []
          const flush = (): void => {
            if (run.length === 0) return
            doc.x = left + indent
            useFont(faces.regular)
            doc.fontSize(9)
            doc.table({ data: run, maxWidth: contentWidth - indent })
            run = []
          }
          for (const row of rows) {
            if (!tall(row)) {
              run.push(row)
              continue
            }
            flush()
            for (const c of row) if (c.trim() !== '') writeRuns([{ text: c }], { indent, size: BODY_SIZE })
          }
          flush()
          doc.moveDown(0.6)
          break
        }
      }
    }
  }

  render(blocks, 0)
  if (blocks.length === 0) doc.text('')
  const pages = doc.bufferedPageRange().count
  doc.end()
  await ended
  return { bytes: new Uint8Array(Buffer.concat(chunks)), pages, warnings }
}
