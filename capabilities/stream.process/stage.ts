/** What every pipeline operator implements, and how it reports records it cannot use. */

import { mulberry32 } from '../../src/random.ts'
import type { Rec } from './expression.ts'

export interface RejectSink {
  /** A record that cannot be used (bad field) or that came too late; policy decides whether the job goes on. */
  reject(kind: 'malformed' | 'late', reason: string): void
}

export interface Stage {
  readonly name: string
  /** Processes one record, appending what it emits to `out`. */
  push(rec: Rec, out: Rec[]): void
  /** Called once at end of input: emits whatever is still held (open windows). */
  flush(out: Rec[]): void
  /** Counters for the result, e.g. `{ dropped: 12 }`. */
  stats(): Record<string, number>
}

/** Small seeded PRNG (mulberry32): sampling and reservoirs are reproducible for a given seed. */
export const seededRandom = mulberry32
