/**
 * Detects a document's format from its bytes. PDF and ZIP (DOCX) by their magic
 * numbers, other binary formats by file-type (to name them in the error); text formats by their first lines, most
 * specific first (JSON, HTML, CSV, Markdown), falling back to plain text. XHTML counts as HTML; text that is not
 * UTF-8 is read as Windows-1252, as the converter will read it.
 */
import { parse as parseCsv } from 'csv-parse/sync'
import { fileTypeFromBuffer } from 'file-type'
import { bomEncoding, CHARSET_PRESCAN_BYTES, decodeText } from './decode-text.ts'
import { documentError } from './errors.ts'
import type { Format } from './formats.ts'

const HTML_START =
  /^\s*(<!doctype html|<html[\s>]|<head[\s>]|<body[\s>]|<(p|div|h[1-6]|table|ul|ol|section|article|main|span|a|br|img|pre|blockquote)[\s>/])/i
const FULL_HTML = /<!doctype|<html|<head|<body/i
const LEADING_COMMENTS = /^(\s*<!--[\s\S]*?-->)+/
/** XHTML: an XML declaration, then (past comments and processing instructions) an HTML doctype or root. */
const XHTML_START = /^\s*<\?xml[^>]*\?>(\s|<!--[\s\S]*?-->|<\?[\s\S]*?\?>)*(<!doctype\s+html|<html[\s>])/i
/** Bytes that no text in any single-byte encoding has: C0 controls other than tab, newlines, form feed and escape. */
const TEXT_CONTROLS = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1b])
const isBinary = (bytes: Uint8Array): boolean => bytes.some((b) => b < 0x20 && !TEXT_CONTROLS.has(b))

/**
 * Markdown constructs that plain text rarely has (headings, fences, table delimiter rows, links, strong emphasis,
 * code spans), and those it often has too (bullets, numbered items, quoted lines, underlined titles). Plain text is
 * taken as Markdown only with at least one strong construct and enough structure overall (see isMarkdown).
 */
const MARKDOWN_STRONG: RegExp[] = [
  /^#{1,6}\s+\S/, // ATX heading
  /^\s{0,3}(```|~~~)/, // fenced code
  /^\s{0,3}\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$/, // table delimiter row
  /!?\[[^\]\n]+\]\((https?:|mailto:|\.{0,2}\/|#)?[^)\s]+\)/, // inline link or image
  /^\s{0,3}\[[^\]\n]+\]:\s+\S+/, // link reference definition
  /(^|[\s(])\*\*[^*\n]+\*\*/, // strong emphasis
]
const MARKDOWN_WEAK: RegExp[] = [
  /^\s{0,3}([-*+])\s+\S/, // bullet item
  /^\s{0,3}\d{1,9}[.)]\s+\S/, // ordered item
  /^\s{0,3}>\s?\S/, // block quote
  /^\s{0,3}(=+|-+)\s*$/, // setext underline
  // Code spans: plain-text release notes and commit messages use them as much as Markdown does.
  // They must close before a space or punctuation, so plain text quoting `like this' does not count.
  /(^|\s)`[^`'\n]+`([\s.,;:!?)]|$)/,
]
/** Lines looked at when telling Markdown from plain text. */
const SNIFF_LINES = 200

const startsWith = (bytes: Uint8Array, magic: string): boolean =>
  bytes.length >= magic.length && [...magic].every((c, i) => bytes[i] === c.charCodeAt(0))

export async function sniffFormat(bytes: Uint8Array): Promise<Format> {
  if (startsWith(bytes, '%PDF-')) return 'pdf'
  // Any ZIP is taken as a DOCX candidate without looking inside: file-type would inflate
  // [Content_Types].xml to tell DOCX from XLSX, and that entry could be the bomb. The zip
  // guard checks the archive and that it holds the main document part before anything inflates it.
  if (startsWith(bytes, 'PK\x03\x04')) return 'docx'
  const bom = bomEncoding(bytes)
  const head =
    bom === undefined
      ? new TextDecoder('latin1').decode(bytes.subarray(0, CHARSET_PRESCAN_BYTES))
      : new TextDecoder(bom).decode(bytes.subarray(0, 4 * CHARSET_PRESCAN_BYTES))
  // file-type calls XHTML application/xml; it is HTML to every browser and to pandoc.
  if (XHTML_START.test(head.replace(/^\ufeff/, ''))) return 'html'
  if (bom === undefined) {
    const type = await fileTypeFromBuffer(bytes)
    if (type !== undefined) {
      throw documentError('unknown_format', `input looks like ${type.mime}, which document.convert does not read`, { mime: type.mime })
    }
  }
  const decoded = decodeText(bytes, { html: false })
  if (decoded.encoding !== 'utf-8' && bom === undefined && isBinary(bytes)) {
    throw documentError('unknown_format', 'input is neither text nor a recognised binary format')
  }
  return sniffText(decoded.text)
}

function sniffText(text: string): Format {
  const trimmed = text.replace(/^\ufeff/, '').trimStart()
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      JSON.parse(trimmed)
      return 'json'
    } catch {
      // not JSON after all; keep looking
    }
  }
  const lines = trimmed
    .slice(0, 64 * 1024)
    .split(/\r?\n/)
    .slice(0, SNIFF_LINES)
  const html = HTML_START.exec(trimmed.replace(LEADING_COMMENTS, ''))
  // A README that opens with an HTML banner (<p align="center">…) and goes on in Markdown is Markdown.
  if (html !== null) return FULL_HTML.test(html[0]) || !isMarkdown(lines) ? 'html' : 'markdown'
  if (looksLikeCsv(lines.slice(0, 50))) return 'csv'
  return isMarkdown(lines) ? 'markdown' : 'text'
}

