/**
 * Integers past 2^53 in NDJSON (64-bit ids, snowflakes, account numbers) are
 * rounded by JSON.parse: 1234567890123456789 would leave as
 * 1234567890123456800. Lines that may hold one are parsed with a reviver that
 * keeps such an integer as JSON.rawJSON of its source text, which
 * JSON.stringify writes back digit for digit. Other lines take plain
 * JSON.parse, so the common case costs one regex test per chunk.
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

/** 16 digits in a row: text that may hold an integer beyond Number.MAX_SAFE_INTEGER (16 digits). */
export const LONG_DIGITS = /[0-9]{16}/
const INTEGER = /^-?[0-9]+$/

function keepUnsafeIntegers(_key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value !== 'number' || Number.isSafeInteger(value)) return value
  const source = context?.source
  return source !== undefined && INTEGER.test(source) ? json.rawJSON(source) : value
}

/** JSON.parse that keeps integers beyond 2^53 exact; `mayBeLong` false says the caller knows there is none. */
export function parseJsonLine(line: string, mayBeLong: boolean): unknown {
  return mayBeLong && LONG_DIGITS.test(line) ? json.parse(line, keepUnsafeIntegers) : JSON.parse(line)
}

export function isRawJson(value: unknown): value is RawJson {
  return json.isRawJSON(value)
}
