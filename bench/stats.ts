/** Small helpers shared by the benchmarks: percentiles and ratio formatting. */
export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN
  const i = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1))
  return sortedMs[i] as number
}

export interface LatencySummary {
  p50: number
  p99: number
  n: number
}

export async function measureLatency(n: number, fn: () => Promise<unknown>): Promise<LatencySummary> {
  const samples: number[] = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await fn()
    samples.push(performance.now() - t)
  }
  samples.sort((a, b) => a - b)
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), n }
}

/** Runs `fn` from `concurrency` loops for `ms` milliseconds and returns completions per second. */
export async function measureThroughput(concurrency: number, ms: number, fn: () => Promise<unknown>): Promise<number> {
  let done = 0
  const end = performance.now() + ms
  const start = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await fn()
        done++
      }
    }),
  )
  return done / ((performance.now() - start) / 1000)
}

export const fmtMs = (v: number): string => `${v.toFixed(3)} ms`
export const ratio = (v: number, base: number): string => `${(v / base).toFixed(2)}×`
