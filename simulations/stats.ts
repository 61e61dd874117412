export function percentiles(values: number[]): { p50: number; p90: number; p99: number; max: number; n: number } {
  const s = [...values].sort((a, b) => a - b)
  const at = (p: number): number =>
    s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!
  return { p50: at(50), p90: at(90), p99: at(99), max: s.length === 0 ? Number.NaN : s[s.length - 1]!, n: s.length }
}
