/**
 * Detects a document's format from its bytes. PDF and ZIP (DOCX) by their magic
 * numbers, other binary formats by file-type (to name them in the error); text formats by their first lines, most
 * specific first (JSON, HTML, CSV, Markdown), falling back to plain text.
 */
import { parse as parseCsv } from 'csv-parse/sync'
import { fileTypeFromBuffer } from 'file-type'
import { documentError } from './errors.ts'
import type { Format } from './formats.ts'

const HTML_START =
  /^\s*(<!doctype html|<html[\s>]|<head[\s>]|<body[\s>]|<(p|div|h[1-6]|table|ul|ol|section|article|main|span|a|br|img|pre|blockquote)[\s>/])/i
const MARKDOWN_LINE = [
  /^#{1,6}\s+\S/, // ATX heading
  /^\s{0,3}([-*+])\s+\S/, // bullet item
  /^\s{0,3}\d{1,9}[.)]\s+\S/, // ordered item
  /^\s{0,3}(```|~~~)/, // fenced code
  /^\s{0,3}>\s?/, // block quote
  /^\s{0,3}\|.*\|\s*$/, // table row
  /^\s{0,3}(=+|-+)\s*$/, // setext underline
]
// Code spans must close before a space or punctuation, so plain text quoting `like this' is not Markdown.
const MARKDOWN_INLINE = [/\[[^\]\n]+\]\([^)\s]+\)/, /\*\*[^*\n]+\*\*/, /(^|\s)`[^`'\n]+`([\s.,;:!?)]|$)/]

const startsWith = (bytes: Uint8Array, magic: string): boolean =>
  bytes.length >= magic.length && [...magic].every((c, i) => bytes[i] === c.charCodeAt(0))

export async function sniffFormat(bytes: Uint8Array): Promise<Format> {
  if (startsWith(bytes, '%PDF-')) return 'pdf'
  // Any ZIP is taken as a DOCX candidate without looking inside: file-type would inflate
  // [Content_Types].xml to tell DOCX from XLSX, and that entry could be the bomb. The zip
  // guard checks the archive and that it holds word/document.xml before anything inflates it.
  if (startsWith(bytes, 'PK\x03\x04')) return 'docx'
  const type = await fileTypeFromBuffer(bytes)
  if (type !== undefined) {
    throw documentError('unknown_format', `input looks like ${type.mime}, which document.convert does not read`, { mime: type.mime })
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw documentError('unknown_format', 'input is neither UTF-8 text nor a recognised binary format')
  }
  return sniffText(text)
}

function sniffText(text: string): Format {
  const trimmed = text.trimStart()
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      JSON.parse(trimmed)
      return 'json'
    } catch {
      // not JSON after all; keep looking
    }
  }
  if (HTML_START.test(trimmed)) return 'html'
  const lines = trimmed
    .slice(0, 64 * 1024)
    .split(/\r?\n/)
    .slice(0, 50)
  if (looksLikeCsv(lines)) return 'csv'
  const mdHits = lines.filter((l) => MARKDOWN_LINE.some((re) => re.test(l)) || MARKDOWN_INLINE.some((re) => re.test(l))).length
  if (mdHits >= 1) return 'markdown'
  return 'text'
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
