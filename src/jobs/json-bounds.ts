/**
 * Params and results cross the wire as JSON. Both directions are bounded before
 * any recursive work (JSON.stringify, JSON.parse's consumers, schema validation)
 * touches them: a value nested thousands deep overflows the stack, and a cyclic
 * or BigInt value throws from inside stringify. Each failure is a typed error.
 */
import { CrankError } from '../errors.ts'
import { MAX_JSON_BYTES, MAX_JSON_DEPTH } from './limits.ts'

export interface JsonBounds {
  maxDepth: number
  maxBytes: number
}

export const DEFAULT_JSON_BOUNDS: JsonBounds = { maxDepth: MAX_JSON_DEPTH, maxBytes: MAX_JSON_BYTES }

/**
 * Copies `value` into exactly what JSON.stringify would emit (toJSON applied, undefined and
 * functions dropped from objects and nulled in arrays), refusing cycles, BigInt and excess depth
 * without recursing past `maxDepth`. Throws a CrankError with `code`.
 */
export function toJsonValue(value: unknown, what: string, code: string, bounds: JsonBounds = DEFAULT_JSON_BOUNDS): unknown {
  const ancestors = new Set<object>()
  // The path to the value being walked, joined only for an error: most values never need it.
  const keys: string[] = []
  const fail = (message: (path: string) => string): never => {
    const path = [what, ...keys].join('/')
    throw new CrankError(code, message(path), { details: { field: path } })
  }
  const walk = (v: unknown, key: string, depth: number): unknown => {
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      v = (v as { toJSON: (k: string) => unknown }).toJSON(key)
    }
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v
      case 'number':
        return Number.isFinite(v) ? v : null
      case 'bigint':
        return fail((path) => `${path} is a BigInt, which JSON cannot carry`)
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined
    }
    if (v === null) return null
    const obj = v as object
    if (depth >= bounds.maxDepth) fail(() => `${what} nests deeper than ${bounds.maxDepth} levels`)
    if (ancestors.has(obj)) fail((path) => `${path} refers back to itself (a cycle)`)
    ancestors.add(obj)
    try {
      if (Array.isArray(obj)) {
        const out: unknown[] = new Array(obj.length)
        for (let i = 0; i < obj.length; i++) {
          keys.push(String(i))
          out[i] = walk(obj[i], String(i), depth + 1) ?? null
          keys.pop()
        }
        return out
      }
      const out: Record<string, unknown> = {}
      for (const k of Object.keys(obj)) {
        keys.push(k)
        const item = walk((obj as Record<string, unknown>)[k], k, depth + 1)
        keys.pop()
        if (item !== undefined) out[k] = item
      }
      return out
    } finally {
      ancestors.delete(obj)
    }
  }
  return walk(value, '', 0)
}

/** JSON bytes of `value`, bounded in depth and size; `code` is the error code of any refusal. */
export function encodeBoundedJson(value: unknown, what: string, code: string, bounds: JsonBounds = DEFAULT_JSON_BOUNDS): Uint8Array {
  // JSON.stringify itself is the fast path: it throws on cycles and BigInt, overflows the stack
  // (a RangeError) on absurd depth, and its output's depth is counted without parsing. Only a value
  // it refuses is walked, to name the field at fault.
  let text: string | undefined
  try {
    text = JSON.stringify(value ?? null)
  } catch {
    toJsonValue(value ?? null, what, code, bounds)
  }
  // Buffer.from takes small strings from Node's pool: less garbage than TextEncoder's new array.
  const bytes = Buffer.from(text ?? JSON.stringify(toJsonValue(value ?? null, what, code, bounds) ?? null), 'utf8')
  if (bytes.byteLength > bounds.maxDepth && jsonDepth(bytes, bounds.maxDepth) > bounds.maxDepth) {
    toJsonValue(value ?? null, what, code, bounds) // names the deepest path
    throw new CrankError(code, `${what} nests deeper than ${bounds.maxDepth} levels`)
  }
  if (bytes.byteLength > bounds.maxBytes) {
    throw new CrankError(code, `${what} is ${bytes.byteLength} bytes of JSON, over the ${bounds.maxBytes}-byte limit`)
  }
  return bytes
}

const OPEN_BRACE = 0x7b
const OPEN_BRACKET = 0x5b
const CLOSE_BRACE = 0x7d
const CLOSE_BRACKET = 0x5d
const QUOTE = 0x22
const BACKSLASH = 0x5c

/**
 * The deepest nesting of JSON text, found in one pass over its bytes without parsing it;
 * stops counting past `limit`. Brackets inside strings do not count.
 */
export function jsonDepth(bytes: Uint8Array, limit: number): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < bytes.byteLength; i++) {
    const b = bytes[i]
    if (inString) {
      if (b === BACKSLASH) i++
      else if (b === QUOTE) inString = false
      continue
    }
    if (b === QUOTE) inString = true
    else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      depth++
      if (depth > deepest) {
        deepest = depth
        if (deepest > limit) return deepest
      }
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--
  }
  return deepest
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Parses JSON bytes after checking their size and depth; undefined for no bytes at all. */
export function decodeBoundedJson(bytes: Uint8Array, what: string, code: string, bounds: JsonBounds = DEFAULT_JSON_BOUNDS): unknown {
  if (bytes.byteLength === 0) return undefined
  if (bytes.byteLength > bounds.maxBytes) {
    throw new CrankError(code, `${what} is ${bytes.byteLength} bytes, over the ${bounds.maxBytes}-byte limit`)
  }
  // Each level takes a byte of its own: text no longer than the bound cannot nest past it (most params and results).
  if (bytes.byteLength > bounds.maxDepth && jsonDepth(bytes, bounds.maxDepth) > bounds.maxDepth) {
    throw new CrankError(code, `${what} nests deeper than ${bounds.maxDepth} levels`)
  }
  try {
    return JSON.parse(utf8.decode(bytes))
  } catch (err) {
    throw new CrankError(code, `${what} is not valid JSON: ${(err as Error).message}`)
  }
}
