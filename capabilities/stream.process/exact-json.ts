/**
 * Integers past 2^53 in NDJSON (64-bit ids, snowflakes, account numbers) are
 * rounded by JSON.parse: 1234567890123456789 would leave as
 * 1234567890123456800. A line whose parsed value holds a number that large
 * is parsed again with a reviver that keeps such an integer as JSON.rawJSON
 * of its source text, which JSON.stringify writes back digit for digit. The
 * common case costs one walk over the parsed values (cheaper than scanning
 * the text for long digit runs, which measured several times slower).
 */

/** A value JSON.stringify writes as its `rawJSON` text (V8, Node 21+; not yet in TypeScript's lib). */
export interface RawJson {
  readonly rawJSON: string
}
interface ReviverContext {
  source?: string
}
const json = JSON as unknown as {
  rawJSON(text: string): RawJson
  isRawJSON(value: unknown): value is RawJson
  parse(text: string, reviver: (key: string, value: unknown, context?: ReviverContext) => unknown): unknown
}

const INTEGER = /^-?[0-9]+$/

function keepUnsafeIntegers(_key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value !== 'number' || Number.isSafeInteger(value)) return value
  const source = context?.source
  return source !== undefined && INTEGER.test(source) ? json.rawJSON(source) : value
}

/** Whether a parsed value holds a number JSON.parse may have rounded (beyond ±(2^53 − 1)). */
function hasUnsafeNumber(v: unknown): boolean {
  if (typeof v === 'number') return v > Number.MAX_SAFE_INTEGER || v < Number.MIN_SAFE_INTEGER
  if (typeof v !== 'object' || v === null) return false
  if (Array.isArray(v)) {
    for (const x of v) if (hasUnsafeNumber(x)) return true
    return false
  }
  for (const k in v) if (hasUnsafeNumber((v as Record<string, unknown>)[k])) return true
  return false
}

/** JSON.parse that keeps integers beyond 2^53 exact. */
export function parseJsonLine(line: string): unknown {
  const value = JSON.parse(line)
  return hasUnsafeNumber(value) ? json.parse(line, keepUnsafeIntegers) : value
}

export function isRawJson(value: unknown): value is RawJson {
  return json.isRawJSON(value)
}
