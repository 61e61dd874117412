/**
 * One RFC 5322 message to structured JSON, built on mailparser. mailparser is
 * lenient (it parses almost anything), so this module adds what callers need
 * on top: warnings for damage it silently papered over, and a clear verdict
 * when the bytes are not an email at all.
 */
import { createHash } from 'node:crypto'
import { convert, type HtmlToTextOptions } from 'html-to-text'
import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser'
import { mimeDeclarations } from './mime-structure.ts'

export interface Address {
  name: string
  address: string
}

export interface ParsedAttachment {
  filename?: string
  contentType: string
  disposition?: string
  contentId?: string
  size: number
  sha256: string
  /** Base64 content, only when asked for. */
  content?: string
}

export interface EmailWarning {
  code: string
  message: string
}

export interface ParsedEmail {
  headers: Record<string, string | string[]>
  from: Address[]
  to: Address[]
  cc: Address[]
  bcc: Address[]
  replyTo: Address[]
  subject?: string
  /** ISO 8601. */
  date?: string
  messageId?: string
  text?: string
  html?: string
  /** True when `text` was derived from `html` because the message had no text part. */
  textFromHtml: boolean
  attachments: ParsedAttachment[]
  warnings: EmailWarning[]
  /** Message size in bytes. */
  size: number
}

/** Thrown when the bytes hold no recognisable email (no header at all). */
export class NotAnEmailError extends Error {
  override name = 'NotAnEmailError'
}

export interface ParseResult {
  mail: ParsedMail
  warnings: EmailWarning[]
  /** Plain text of the body: the text part, or the html converted when there is none. */
  text: string
  textFromHtml: boolean
}

// RFC 5322 field name: printable ASCII except colon, then a colon.
const HEADER_LINE = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/

/** Options used everywhere the corpus is parsed, so training and serving see the same text. */
export const HTML_TO_TEXT_OPTIONS: HtmlToTextOptions = {
  wordwrap: false,
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
  ],
}

export function htmlToText(html: string): string {
  return convert(html, HTML_TO_TEXT_OPTIONS)
}

/** Parses one message. Throws NotAnEmailError when nothing in it is an email header. */
export async function parseMessage(bytes: Buffer): Promise<ParseResult> {
  const warnings = inspectRaw(bytes)
  const mail = await simpleParser(bytes, {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    skipImageLinks: true,
  })
  if (mail.headers.has('date')) {
    // mailparser puts the current time in place of a Date it cannot parse: check the header itself.
    const raw = rawHeader(mail, 'date')
    if (!isIsoDate(new Date(raw.replace(/\r?\n[ \t]+/g, ' ')))) {
      warnings.push({ code: 'invalid_date', message: `Date header "${raw.slice(0, 80)}" is not a valid date` })
      delete mail.date
    }
  }
  repairRawHeaders(mail, warnings)
  let text = mail.text ?? ''
  let textFromHtml = false
  if (text.trim() === '' && typeof mail.html === 'string' && mail.html !== '') {
    text = htmlToText(mail.html)
    textFromHtml = true
  }
  return { mail, warnings, text, textFromHtml }
}

/** Checks the raw bytes for damage mailparser would hide; throws when there is no header at all. */
function inspectRaw(bytes: Buffer): EmailWarning[] {
  const warnings: EmailWarning[] = []
  if (bytes.length === 0) throw new NotAnEmailError('the message is empty')
  // Header block: up to the first empty line. Latin-1 keeps one char per byte.
  const headEnd = findHeaderEnd(bytes)
  const head = bytes.subarray(0, headEnd < 0 ? Math.min(bytes.length, 256 * 1024) : headEnd).toString('latin1')
  const lines = head.split(/\r?\n/)
  let valid = 0
  let malformed = 0
  let firstBad = ''
  for (const line of lines) {
    if (line === '') continue
    if (line[0] === ' ' || line[0] === '\t') {
      if (valid === 0) malformed++
      continue
    }
    if (HEADER_LINE.test(line)) valid++
    else {
      malformed++
      if (firstBad === '') firstBad = line.slice(0, 80)
    }
  }
  if (valid === 0) throw new NotAnEmailError('no RFC 5322 header field found')
  if (malformed > 0) {
    warnings.push({
      code: 'malformed_header',
      message: `${malformed} header line(s) are not "Name: value" fields, first: ${JSON.stringify(firstBad)}`,
    })
  }
  if (headEnd < 0) warnings.push({ code: 'missing_body', message: 'no empty line ends the header block: the message may be truncated' })
  const sample = bytes.subarray(0, Math.min(bytes.length, 64 * 1024))
  if (sample.includes(0)) warnings.push({ code: 'binary_content', message: 'the message holds NUL bytes, which RFC 5322 forbids' })

  // Only what the MIME structure declares counts: a regex over the whole message also matched bodies and reports.
  const declared = mimeDeclarations(bytes.toString('latin1'))
  for (const boundary of declared.unclosedBoundaries) {
    warnings.push({
      code: 'truncated_multipart',
      message: `multipart boundary "${boundary}" is never closed: the message may be truncated`,
    })
  }
  for (const charset of declared.charsets) {
    if (!isKnownCharset(charset))
      warnings.push({ code: 'unknown_charset', message: `charset "${charset}" is unknown; decoded as best effort` })
  }
  return warnings
}

const EIGHT_BIT = /[\x80-\xff]/
const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Headers must be ASCII (RFC 5322), but much mail, spam above all, carries raw
 * 8-bit text in the message's own charset. mailparser reads it as UTF-8 and
 * leaves U+FFFD; we re-decode such lines (kept as Latin-1 strings in
 * headerLines) with UTF-8 when valid, else with the Content-Type charset.
 */
