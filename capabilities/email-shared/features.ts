/**
 * Spam features: hashed unigrams and bigrams of the body text and subject
 * (words of any script; CJK runs, written without spaces, as character
 * bigrams), tokens of the header values, the names of the headers present,
 * and the HTML tags used. Every header is tokenised (as Bayes filters do)
 * except the few that record a verdict on the message; tokens that are
 * identifiers (Message-ID local parts, dates, queue ids) are reduced to their
 * shape, since their exact value never recurs and would only hash into
 * buckets other features trained. The same function runs in training and in
 * serving, so the committed hashing config is all a model needs besides its weights.
 */
import type { ParseResult } from './parse-email.ts'

export interface FeatureConfig {
  /** Hash space size; a power of two. */
  dims: number
  /** Body tokens looked at, from the start (bounds the cost of huge messages). */
  maxBodyTokens: number
  /** Prepended to every feature before hashing (changing it reshuffles buckets). */
  salt: string
  /**
   * Added to each group's squared norm before it is normalised, as if every
   * group held this much more evidence: a short message's few tokens keep
   * small values (and its score stays near the prior) instead of being scaled
   * up to the weight of a whole message. 0 is plain L2 normalisation.
   */
  normPrior: number
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
// Letters and digits of any script; a run of CJK characters is split out by `words`.
const WORD = /[\p{L}\p{N}$€£%!][\p{L}\p{N}\p{M}$€£%!'_-]*/gu
const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu
const HAS_CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u
const HEADER_WORD = /[\p{L}\p{N}][\p{L}\p{N}._-]*/gu
// Headers whose values are identifiers: only the domain after `@` says anything about the sender.
const ID_HEADER = /^(message-id|in-reply-to|references|resent-message-id|content-id)$/
const ID_DOMAIN = /@([\p{L}\p{N}][\p{L}\p{N}.-]*)/gu
const HAS_DIGIT = /[0-9]/
// Day, month and zone names say when the corpus was collected (its ham is from a few months of
// 2002), not whether a message is spam; Date and Received values (relay paths to the corpus
// owner's mailbox) are left out whole, only their presence counts.
// MIME structure (multipart/mixed, MIME-Version 1.0) marks spam in a 2002 corpus whose ham is plain
// list mail, and marks nothing in today's mail; Date and Received as above. Only their presence counts.
const UNTOKENISED_HEADER = /^(date|received|mime-version|content-type|content-transfer-encoding)$/
/**
 * The fields a plain client writes (see also scripts/email/train.ts reduceHeaders), as lower-case
 * names. Their tokens form a feature group of their own (see extractFeatures).
 */
export const PLAIN_HEADER =
  /^(from|to|cc|subject|date|message-id|in-reply-to|references|mime-version|content-type|content-transfer-encoding|content-disposition)$/
// Fields nearly every message has, ham or spam (From, Date, Subject in all of train.txt; Content-Type
// in 87% of both): their presence is no evidence, so they get no `hn:` feature.
const UNIVERSAL_HEADER = /^(from|to|cc|subject|date|message-id|mime-version|content-type|content-transfer-encoding|content-disposition)$/
const DATE_WORD = /^(mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|[a-z]?[ecmp][sd]t|gmt|ut|utc)$/
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
  private readonly normPrior: number
  /** When set, each bucket's feature names are recorded (for explaining a score; see scripts/email/explain.ts). */
  readonly names: Map<number, Set<string>> | undefined
  constructor(cfg: FeatureConfig, names?: Map<number, Set<string>>) {
    this.names = names
    this.mask = cfg.dims - 1
    this.normPrior = cfg.normPrior
    this.seed = saltSeed(cfg.salt)
    this.scratch = scratchFor(cfg.dims)
  }
  add(feature: string): void {
    const h = fnv(this.seed, feature)
    this.addHash(h)
    this.name(h, feature)
  }
  name(h: number, feature: string): void {
    if (this.names === undefined) return
    const idx = (h >>> 0) & this.mask
    let set = this.names.get(idx)
    if (set === undefined) {
      set = new Set()
      this.names.set(idx, set)
    }
    set.add(feature)
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
    let norm = this.normPrior
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

function push(out: string[], w: string): void {
  if (w.length >= 2) out.push(w.length > 24 ? `~${w.slice(0, 12)}` : w)
}

/** Words of `text`; CJK runs become character bigrams (a lone character stands for itself). */
function words(text: string, re: RegExp, limit: number): string[] {
  const out: string[] = []
  re.lastIndex = 0
  for (let m = re.exec(text); m !== null && out.length < limit; m = re.exec(text)) {
    const w = m[0]
    if (!HAS_CJK.test(w)) {
      push(out, w)
      continue
    }
    let last = 0
    for (const run of w.matchAll(CJK_RUN)) {
      push(out, w.slice(last, run.index))
      const chars = Array.from(run[0])
      if (chars.length === 1) out.push(chars[0] as string)
      for (let i = 0; i + 1 < chars.length; i++) out.push(`${chars[i]}${chars[i + 1]}`)
      last = run.index + run[0].length
    }
    push(out, w.slice(last))
  }
  return out.length > limit ? out.slice(0, limit) : out
}

/** A header token as a feature: identifiers are reduced to their shape (`20240101.1234` → `#9.9`). */
function headerToken(w: string): string {
  if (!HAS_DIGIT.test(w)) return w
  return `#${w.replace(/\p{L}+/gu, 'a').replace(/[0-9]+/g, '9')}`
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
    if (h.names !== undefined) {
      h.name(uni, prefix + tok)
      if (i > 0) h.name(fnv(Math.imul(prev ^ 32, 0x01000193), tok), `${prefix}${toks[i - 1]} ${tok}`)
    }
    prev = uni
  }
}

/** Extracts the features of one parsed message. */
export function extractFeatures(parsed: ParseResult, cfg: FeatureConfig, names?: Map<number, Set<string>>): SparseFeatures {
  const h = new Hasher(cfg, names)
  const { mail } = parsed
  const subject = mail.subject ?? ''
  addGrams(h, 's:', words(subject.toLowerCase(), WORD, 64))
  if (subject !== '' && subject === subject.toUpperCase() && /[A-Z]{3}/.test(subject)) h.add('s:*allcaps*')
  h.group()

  const body = parsed.text
  const toks = words(body.toLowerCase(), WORD, cfg.maxBodyTokens)
  addGrams(h, '', toks)
  // No length feature: in the corpus short mail is mostly spam, elsewhere it is mostly a quick note.
  if (parsed.textFromHtml) h.add('*fromhtml*')
  for (const m of body.toLowerCase().matchAll(URL_HOST)) h.add(`url:${m[1]}`)
  h.group()

  // Two groups: the fields any client writes, then everything relays and lists added. Normalised
  // together, a From token's value would shrink with the number of relay and list headers, and so
  // say how a message travelled (in the corpus: ham through lists, spam direct) instead of who sent it.
  for (const plain of [true, false]) {
    for (const { key, line } of mail.headerLines) {
      if (EXCLUDED_HEADER.test(key) || PLAIN_HEADER.test(key) !== plain) continue
      if (!UNIVERSAL_HEADER.test(key)) h.add(`hn:${key}`)
      if (key === 'subject') continue
      const value = line.slice(line.indexOf(':') + 1).toLowerCase()
      const re = ID_HEADER.test(key) ? ID_DOMAIN : HEADER_WORD
      re.lastIndex = 0
      let n = 0
      for (let m = re.exec(value); m !== null && n < 48; m = re.exec(value), n++) {
        if (UNTOKENISED_HEADER.test(key) || DATE_WORD.test(m[0])) continue
        const tok = headerToken(m[1] ?? m[0])
        if (tok.length >= 2) h.add(`h:${key}:${tok.length > 32 ? `~${tok.slice(0, 16)}` : tok}`)
      }
    }
    h.group()
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
  // No parse-warning features: in train.txt no ham and 1–3% of spam carry one (truncated multipart,
  // unknown charset, invalid date, raw 8-bit headers), since list software cleaned or dropped damaged
  // mail in 2002; the weight that taught flagged other projects' ordinary test messages.

  return h.finish()
}
