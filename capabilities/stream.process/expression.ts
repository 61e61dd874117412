/**
 * Safe record expressions: jsep parses, and this file compiles the tree into
 * closures over a whitelist. There is no eval or Function, no access to
 * prototypes or globals, and no way to call anything outside FUNCTIONS.
 * Fields are bare identifiers (`price > 10`), nested via `.`/`[]`
 * (`user.tags[0]`), or `$["odd name"]` where `$` is the record. A missing
 * field is null; arithmetic on non-numbers is null rather than NaN or a throw.
 * Prototype keys are refused when the expression compiles.
 */
import jsep from 'jsep'
import { streamError } from './errors.ts'
import { isRawJson } from './exact-json.ts'
import { eventTime } from './field-values.ts'

export type Rec = Record<string, unknown>
export type Compiled = (rec: Rec) => unknown

const MAX_DEPTH = 64
/** Names that reach or replace an object's prototype: refused in expressions and field params alike. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'prototype', 'constructor'])

/** Throws invalid_pipeline when a field name (or path segment) is a prototype key. */
export function checkFieldName(name: string, where: string): void {
  if (FORBIDDEN_KEYS.has(name)) throw streamError('invalid_pipeline', `${where}: "${name}" is not allowed as a field name`)
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)
/** How a value reads in a string: objects (and exact big integers, see exact-json.ts) as their JSON. */
const text = (v: unknown): string => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))
const numericArgs = (args: unknown[]): number[] | null => {
  const out: number[] = []
  for (const a of args) {
    const n = num(a)
    if (n === null) return null
    out.push(n)
  }
  return out
}
const math1 =
  (f: (x: number) => number) =>
  (x: unknown): number | null => {
    const n = num(x)
    if (n === null) return null
    const r = f(n)
    return Number.isFinite(r) ? r : null
  }

const FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  abs: math1(Math.abs),
  ceil: math1(Math.ceil),
  floor: math1(Math.floor),
  round: math1(Math.round),
  sqrt: math1(Math.sqrt),
  log: math1(Math.log),
  exp: math1(Math.exp),
  pow: (a, b) => {
    const n = numericArgs([a, b])
    return n === null ? null : num((n[0] as number) ** (n[1] as number))
  },
  min: (...a) => {
    const n = numericArgs(a)
    return n === null || n.length === 0 ? null : Math.min(...n)
  },
  max: (...a) => {
    const n = numericArgs(a)
    return n === null || n.length === 0 ? null : Math.max(...n)
  },
  lower: (s) => str(s)?.toLowerCase() ?? null,
  upper: (s) => str(s)?.toUpperCase() ?? null,
  trim: (s) => str(s)?.trim() ?? null,
  len: (v) => (typeof v === 'string' || Array.isArray(v) ? v.length : null),
  contains: (s, sub) => {
    if (Array.isArray(s)) return s.includes(sub)
    const a = str(s)
    const b = str(sub)
    return a !== null && b !== null && a.includes(b)
  },
  startsWith: (s, p) => str(s) !== null && str(p) !== null && (s as string).startsWith(p as string),
  endsWith: (s, p) => str(s) !== null && str(p) !== null && (s as string).endsWith(p as string),
  substr: (s, start, length) => {
    const a = str(s)
    const from = num(start) ?? 0
    return a === null ? null : a.substr(from, num(length) ?? undefined)
  },
  concat: (...a) => a.map((v) => (v === null || v === undefined ? '' : text(v))).join(''),
  oneOf: (v, ...options) => options.includes(v),
  number: (v) => {
    if (typeof v === 'number') return Number.isFinite(v) ? v : null
    if (typeof v === 'string' && v.trim() !== '') return num(Number(v))
    if (typeof v === 'boolean') return v ? 1 : 0
    // An integer beyond 2^53 kept exact: as a number it can only be the nearest double.
    if (isRawJson(v)) return num(Number(v.rawJSON))
    return null
  },
  string: (v) => (v === null || v === undefined ? null : text(v)),
  bool: (v) => Boolean(v),
  exists: (v) => v !== null && v !== undefined,
  coalesce: (...a) => a.find((v) => v !== null && v !== undefined) ?? null,
  if: (c, a, b) => (c ? a : b),
  /** Epoch milliseconds from a number of ms, decimal text of ms, or a date string (no zone: UTC). */
  time: (v) => eventTime(v),
}

export const FUNCTION_NAMES = Object.keys(FUNCTIONS)

/** Reads an own property of a plain object or array; anything else is null. */
function getField(obj: unknown, key: unknown): unknown {
  if (obj === null || typeof obj !== 'object') return null
  if (Array.isArray(obj)) {
    return typeof key === 'number' && Number.isInteger(key) ? (obj[key < 0 ? obj.length + key : key] ?? null) : null
  }
  if (typeof key !== 'string' && typeof key !== 'number') return null
  const k = String(key)
  if (FORBIDDEN_KEYS.has(k) || !Object.hasOwn(obj, k)) return null
  return (obj as Rec)[k] ?? null
}

function compare(op: string, a: unknown, b: unknown): boolean {
  const bothNumbers = typeof a === 'number' && typeof b === 'number'
  const bothStrings = typeof a === 'string' && typeof b === 'string'
  if (!bothNumbers && !bothStrings) return false
  const x = a as number | string
  const y = b as number | string
  switch (op) {
    case '<':
      return x < y
    case '<=':
      return x <= y
    case '>':
      return x > y
    default:
      return x >= y
  }
}

