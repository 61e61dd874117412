/**
 * Writes PDF with pdfkit from the shared block tree. pdfkit's built-in
 * Helvetica/Courier only encode Windows-1252; when the text needs more, the
 * DejaVu fonts are embedded if the host has them (Debian `fonts-dejavu-core`),
 * and otherwise the characters they cannot draw become "?" with a warning.
 */
import { existsSync } from 'node:fs'
import PDFDocument from 'pdfkit'
import { type Block, type Inline, inlineText } from './markdown.ts'

interface Fonts {
  regular: string
  bold: string
  italic: string
  boldItalic: string
  mono: string
}

const STANDARD: Fonts = {
  regular: 'Helvetica',
  bold: 'Helvetica-Bold',
  italic: 'Helvetica-Oblique',
  boldItalic: 'Helvetica-BoldOblique',
  mono: 'Courier',
}

const DEJAVU_DIR = '/usr/share/fonts/truetype/dejavu'
const DEJAVU: Fonts = {
  regular: `${DEJAVU_DIR}/DejaVuSans.ttf`,
  bold: `${DEJAVU_DIR}/DejaVuSans-Bold.ttf`,
  italic: `${DEJAVU_DIR}/DejaVuSans-Oblique.ttf`,
  boldItalic: `${DEJAVU_DIR}/DejaVuSans-BoldOblique.ttf`,
  mono: `${DEJAVU_DIR}/DejaVuSansMono.ttf`,
}

// Windows-1252 beyond Latin-1: what the standard 14 fonts can encode in 0x80–0x9F.
const CP1252_EXTRA = '€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ'
const NOT_CP1252 = new RegExp(`[^\\n\\t\\x20-\\x7e\\xa0-\\xff${CP1252_EXTRA}]`, 'gu')

const HEADING_SIZES = [22, 18, 15, 13, 12, 11]
const BODY_SIZE = 11

export interface PdfWriteResult {
  bytes: Uint8Array
  pages: number
  warnings: string[]
}

export async function blocksToPdf(blocks: Block[], title: string): Promise<PdfWriteResult> {
  const warnings: string[] = []
  const allText = JSON.stringify(blocks)
  let fonts = STANDARD
  let replace = (s: string): string => s
  if (NOT_CP1252.test(allText)) {
    if (Object.values(DEJAVU).every((f) => existsSync(f))) {
      fonts = DEJAVU
    } else {
      warnings.push('pdf: characters outside Windows-1252 were replaced by "?" (install fonts-dejavu-core to embed a Unicode font)')
      replace = (s) => s.replace(NOT_CP1252, '?')
    }
  }
  NOT_CP1252.lastIndex = 0

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
      const bold = r.bold === true || opts.bold === true
      const font = r.code ? fonts.mono : bold && r.italic ? fonts.boldItalic : bold ? fonts.bold : r.italic ? fonts.italic : fonts.regular
      doc.font(font).fontSize(opts.size)
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
          doc.x = left + indent
          doc.font(fonts.regular).fontSize(9)
          doc.table({ data: data.map((r) => Array.from({ length: width }, (_, i) => r[i] ?? '')), maxWidth: contentWidth - indent })
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
