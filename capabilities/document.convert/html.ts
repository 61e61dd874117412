/** HTML ↔ Markdown (turndown + its GFM plugin) and HTML → text (html-to-text). */
import { convert as htmlToTextLib } from 'html-to-text'
import TurndownService from 'turndown'
import { gfm } from 'turndown-plugin-gfm'

let turndown: TurndownService | undefined

function turndownService(): TurndownService {
  if (turndown === undefined) {
    turndown = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-', emDelimiter: '*' })
    turndown.use(gfm)
    turndown.remove(['script', 'style', 'noscript', 'template'])
  }
  return turndown
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