function arith(op: string, a: unknown, b: unknown): unknown {
  if (op === '+' && (typeof a === 'string' || typeof b === 'string')) {
    return a === null || b === null || a === undefined || b === undefined ? null : `${text(a)}${text(b)}`
  }
  if (typeof a !== 'number' || typeof b !== 'number') return null
  let r: number
  switch (op) {
    case '+':
      r = a + b
      break
    case '-':
      r = a - b
      break
    case '*':
      r = a * b
      break
    case '/':
      r = a / b
      break
    default:
      r = a % b
  }
  return Number.isFinite(r) ? r : null
}

function sameValue(a: unknown, b: unknown): boolean {
  return (a ?? null) === (b ?? null)
}

type Node = jsep.Expression

function build(node: Node, depth: number, source: string): Compiled {
  if (depth > MAX_DEPTH) throw streamError('invalid_pipeline', `expression "${source}" nests deeper than ${MAX_DEPTH}`)
  const sub = (n: unknown): Compiled => build(n as Node, depth + 1, source)
  switch (node.type) {
    case 'Literal': {
      const v = (node as jsep.Literal).value
      if (v instanceof RegExp) throw streamError('invalid_pipeline', `regular expressions are not allowed in "${source}"`)
      return () => v
    }
    case 'Identifier': {
      const name = (node as jsep.Identifier).name
      if (name === '$') return (rec) => rec
      if (name === 'null') return () => null
      if (name === 'true') return () => true
      if (name === 'false') return () => false
      checkFieldName(name, `expression "${source}"`)
      return (rec) => getField(rec, name)
    }
    case 'MemberExpression': {
      const m = node as jsep.MemberExpression
      const object = sub(m.object)
      if (!m.computed) {
        const key = (m.property as jsep.Identifier).name
        checkFieldName(key, `expression "${source}"`)
        return (rec) => getField(object(rec), key)
      }
      // A literal key is checked now; a computed one (`$[name]`) still reads null for these names.
      if (m.property.type === 'Literal') checkFieldName(String((m.property as jsep.Literal).value), `expression "${source}"`)
      const property = sub(m.property)
      return (rec) => getField(object(rec), property(rec))
    }
    case 'ArrayExpression': {
      const elements = (node as jsep.ArrayExpression).elements.map((e) => (e === null ? () => null : sub(e)))
      return (rec) => elements.map((e) => e(rec))
    }
    case 'UnaryExpression': {
      const u = node as jsep.UnaryExpression
      const arg = sub(u.argument)
      if (u.operator === '!') return (rec) => !arg(rec)
      if (u.operator === '-') return (rec) => arith('-', 0, arg(rec))
      if (u.operator === '+') return (rec) => FUNCTIONS.number?.(arg(rec))
      throw streamError('invalid_pipeline', `operator "${u.operator}" is not allowed in "${source}"`)
    }
    case 'BinaryExpression': {
      const b = node as jsep.BinaryExpression
      const left = sub(b.left)
      const right = sub(b.right)
      switch (b.operator) {
        case '&&':
          return (rec) => left(rec) && right(rec)
        case '||':
          return (rec) => left(rec) || right(rec)
        case '??':
          return (rec) => left(rec) ?? right(rec)
        case '==':
        case '===':
          return (rec) => sameValue(left(rec), right(rec))
        case '!=':
        case '!==':
          return (rec) => !sameValue(left(rec), right(rec))
        case '<':
        case '<=':
        case '>':
        case '>=': {
          const op = b.operator
          return (rec) => compare(op, left(rec), right(rec))
        }
        case '+':
        case '-':
        case '*':
        case '/':
        case '%': {
          const op = b.operator
          return (rec) => arith(op, left(rec), right(rec))
        }
        default:
          throw streamError('invalid_pipeline', `operator "${b.operator}" is not allowed in "${source}"`)
      }
    }
    case 'ConditionalExpression': {
      const c = node as jsep.ConditionalExpression
      const test = sub(c.test)
      const yes = sub(c.consequent)
      const no = sub(c.alternate)
      return (rec) => (test(rec) ? yes(rec) : no(rec))
    }
    case 'CallExpression': {
      const call = node as jsep.CallExpression
      if (call.callee.type !== 'Identifier') throw streamError('invalid_pipeline', `only named functions can be called in "${source}"`)
      const name = (call.callee as jsep.Identifier).name
      const fn = Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined
      if (fn === undefined) {
        throw streamError('invalid_pipeline', `unknown function "${name}" in "${source}"; known: ${FUNCTION_NAMES.join(', ')}`)
      }
      const args = call.arguments.map(sub)
      return (rec) => fn(...args.map((a) => a(rec)))
    }
    default:
      throw streamError('invalid_pipeline', `${node.type} is not allowed in "${source}"`)
  }
}

export function compileExpression(source: string): Compiled {
  let tree: Node
  try {
    tree = jsep(source)
  } catch (err) {
    throw streamError('invalid_pipeline', `expression "${source}" does not parse: ${(err as Error).message}`)
  }
  return build(tree, 0, source)
}
