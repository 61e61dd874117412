/** The formats document.convert knows, and which pairs it converts between. */

export const DOCUMENT_FORMATS = ['markdown', 'html', 'text', 'docx', 'pdf'] as const
export const TABULAR_FORMATS = ['csv', 'json'] as const
export const FORMATS = [...DOCUMENT_FORMATS, ...TABULAR_FORMATS] as const

export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number]
export type TabularFormat = (typeof TABULAR_FORMATS)[number]
export type Format = (typeof FORMATS)[number]

export const MEDIA_TYPES: Record<Format, string> = {
  markdown: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  text: 'text/plain; charset=utf-8',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  pdf: 'application/pdf',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
}

function isDocument(f: Format): f is DocumentFormat {
  return (DOCUMENT_FORMATS as readonly string[]).includes(f)
}

/**
 * Every document format converts to every other one; tables (CSV, a JSON array
 * of records) convert to each other and render into any document format; a PDF
 * can also be read out as JSON structure. Documents do not become tables.
 */
export function isSupported(from: Format, to: Format): boolean {
  if (from === to) return false
  if (isDocument(from) && isDocument(to)) return true
  if (!isDocument(from)) return true
  return from === 'pdf' && to === 'json'
}
