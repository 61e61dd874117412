/**
 * Spam features: hashed unigrams and bigrams of the body text and subject,
 * tokens of the sender-side headers, the names of the headers present, and
 * the HTML tags used. The same function runs in training and in serving, so
 * the committed hashing config is all a model needs besides its weights.
 */
import type { ParseResult } from './parse-email.ts'

export interface FeatureConfig {
  /** Hash space size; a power of two. */
  dims: number
  /** Body tokens looked at, from the start (bounds the cost of huge messages). */
  maxBodyTokens: number
  /** Prepended to every feature before hashing (changing it reshuffles buckets). */
  salt: string
}

export interface SparseFeatures {
  /** Sorted, distinct bucket indices. */
  indices: Int32Array
  /** Log-scaled counts, L2-normalised. */
  values: Float32Array
}

// Headers whose value reflects a filter's or a mail client's verdict on the
// corpus, not what the sender sent: using them would leak the label.
const EXCLUDED_HEADER = /^(x-spam|x-keywords|x-status|status$|x-uid|x-razor)/
// Sender-side headers whose values are tokenised.
const VALUE_HEADERS = new Set([
  'from',
  'reply-to',
  'to',
  'cc',
  'return-path',
  'x-mailer',
  'user-agent',
  'content-type',
  'message-id',
  'organization',
  'x-mimeole',
  'x-priority',
  'x-msmail-priority',
  'content-transfer-encoding',
  'mime-version',
  'precedence',
  'list-id',
  'errors-to',
  'sender',
])
const WORD = /[a-z0-9$€£%!][a-z0-9$€£%!'_-]*/g
const HEADER_WORD = /[a-z0-9][a-z0-9._-]*/g
const TAG = /<\s*([a-z][a-z0-9]*)([^>]*)>/g
const ATTR = /([a-z-]+)\s*=/g
const URL_HOST = /https?:\/\/([a-z0-9.-]+)/g

class Hasher {
  readonly counts = new Map<number, number>()
  readonly mask: number
  readonly salt: string
  constructor(cfg: FeatureConfig) {
    this.mask = cfg.dims - 1
    this.salt = cfg.salt
  }
  add(feature: string): void {
    // FNV-1a, 32-bit, over UTF-16 code units.
    let h = 0x811c9dc5
    const s = this.salt
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
    for (let i = 0; i < feature.length; i++) h = Math.imul(h ^ feature.charCodeAt(i), 0x01000193)
    const idx = (h >>> 0) & this.mask
    this.counts.set(idx, (this.counts.get(idx) ?? 0) + 1)
  }
}

function words(text: string, re: RegExp, limit: number): string[] {
  const out: string[] = []
  re.lastIndex = 0
  for (let m = re.exec(text); m !== null && out.length < limit; m = re.exec(text)) {
    const w = m[0]
    if (w.length < 2) continue
    out.push(w.length > 24 ? `~${w.slice(0, 12)}` : w)
  }
  return out
}

function addGrams(h: Hasher, prefix: string, toks: string[]): void {
  for (let i = 0; i < toks.length; i++) {
    h.add(prefix + toks[i])
    if (i > 0) h.add(`${prefix}${toks[i - 1]} ${toks[i]}`)
  }
}

/** Extracts the features of one parsed message. */
export function extractFeatures(parsed: ParseResult, cfg: FeatureConfig): SparseFeatures {
  const h = new Hasher(cfg)
  const { mail } = parsed
  const subject = mail.subject ?? ''
  addGrams(h, 's:', words(subject.toLowerCase(), WORD, 64))
  if (subject !== '' && subject === subject.toUpperCase() && /[A-Z]{3}/.test(subject)) h.add('s:*allcaps*')

  const body = parsed.text
  const toks = words(body.toLowerCase(), WORD, cfg.maxBodyTokens)
  addGrams(h, '', toks)
  if (toks.length === 0) h.add('*emptybody*')
  h.add(`*len:${Math.min(12, Math.round(Math.log2(1 + body.length)))}`)
  h.add(`*fromhtml:${parsed.textFromHtml}`)
  for (const m of body.toLowerCase().matchAll(URL_HOST)) h.add(`url:${m[1]}`)

  for (const { key, line } of mail.headerLines) {
    if (EXCLUDED_HEADER.test(key)) continue
    h.add(`hn:${key}`)
    if (!VALUE_HEADERS.has(key)) continue
    const value = line.slice(line.indexOf(':') + 1).toLowerCase()
    for (const w of words(value, HEADER_WORD, 32)) h.add(`h:${key}:${w}`)
  }

  const html = typeof mail.html === 'string' ? mail.html.toLowerCase() : ''
  if (html !== '') {
    TAG.lastIndex = 0
    let n = 0
    for (let m = TAG.exec(html); m !== null && n < 2000; m = TAG.exec(html), n++) {
      const tag = m[1] as string
      h.add(`tag:${tag}`)
      for (const a of (m[2] as string).matchAll(ATTR)) h.add(`attr:${tag}:${a[1]}`)
    }
  }
  for (const a of mail.attachments) h.add(`att:${a.contentType}`)
  for (const w of parsed.warnings) h.add(`warn:${w.code}`)

  const indices = Int32Array.from(h.counts.keys()).sort()
  const values = new Float32Array(indices.length)
  let norm = 0
  for (let i = 0; i < indices.length; i++) {
    const v = Math.log1p(h.counts.get(indices[i] as number) as number)
    values[i] = v
    norm += v * v
  }
  norm = Math.sqrt(norm) || 1
  for (let i = 0; i < values.length; i++) values[i] = (values[i] as number) / norm
  return { indices, values }
}
