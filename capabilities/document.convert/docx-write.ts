/** Writes DOCX with the `docx` library from the shared block tree. */
import {
  AlignmentType,
  BorderStyle,
  Document,
  ExternalHyperlink,
  HeadingLevel,
  LevelFormat,
  Packer,
  Paragraph,
  type ParagraphChild,
  ShadingType,
  Table,
  TableCell,
  TableRow,
  TextRun,
  WidthType,
} from 'docx'
import type { Block, Inline } from './markdown.ts'

const HEADINGS = [
  HeadingLevel.HEADING_1,
  HeadingLevel.HEADING_2,
  HeadingLevel.HEADING_3,
  HeadingLevel.HEADING_4,
  HeadingLevel.HEADING_5,
  HeadingLevel.HEADING_6,
] as const

const MONO = 'Courier New'

export async function blocksToDocx(blocks: Block[], title: string): Promise<Uint8Array> {
  const state: RenderState = { orderedStarts: [] }
  const children = renderBlocks(blocks, 0, state)
  const doc = new Document({
    title,
    creator: 'crank document.convert',
    numbering: {
      // One numbering instance per ordered list, so every list restarts at its own start.
      config: (state.orderedStarts.length > 0 ? state.orderedStarts : [1]).map((start, n) => ({
        reference: `ordered-${n}`,
        levels: Array.from({ length: 6 }, (_, level) => ({
          level,
          format: LevelFormat.DECIMAL,
          text: `%${level + 1}.`,
          alignment: AlignmentType.START,
          start: level === 0 ? start : 1,
          style: { paragraph: { indent: { left: 720 * (level + 1), hanging: 360 } } },
        })),
      })),
    },
    sections: [{ children: children.length > 0 ? children : [new Paragraph('')] }],
  })
  return new Uint8Array(await Packer.toBuffer(doc))
}

interface RenderState {
  /** Start number of each ordered list met while rendering; list n uses numbering `ordered-n`. */
  orderedStarts: number[]
}

function renderBlocks(blocks: Block[], depth: number, state: RenderState): (Paragraph | Table)[] {
  const out: (Paragraph | Table)[] = []
  for (const b of blocks) {
    switch (b.type) {
      case 'heading':
        out.push(new Paragraph({ heading: HEADINGS[Math.min(6, b.level) - 1] ?? HeadingLevel.HEADING_6, children: runs(b.inlines) }))
        break
      case 'paragraph':
        out.push(new Paragraph({ children: runs(b.inlines), ...(depth > 0 ? { indent: { left: 720 * depth } } : {}) }))
        break
      case 'code':
        out.push(
          new Paragraph({
            shading: { type: ShadingType.CLEAR, fill: 'F2F2F2', color: 'auto' },
            children: b.text.split('\n').map((line, i) => new TextRun({ text: line, font: MONO, ...(i > 0 ? { break: 1 } : {}) })),
          }),
        )
        break
      case 'quote':
        for (const p of renderBlocks(b.blocks, depth + 1, state)) out.push(p)
        break
      case 'hr':
        out.push(new Paragraph({ border: { bottom: { style: BorderStyle.SINGLE, size: 6, color: '999999', space: 1 } }, children: [] }))
        break
      case 'list': {
        const ref = b.ordered ? `ordered-${state.orderedStarts.push(b.start) - 1}` : undefined
        for (const item of b.items) {
          item.forEach((child, n) => {
            if (n === 0 && child.type === 'paragraph') {
              const level = Math.min(depth, 5)
              out.push(
                new Paragraph({
                  children: runs(child.inlines),
                  ...(ref === undefined ? { bullet: { level } } : { numbering: { reference: ref, level } }),
                }),
              )
            } else {
              for (const p of renderBlocks([child], depth + 1, state)) out.push(p)
            }
          })
        }
        break
      }
      case 'table': {
        const width = Math.max(b.header.length, ...b.rows.map((r) => r.length))
        const row = (cells: Inline[][], bold: boolean): TableRow =>
          new TableRow({
            // Only set when true: docx writes <w:tblHeader w:val="off"/> for false, which mammoth reads as a header row.
            ...(bold ? { tableHeader: true } : {}),
            children: Array.from(
              { length: width },
              (_, i) => new TableCell({ children: [new Paragraph({ children: runs(cells[i] ?? [], bold) })] }),
            ),
          })
        out.push(
          new Table({
            width: { size: 100, type: WidthType.PERCENTAGE },
            rows: [...(b.header.length > 0 ? [row(b.header, true)] : []), ...b.rows.map((r) => row(r, false))],
          }),
        )
        out.push(new Paragraph(''))
        break
      }
    }
  }
  return out
}

function runs(inlines: Inline[], forceBold = false): ParagraphChild[] {
  return inlines.map((r) => {
    const run = new TextRun({
      text: r.text,
      ...(r.bold || forceBold ? { bold: true } : {}),
      ...(r.italic ? { italics: true } : {}),
      ...(r.strike ? { strike: true } : {}),
      ...(r.code ? { font: MONO } : {}),
      ...(r.link !== undefined ? { style: 'Hyperlink' } : {}),
      ...(r.breakBefore ? { break: 1 } : {}),
    })
    return r.link !== undefined && /^(https?|mailto):/i.test(r.link) ? new ExternalHyperlink({ link: r.link, children: [run] }) : run
  })
}
