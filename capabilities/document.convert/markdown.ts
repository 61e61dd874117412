/**
 * Markdown via markdown-it: its `commonmark` preset plus GFM tables and
 * strikethrough. Besides rendering HTML, markdown-it's token stream is turned
 * into a small block tree that the DOCX and PDF writers share, so both layouts
 * follow one reading of the document.
 */

import type { MarkdownIt as MarkdownItType, Token } from 'markdown-it'
import MarkdownIt from 'markdown-it'

export function createMarkdown(opts: { rawHtml: boolean }): MarkdownItType {
  return MarkdownIt('commonmark', { html: opts.rawHtml }).enable(['table', 'strikethrough'])
}

export interface Inline {
  text: string
  bold?: true
  italic?: true
  strike?: true
  code?: true
  link?: string
  /** A hard line break before this run's text. */
  breakBefore?: true
}

export type Block =
  | { type: 'heading'; level: number; inlines: Inline[] }
  | { type: 'paragraph'; inlines: Inline[] }
  | { type: 'list'; ordered: boolean; start: number; items: Block[][] }
  | { type: 'code'; text: string }
  | { type: 'quote'; blocks: Block[] }
  | { type: 'table'; header: Inline[][]; rows: Inline[][][] }
  | { type: 'hr' }

export function markdownToBlocks(md: MarkdownItType, source: string): Block[] {
  const tokens = md.parse(source, {})
  const cursor = { i: 0 }
  return parseBlocks(tokens, cursor, null)
}

/** Reads blocks until the token of type `until` (consumed) or the end. */
function parseBlocks(tokens: Token[], cur: { i: number }, until: string | null): Block[] {
  const blocks: Block[] = []
  while (cur.i < tokens.length) {
    const t = tokens[cur.i++] as Token
    if (t.type === until) break
    switch (t.type) {
      case 'heading_open':
        blocks.push({ type: 'heading', level: Number(t.tag.slice(1)), inlines: takeInline(tokens, cur, 'heading_close') })
        break
      case 'paragraph_open':
        blocks.push({ type: 'paragraph', inlines: takeInline(tokens, cur, 'paragraph_close') })
        break
      case 'bullet_list_open':
      case 'ordered_list_open': {
        const ordered = t.type === 'ordered_list_open'
        const close = ordered ? 'ordered_list_close' : 'bullet_list_close'
        const items: Block[][] = []
        while (cur.i < tokens.length && tokens[cur.i]?.type !== close) {
          if (tokens[cur.i++]?.type === 'list_item_open') items.push(parseBlocks(tokens, cur, 'list_item_close'))
        }
        cur.i++
        blocks.push({ type: 'list', ordered, start: Number(t.attrGet('start') ?? 1), items })
        break
      }
      case 'blockquote_open':
        blocks.push({ type: 'quote', blocks: parseBlocks(tokens, cur, 'blockquote_close') })
        break
      case 'code_block':
      case 'fence':
        blocks.push({ type: 'code', text: t.content.replace(/\n$/, '') })
        break
      case 'hr':
        blocks.push({ type: 'hr' })
        break
      case 'html_block': {
        const text = t.content.replace(/<[^>]*>/g, '').trim()
        if (text !== '') blocks.push({ type: 'paragraph', inlines: [{ text }] })
        break
      }
      case 'table_open':
        blocks.push(parseTable(tokens, cur))
        break
      case 'inline':
        // Tight list items hold their inline content without a paragraph.
        blocks.push({ type: 'paragraph', inlines: inlineRuns(t.children ?? []) })
        break
      default:
        // paragraph_close of hidden (tight) paragraphs and other structural tokens carry no content.
        break
    }
  }
  return blocks
}

function takeInline(tokens: Token[], cur: { i: number }, close: string): Inline[] {
  let runs: Inline[] = []
  while (cur.i < tokens.length) {
    const t = tokens[cur.i++] as Token
    if (t.type === close) break
    if (t.type === 'inline') runs = runs.concat(inlineRuns(t.children ?? []))
  }
  return runs
}

function parseTable(tokens: Token[], cur: { i: number }): Block {
  const header: Inline[][] = []
  const rows: Inline[][][] = []
  let row: Inline[][] | null = null
  let inHead = false
  while (cur.i < tokens.length) {
    const t = tokens[cur.i++] as Token
    if (t.type === 'table_close') break
    if (t.type === 'thead_open') inHead = true
    else if (t.type === 'thead_close') inHead = false
    else if (t.type === 'tr_open') row = []
    else if (t.type === 'tr_close' && row !== null) {
      if (inHead) header.push(...row)
      else rows.push(row)
      row = null
    } else if (t.type === 'th_open' || t.type === 'td_open') {
      row?.push(takeInline(tokens, cur, t.type === 'th_open' ? 'th_close' : 'td_close'))
    }
  }
  // An all-empty header is how GFM spells a table without one (see html.ts): no header row in DOCX or PDF.
  const headerless = header.every((c) => inlineText(c).trim() === '')
  return { type: 'table', header: headerless ? [] : header, rows }
}

function inlineRuns(children: Token[]): Inline[] {
  const runs: Inline[] = []
  const style = { bold: 0, italic: 0, strike: 0 }
  const links: string[] = []
  let pendingBreak = false
  const push = (text: string, extra: Partial<Inline> = {}): void => {
    if (text === '') return
    const run: Inline = { text, ...extra }
    if (style.bold > 0) run.bold = true
    if (style.italic > 0) run.italic = true
    if (style.strike > 0) run.strike = true
    const link = links[links.length - 1]
    if (link !== undefined && link !== '') run.link = link
    if (pendingBreak) run.breakBefore = true
    pendingBreak = false
    runs.push(run)
  }
  for (const t of children) {
    switch (t.type) {
      case 'text':
        push(t.content)
        break
      case 'code_inline':
        push(t.content, { code: true })
        break
      case 'softbreak':
        push(' ')
        break
      case 'hardbreak':
        pendingBreak = true
        break
      case 'strong_open':
        style.bold++
        break
      case 'strong_close':
        style.bold--
        break
      case 'em_open':
        style.italic++
        break
      case 'em_close':
        style.italic--
        break
      case 's_open':
        style.strike++
        break
      case 's_close':
        style.strike--
        break
      case 'link_open':
        links.push(String(t.attrGet('href') ?? ''))
        break
      case 'link_close':
        links.pop()
        break
      case 'image':
        push(t.content === '' ? '[image]' : `[image: ${t.content}]`)
        break
      default:
        // html_inline and other markup carry no text of their own.
        break
    }
  }
  return runs
}

export function inlineText(runs: Inline[]): string {
  return runs.map((r) => (r.breakBefore ? `\n${r.text}` : r.text)).join('')
}