/**
 * Markdown needs a strong construct, and then either a fence, a table, a heading on the first line, two strong kinds, or a strong
 * construct with other structure besides (three points: a strong hit counts two, a weak one one, at most two hits a
 * kind). So a README with headings and links is Markdown, and a licence with numbered sections is text.
 */
function isMarkdown(lines: string[]): boolean {
  // Runs of "# " lines are shell-style comments (configuration, requirement lists), not headings.
  const hashed = lines.filter((l) => l.startsWith('#')).length
  const nonBlank = lines.filter((l) => l.trim() !== '').length
  if (hashed > 3 && hashed > nonBlank * 0.3) lines = lines.filter((l) => !l.startsWith('#'))
  const hits = (patterns: RegExp[]): number[] => patterns.map((re) => lines.filter((l) => re.test(l)).length)
  const strong = hits(MARKDOWN_STRONG)
  const weak = hits(MARKDOWN_WEAK)
  const strongKinds = strong.filter((n) => n > 0).length
  if (strongKinds === 0) return false
  // A fence, a table delimiter row or a heading on the first line is Markdown on its own.
  const [, fence = 0, tableDelimiter = 0] = strong
  if (strongKinds >= 2 || fence > 0 || tableDelimiter > 0 || /^#{1,6}\s+\S/.test(lines[0] ?? '')) return true
  const points = strong.reduce((a, n) => a + 2 * Math.min(n, 2), 0) + weak.reduce((a, n) => a + Math.min(n, 2), 0)
  return points >= 5
}

/** At least two rows, no blank rows, and every row has the same number (≥ 2) of fields. */
function looksLikeCsv(lines: string[]): boolean {
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') lines.pop()
  if (lines.length < 2 || lines.some((l) => l.trim() === '')) return false
  // The last line of the 64 KiB head may be cut short.
  const sample = lines.slice(0, Math.max(2, lines.length - 1)).join('\n')
  for (const delimiter of [',', ';', '\t']) {
    if (!lines[0]?.includes(delimiter)) continue
    try {
      const rows = parseCsv(sample, { delimiter, relax_column_count: false }) as string[][]
      if (rows.length >= 2 && (rows[0]?.length ?? 0) >= 2) return true
    } catch {
      // inconsistent field counts: not this delimiter
    }
  }
  return false
}
