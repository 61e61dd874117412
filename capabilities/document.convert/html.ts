/** HTML ↔ Markdown (turndown + its GFM plugin) and HTML → text (html-to-text). */
import { convert as htmlToTextLib } from 'html-to-text'
import TurndownService from 'turndown'
import { gfm } from 'turndown-plugin-gfm'

let turndown: TurndownService | undefined

function turndownService(): TurndownService {
  if (turndown === undefined) {
    turndown = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-', emDelimiter: '*' })
    turndown.use(gfm)
    addTableRules(turndown)
    turndown.remove(['script', 'style', 'noscript', 'template'])
  }
  return turndown
}

// Private-use marks between a table's rows and cells while turndown assembles it; they never reach the output.
const ROW = '\ue000'
const CELL = '\ue001'

/**
 * Every table becomes a GFM table, replacing turndown-plugin-gfm's, which keeps a table without a header row as raw
 * HTML (every table mammoth reads from a DOCX): that HTML then reached the DOCX and PDF writers as one run of text.
 * A table without a header row gets an empty one (GFM requires a header; pandoc writes the same), cells holding
 * paragraphs or lists are flattened onto one line, and every row is as wide as the widest, so no cell is lost.
 * Rules added after the plugin's take precedence over them.
 */
function addTableRules(service: TurndownService): void {
  service.addRule('tableCellFlat', {
    filter: ['th', 'td'],
    replacement: (content, node) =>
      inLayoutTable(node as unknown as DomNode)
        ? `\n\n${content}\n\n`
        : `${CELL}${content.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|')}`,
  })
  service.addRule('tableRowMarked', {
    filter: 'tr',
    replacement: (content, node) =>
      inLayoutTable(node as unknown as DomNode) ? content : `${ROW}${isHeadingRow(node as unknown as DomNode) ? 'H' : 'D'}${content}`,
  })
  service.addRule('tableAnyHeader', {
    filter: 'table',
    replacement: (content, node) => {
      if (isLayoutTable(node as unknown as DomNode)) return `\n\n${content}\n\n`
      const rows = content
        .split(ROW)
        .slice(1)
        .map((r) => ({ heading: r.startsWith('H'), cells: r.split(CELL).slice(1) }))
      if (rows.length === 0) return ''
      const width = Math.max(1, ...rows.map((r) => r.cells.length))
      const line = (cells: string[]): string => `| ${Array.from({ length: width }, (_, i) => cells[i] ?? '').join(' | ')} |`
      const head = rows[0]?.heading === true ? (rows.shift()?.cells ?? []) : []
      return `\n\n${[line(head), line(Array(width).fill('---')), ...rows.map((r) => line(r.cells))].join('\n')}\n\n`
    },
  })
}

/**
 * Old HTML lays pages out with tables: a table holding another table, headings, lists or preformatted text is
 * layout, not data. Its cells are written one after another as blocks; flattened into one GFM row they became a
 * single cell taller than a page, which the PDF writer cut off.
 */
const LAYOUT_CONTENT = 'table, h1, h2, h3, h4, h5, h6, ul, ol, dl, pre, blockquote'

function isLayoutTable(table: DomNode): boolean {
  // domino's querySelectorAll includes the element itself when it matches.
  return Array.from(table.querySelectorAll(LAYOUT_CONTENT)).some((n) => n !== table)
}

function inLayoutTable(node: DomNode): boolean {
  let n = node.parentNode
  while (n !== null && n.nodeName !== 'TABLE') n = n.parentNode
  return n !== null && isLayoutTable(n)
}

/** The little of turndown's DOM (domino) the table rules read; the project compiles without the DOM library. */
interface DomNode {
  querySelectorAll(selector: string): ArrayLike<DomNode>
  nodeName: string
  parentNode: DomNode | null
  previousSibling: DomNode | null
  firstChild: DomNode | null
  childNodes: ArrayLike<DomNode>
}

/** A header row: in a THEAD, or the table's first row with only TH cells (turndown-plugin-gfm's test). */
function isHeadingRow(tr: DomNode): boolean {
  const parent = tr.parentNode
  if (parent === null) return false
  if (parent.nodeName === 'THEAD') return true
  const first = parent.nodeName === 'TABLE' || (parent.nodeName === 'TBODY' && parent.previousSibling === null)
  return first && parent.firstChild === tr && Array.from(tr.childNodes).every((n) => n.nodeName === 'TH')
}

export function htmlToMarkdown(html: string): string {
  return `${turndownService().turndown(html).trim()}\n`
}

export function htmlToText(html: string): string {
  return `${htmlToTextLib(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
      { selector: 'h4', options: { uppercase: false } },
      { selector: 'h5', options: { uppercase: false } },
      { selector: 'h6', options: { uppercase: false } },
      { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    ],
  }).trim()}\n`
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c)
}

/** Plain text to HTML: blank lines separate paragraphs, single newlines are line breaks. */
export function textToHtml(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n+/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => `<p>${p.split('\n').map(escapeHtml).join('<br>\n')}</p>`)
    .join('\n')
}

export function standaloneHtml(body: string, title: string): string {
  return `<!doctype html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>${escapeHtml(title)}</title>\n</head>\n<body>\n${body}</body>\n</html>\n`
}
