/**
 * How operators read a number or an event time out of a field that may hold
 * text: CSV values are strings unless `csv.cast` is on, and dates in real
 * data often lack a time zone. The reading must not depend on the machine:
 * a job gives the same windows on every provider in the mesh.
 */

/** Decimal text, as a spreadsheet writes it: no hex, no `Infinity`; surrounding spaces allowed. */
const NUMERIC_TEXT = /^\s*[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\s*$/
/** An ISO 8601 date-time without a zone (`2024-01-02 10:00:00`, `2024-01-02T10:00`), which Date.parse reads as local time. */
const ZONELESS_DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/

/** A finite number from a number or decimal text (aggregates' input); anything else is null. */
export function numericValue(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null
  if (typeof v !== 'string' || !NUMERIC_TEXT.test(v)) return null
  const n = Number(v)
  return Number.isFinite(n) ? n : null
}

/**
 * Epoch ms from a number of ms, decimal text of ms (CSV), or a date string.
 * A date-time without a zone is read as UTC, never as the provider's local time.
 */
export function eventTime(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null
  if (typeof v !== 'string') return null
  const ms = numericValue(v)
  if (ms !== null) return ms
  const zoneless = ZONELESS_DATE_TIME.exec(v.trim())
  const t = Date.parse(zoneless === null ? v : `${zoneless[1]}T${zoneless[2]}Z`)
  return Number.isNaN(t) ? null : t
}
