/**
 * The opt-in CSV cast (`csv.cast: true`). It only types a cell when nothing
 * can be lost: a cell that is not exactly one of these stays the string it was.
 *   - `true` / `false` (lowercase, unquoted) become booleans;
 *   - plain decimal numbers (not `-0`): optional `-`, no leading zero before other digits
 *     (`00159` is an identifier, not 159), an optional fraction and exponent,
 *     no hex/octal/binary, no `Infinity`/`NaN`, no surrounding spaces;
 *   - and only when a double holds them as written: integers within
 *     ±(2^53 − 1), and at most 15 significant digits otherwise, so a long
 *     account number or a 20-digit id is never rounded.
 * Quoted cells are never cast: quoting is how a CSV writer says "text".
 */
const DECIMAL = /^-?(?:0|[1-9][0-9]*)(?:\.([0-9]+))?(?:[eE][+-]?[0-9]+)?$/
/** Doubles round-trip any decimal of this many significant digits. */
const EXACT_SIGNIFICANT_DIGITS = 15

export function castCell(value: string): string | number | boolean {
  if (value === 'true') return true
  if (value === 'false') return false
  const m = DECIMAL.exec(value)
  if (m === null) return value
  const n = Number(value)
  // -0 would be written back as 0.
  if (!Number.isFinite(n) || Object.is(n, -0)) return value
  const integerForm = m[1] === undefined && !/[eE]/.test(value)
  if (integerForm) return Number.isSafeInteger(n) ? n : value
  return significantDigits(value) <= EXACT_SIGNIFICANT_DIGITS ? n : value
}

function significantDigits(value: string): number {
  const mantissa = value
    .replace(/^-/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
  return mantissa.replace(/^0+/, '').length
}
