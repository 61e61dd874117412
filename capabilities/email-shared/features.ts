/**
 * Spam features: hashed unigrams and bigrams of the body text and subject,
 * tokens of the sender-side headers, the names of the headers present, and
 * the HTML tags used. Every header is tokenised (as Bayes filters do) except
 * the few that record a verdict on the message. The same function runs in training and in serving, so
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
  /** Log-scaled counts, L2-normalised per feature group (subject, body, headers, markup). */
  values: Float32Array
}

// Headers whose value reflects a filter's or a mail client's verdict on the
// corpus, not what the sender sent: using them would leak the label.
const EXCLUDED_HEADER = /^(x-spam|x-keywords|x-status|status$|x-uid|x-razor)/
const WORD = /[a-z0-9$€£%!][a-z0-9$€£%!'_-]*/g
const HEADER_WORD = /[a-z0-9][a-z0-9._-]*/g
const TAG = /<\s*([a-z][a-z0-9]*)([^>]*)>/g
const ATTR = /([a-z-]+)\s*=/g
const URL_HOST = /https?:\/\/([a-z0-9.-]+)/g

/** FNV-1a, 32-bit, over UTF-16 code units, continuing from state `h`: fnv(fnv(h, a), b) = fnv(h, a + b). */
function fnv(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h
}

const seeds = new Map<string, number>()
function saltSeed(salt: string): number {
  let h = seeds.get(salt)
  if (h === undefined) {
    h = fnv(0x811c9dc5, salt)
    seeds.set(salt, h)
  }
  return h
}

/** Dense scratch arrays, reused across messages (extraction is synchronous, so never shared by two at once). */
interface Scratch {
  counts: Float64Array
  merged: Float64Array
}
const scratches = new Map<number, Scratch>()
function scratchFor(dims: number): Scratch {
  let s = scratches.get(dims)
  if (s === undefined) {
    s = { counts: new Float64Array(dims), merged: new Float64Array(dims) }
    scratches.set(dims, s)
  }
  return s
}

class Hasher {
  readonly mask: number
  /** FNV-1a state after the salt. */
  readonly seed: number
  private readonly scratch: Scratch
  /** Buckets of the current group, in first-seen order. */
  private touched: number[] = []
  /** Buckets of all groups so far. */
  private readonly mergedTouched: number[] = []
  constructor(cfg: FeatureConfig) {
    this.mask = cfg.dims - 1
    this.seed = saltSeed(cfg.salt)
    this.scratch = scratchFor(cfg.dims)
  }
  add(feature: string): void {
    this.addHash(fnv(this.seed, feature))
  }
  /** Counts a feature by its FNV state (see `fnv`). */
  addHash(h: number): void {
    const idx = (h >>> 0) & this.mask
    const counts = this.scratch.counts
    if (counts[idx] === 0) this.touched.push(idx)
    counts[idx] = (counts[idx] as number) + 1
  }
  /**
   * Closes a feature group: its log-scaled counts are L2-normalised on their own
   * (so the many body tokens do not drown the headers) and added to the total.
   */
  group(): void {
    const { counts, merged } = this.scratch
    let norm = 0
    for (const idx of this.touched) norm += Math.log1p(counts[idx] as number) ** 2
    norm = Math.sqrt(norm)
    for (const idx of this.touched) {
      if (merged[idx] === 0) this.mergedTouched.push(idx)
      merged[idx] = (merged[idx] as number) + Math.log1p(counts[idx] as number) / norm
      counts[idx] = 0
    }
    this.touched = []
  }
  /** The sparse vector; resets the scratch arrays. */
  finish(): SparseFeatures {
    this.group()
    const merged = this.scratch.merged
    const indices = Int32Array.from(this.mergedTouched).sort()
    const values = new Float32Array(indices.length)
    for (let i = 0; i < indices.length; i++) {
      const idx = indices[i] as number
      values[i] = merged[idx] as number
      merged[idx] = 0
    }
    return { indices, values }
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

/** Unigrams `prefix+tok` and bigrams `prefix+prev+' '+tok`, hashed incrementally (no string building). */
function addGrams(h: Hasher, prefix: string, toks: string[]): void {
  const start = fnv(h.seed, prefix)
  let prev = 0
  for (let i = 0; i < toks.length; i++) {
    const tok = toks[i] as string
    const uni = fnv(start, tok)
    h.addHash(uni)
    if (i > 0) h.addHash(fnv(Math.imul(prev ^ 32, 0x01000193), tok))
    prev = uni
  }
}

/** Extracts the features of one parsed message. */
export function extractFeatures(parsed: ParseResult, cfg: FeatureConfig): SparseFeatures {
  const h = new Hasher(cfg)
  const { mail } = parsed
  const subject = mail.subject ?? ''
  addGrams(h, 's:', words(subject.toLowerCase(), WORD, 64))
  if (subject !== '' && subject === subject.toUpperCase() && /[A-Z]{3}/.test(subject)) h.add('s:*allcaps*')
  h.group()

  const body = parsed.text
  const toks = words(body.toLowerCase(), WORD, cfg.maxBodyTokens)
  addGrams(h, '', toks)
  if (toks.length === 0) h.add('*emptybody*')
  h.add(`*len:${Math.min(12, Math.round(Math.log2(1 + body.length)))}`)
  h.add(`*fromhtml:${parsed.textFromHtml}`)
  for (const m of body.toLowerCase().matchAll(URL_HOST)) h.add(`url:${m[1]}`)
  h.group()

  for (const { key, line } of mail.headerLines) {
    if (EXCLUDED_HEADER.test(key)) continue
    h.add(`hn:${key}`)
    if (key === 'subject') continue
    const value = line.slice(line.indexOf(':') + 1).toLowerCase()
    for (const w of words(value, HEADER_WORD, 48)) h.add(`h:${key}:${w}`)
  }
  h.group()

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

  return h.finish()
}