function repairRawHeaders(mail: ParsedMail, warnings: EmailWarning[]): void {
  const ct = mail.headers.get('content-type')
  const declared = typeof ct === 'object' && ct !== null && 'params' in ct ? (ct.params as Record<string, string>).charset : undefined
  const charset = declared !== undefined && isKnownCharset(declared.toLowerCase()) ? declared.toLowerCase() : 'windows-1252'
  let repaired = 0
  for (const h of mail.headerLines) {
    if (!EIGHT_BIT.test(h.line)) continue
    const bytes = Buffer.from(h.line, 'latin1')
    let line: string
    try {
      line = utf8.decode(bytes)
    } catch {
      line = new TextDecoder(charset).decode(bytes)
      repaired++
    }
    raw8bit.set(h, line)
    if (h.key === 'subject')
      mail.subject = line
        .slice(line.indexOf(':') + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim()
  }
  if (repaired > 0)
    warnings.push({ code: 'raw_8bit_header', message: `${repaired} header line(s) hold raw 8-bit text; decoded as ${charset}` })
}

/** Re-decoded header lines, by headerLines entry. */
const raw8bit = new WeakMap<object, string>()

/** A date that ISO 8601 (and the output schema's `date-time`) can state: valid, years 0–9999. */
function isIsoDate(d: Date): boolean {
  const year = d.getUTCFullYear()
  return !Number.isNaN(year) && year >= 0 && year <= 9999
}

function findHeaderEnd(bytes: Buffer): number {
  const lf = bytes.indexOf('\n\n')
  const crlf = bytes.indexOf('\r\n\r\n')
  if (lf < 0) return crlf
  if (crlf < 0) return lf
  return Math.min(lf, crlf)
}

const charsetCache = new Map<string, boolean>()
function isKnownCharset(charset: string): boolean {
  let known = charsetCache.get(charset)
  if (known === undefined) {
    try {
      new TextDecoder(charset)
      known = true
    } catch {
      known = false
    }
    charsetCache.set(charset, known)
  }
  return known
}

function rawHeader(mail: ParsedMail, key: string): string {
  const line = mail.headerLines.find((h) => h.key === key)?.line ?? ''
  return line.slice(line.indexOf(':') + 1).trim()
}

export interface ToJsonOptions {
  includeContent: boolean
  size: number
}

/** The JSON shape `email.parse` returns. */
export function toParsedEmail(parsed: ParseResult, opts: ToJsonOptions): ParsedEmail {
  const { mail } = parsed
  const out: ParsedEmail = {
    headers: normaliseHeaders(mail),
    from: addresses(mail.from),
    to: addresses(mail.to),
    cc: addresses(mail.cc),
    bcc: addresses(mail.bcc),
    replyTo: addresses(mail.replyTo),
    textFromHtml: parsed.textFromHtml,
    attachments: mail.attachments.map((a) => {
      const att: ParsedAttachment = {
        contentType: a.contentType,
        size: a.size,
        sha256: createHash('sha256').update(a.content).digest('hex'),
      }
      if (a.filename !== undefined) att.filename = a.filename
      if (a.contentDisposition !== undefined) att.disposition = a.contentDisposition
      if (a.contentId !== undefined) att.contentId = a.contentId
      if (opts.includeContent) att.content = a.content.toString('base64')
      return att
    }),
    warnings: parsed.warnings,
    size: opts.size,
  }
  if (mail.subject !== undefined) out.subject = mail.subject
  if (mail.date !== undefined && isIsoDate(mail.date)) out.date = mail.date.toISOString()
  if (mail.messageId !== undefined) out.messageId = mail.messageId
  if (parsed.text !== '') out.text = parsed.text
  if (typeof mail.html === 'string' && mail.html !== '') out.html = mail.html
  return out
}

/**
 * Normalised headers: lowercase names, folded lines unfolded, encoded words
 * decoded (mailparser's decoding where it kept a plain string), repeated
 * fields as arrays in message order.
 */
function normaliseHeaders(mail: ParsedMail): Record<string, string | string[]> {
  // A Map, then fromEntries: a header named `__proto__` must stay a plain key.
  const headers = new Map<string, string | string[]>()
  const seen = new Map<string, number>()
  for (const entry of mail.headerLines) {
    const { key } = entry
    const line = raw8bit.get(entry) ?? entry.line
    const i = seen.get(key) ?? 0
    seen.set(key, i + 1)
    const parsed = mail.headers.get(key)
    let value: string
    if (raw8bit.has(entry))
      value = line
        .slice(line.indexOf(':') + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim()
    else if (typeof parsed === 'string' && i === 0) value = parsed
    else if (Array.isArray(parsed) && typeof parsed[i] === 'string') value = parsed[i] as string
    else
      value = line
        .slice(line.indexOf(':') + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim()
    const prev = headers.get(key)
    if (prev === undefined) headers.set(key, value)
    else if (Array.isArray(prev)) prev.push(value)
    else headers.set(key, [prev, value])
  }
  return Object.fromEntries(headers)
}

function addresses(field: AddressObject | AddressObject[] | undefined): Address[] {
  if (field === undefined) return []
  const out: Address[] = []
  const visit = (list: AddressObject['value']): void => {
    for (const a of list) {
      if (a.group !== undefined) visit(a.group)
      else if (a.address !== undefined && a.address !== '') out.push({ name: a.name ?? '', address: a.address })
    }
  }
  for (const obj of Array.isArray(field) ? field : [field]) visit(obj.value)
  return out
}
