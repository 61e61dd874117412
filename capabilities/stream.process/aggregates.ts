/**
 * Window aggregates. count/sum/avg/min/max are exact and O(1) in memory;
 * p50/p95 keep the window's values up to `sampleCap` and then a uniform
 * reservoir sample (Vitter's algorithm R), so a huge window stays bounded and
 * its percentiles become estimates — the result says how many were sampled.
 */
import { numericValue } from './field-values.ts'

export const AGGREGATE_FNS = ['count', 'sum', 'avg', 'min', 'max', 'p50', 'p95'] as const
export type AggregateFn = (typeof AGGREGATE_FNS)[number]

export interface AggregateSpec {
  fn: AggregateFn
  /** The numeric field; not needed for count. */
  field?: string
  /** Output name; defaults to `fn` or `fn_field`. */
  as?: string
}

export function outputName(a: AggregateSpec): string {
  return a.as ?? (a.field === undefined ? a.fn : `${a.fn}_${a.field.replace(/\W+/g, '_')}`)
}

/** Accumulates one numeric field. */
export class Accumulator {
  count = 0
  sum = 0
  min = Number.POSITIVE_INFINITY
  max = Number.NEGATIVE_INFINITY
  private values: number[] | undefined
  private seen = 0
  private readonly sampleCap: number
  private readonly random: () => number

  constructor(keepValues: boolean, sampleCap: number, random: () => number) {
    if (keepValues) this.values = []
    this.sampleCap = sampleCap
    this.random = random
  }

  add(v: number): void {
    this.count++
    this.sum += v
    if (v < this.min) this.min = v
    if (v > this.max) this.max = v
    if (this.values === undefined) return
    this.seen++
    if (this.values.length < this.sampleCap) this.values.push(v)
    else {
      const j = Math.floor(this.random() * this.seen)
      if (j < this.sampleCap) this.values[j] = v
    }
  }

  /** Nearest-rank percentile over the kept values. */
  percentile(p: number): number | null {
    if (this.values === undefined || this.values.length === 0) return null
    const sorted = Float64Array.from(this.values).sort()
    const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
    return sorted[rank - 1] ?? null
  }

  get sampled(): boolean {
    return this.seen > this.sampleCap
  }

  value(fn: AggregateFn): number | null {
    switch (fn) {
      case 'count':
        return this.count
      case 'sum':
        return this.sum
      case 'avg':
        return this.count === 0 ? null : this.sum / this.count
      case 'min':
        return this.count === 0 ? null : this.min
      case 'max':
        return this.count === 0 ? null : this.max
      case 'p50':
        return this.percentile(50)
      case 'p95':
        return this.percentile(95)
    }
  }
}

/** The accumulators of one window (and group): one per distinct field. */
export class WindowState {
  count = 0
  private readonly specs: readonly AggregateSpec[]
  private readonly byField = new Map<string, Accumulator>()

  constructor(specs: readonly AggregateSpec[], sampleCap: number, random: () => number) {
    this.specs = specs
    for (const s of specs) {
      if (s.field === undefined || this.byField.has(s.field)) continue
      const field = s.field
      const needValues = specs.some((o) => o.field === field && (o.fn === 'p50' || o.fn === 'p95'))
      this.byField.set(field, new Accumulator(needValues, sampleCap, random))
    }
  }

  add(rec: Record<string, unknown>): void {
    this.count++
    for (const [field, acc] of this.byField) {
      // Decimal text counts too: CSV values are strings unless csv.cast is on.
      const v = numericValue(rec[field])
      if (v !== null) acc.add(v)
    }
  }

  /** count without a field counts records; with a field, records where it is a number (or decimal text). */
  result(): Record<string, number | null> {
    const out: Record<string, number | null> = {}
    for (const s of this.specs) {
      const acc = s.field === undefined ? undefined : this.byField.get(s.field)
      out[outputName(s)] = acc === undefined ? (s.fn === 'count' ? this.count : null) : acc.value(s.fn)
    }
    return out
  }
}
