/**
 * Job rate and latency over the last minutes, for the dashboard's chart: per time bucket, how
 * many jobs ended that were submitted through the gateway (and their submit-to-end latency) and
 * how many this node served for any caller (and their run time, from the node's journal).
 */
import { STATS_BUCKET_MS, STATS_BUCKETS, STATS_SAMPLES_PER_BUCKET } from './limits.ts'

interface Bucket {
  start: number
  submitted: number
  submittedFailed: number
  served: number
  servedFailed: number
  submittedMs: number[]
  servedMs: number[]
  /** Samples offered per series, for the reservoir. */
  submittedSeen: number
  servedSeen: number
}

/** One bucket as `/v1/stats` answers it. Percentiles are absent when the bucket has no sample. */
export interface StatsPoint {
  /** Bucket start, epoch ms. */
  t: number
  submitted: number
  submittedFailed: number
  served: number
  servedFailed: number
  submittedP50Ms?: number
  submittedP95Ms?: number
  servedP50Ms?: number
  servedP95Ms?: number
}

export class JobStats {
  readonly bucketMs: number
  readonly #buckets: Bucket[] = []
  readonly #max: number
  readonly #random: () => number
  readonly #now: () => number

  constructor(opts: { bucketMs?: number; buckets?: number; random?: () => number; now?: () => number } = {}) {
    this.bucketMs = opts.bucketMs ?? STATS_BUCKET_MS
    this.#max = opts.buckets ?? STATS_BUCKETS
    this.#random = opts.random ?? Math.random
    this.#now = opts.now ?? Date.now
  }

  /** A job submitted through the gateway ended. */
  submitted(durationMs: number, failed: boolean): void {
    const b = this.#current()
    b.submitted++
    if (failed) b.submittedFailed++
    b.submittedSeen++
    this.#sample(b.submittedMs, b.submittedSeen, durationMs)
  }

  /** A job this node ran ended. */
  served(durationMs: number, failed: boolean): void {
    const b = this.#current()
    b.served++
    if (failed) b.servedFailed++
    b.servedSeen++
    this.#sample(b.servedMs, b.servedSeen, durationMs)
  }

  /** Buckets oldest first, without gaps (empty buckets included) up to now. */
  points(): StatsPoint[] {
    this.#current()
    return this.#buckets.map(point)
  }

  /** The newest bucket. */
  latest(): StatsPoint {
    return point(this.#current())
  }

  #current(): Bucket {
    const start = Math.floor(this.#now() / this.bucketMs) * this.bucketMs
    const last = this.#buckets.at(-1)
    if (last !== undefined && last.start === start) return last
    // Fill quiet stretches with empty buckets, so the chart's time axis is even.
    let next = last === undefined ? start : Math.max(last.start + this.bucketMs, start - (this.#max - 1) * this.bucketMs)
    while (next <= start) {
      this.#buckets.push(emptyBucket(next))
      next += this.bucketMs
    }
    while (this.#buckets.length > this.#max) this.#buckets.shift()
    return this.#buckets.at(-1)!
  }

  /** Reservoir sampling (Algorithm R): every sample is kept with the same chance. */
  #sample(samples: number[], seen: number, value: number): void {
    if (samples.length < STATS_SAMPLES_PER_BUCKET) {
      samples.push(value)
      return
    }
    const i = Math.floor(this.#random() * seen)
    if (i < STATS_SAMPLES_PER_BUCKET) samples[i] = value
  }
}

function emptyBucket(start: number): Bucket {
  return {
    start,
    submitted: 0,
    submittedFailed: 0,
    served: 0,
    servedFailed: 0,
    submittedMs: [],
    servedMs: [],
    submittedSeen: 0,
    servedSeen: 0,
  }
}

function point(b: Bucket): StatsPoint {
  const s = percentiles(b.submittedMs)
  const v = percentiles(b.servedMs)
  return {
    t: b.start,
    submitted: b.submitted,
    submittedFailed: b.submittedFailed,
    served: b.served,
    servedFailed: b.servedFailed,
    ...(s === undefined ? {} : { submittedP50Ms: s[0], submittedP95Ms: s[1] }),
    ...(v === undefined ? {} : { servedP50Ms: v[0], servedP95Ms: v[1] }),
  }
}

/** Nearest-rank p50 and p95. */
export function percentiles(samples: number[]): [number, number] | undefined {
  if (samples.length === 0) return undefined
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = (p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!
  return [rank(0.5), rank(0.95)]
}
