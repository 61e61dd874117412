/**
 * What every bench shares: interleaved rounds, per-round ratios and differences against a
 * baseline, medians with their ranges, and the machine's load printed beside each figure.
 *
 * The machines are shared and their load drifts by the second, so one figure from one pass says
 * little. Each bench measures its baseline and Crank in the same process, one after the other
 * inside each round, and reverses the order on every other round so neither always runs on the
 * warmer (or the busier) side. A ratio is taken within each round, where both contenders saw about
 * the same machine, and the median and the min–max of those per-round ratios are reported.
 */
import { availableParallelism, loadavg } from 'node:os'
import { CrankError, ErrorCodes } from '../src/index.ts'

/** A positive number from the environment, or `fallback`; anything else is a typed config error. */
export function envNumber(name: string, fallback: number, opts: { integer?: boolean } = {}): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const v = Number(raw)
  if (!Number.isFinite(v) || v <= 0 || (opts.integer === true && !Number.isInteger(v))) {
    throw new CrankError(ErrorCodes.invalidConfig, `${name}=${raw}: expected a positive ${opts.integer === true ? 'integer' : 'number'}`)
  }
  return v
}

/** Rounds per bench (BENCH_ROUNDS, default 5). Fewer than 5 is allowed for a quick look, and flagged in the header. */
export const ROUNDS = envNumber('BENCH_ROUNDS', 5, { integer: true })
export const CORES = availableParallelism()

/** One measured quantity, one value per round, with the 1-minute load average seen when each value was taken. */
export class Series {
  readonly values: number[] = []
  readonly loads: number[] = []
  add(value: number): void {
    this.values.push(value)
    this.loads.push(loadavg()[0] as number)
  }
}

/** Named series, created on first use, so a bench can record several figures from one measurement. */
export class Results {
  private readonly series = new Map<string, Series>()
  get(name: string): Series {
    let s = this.series.get(name)
    if (s === undefined) {
      s = new Series()
      this.series.set(name, s)
    }
    return s
  }
  record(name: string, value: number): void {
    this.get(name).add(value)
  }
}

export interface Spread {
  median: number
  min: number
  max: number
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN }
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  const median = s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
  return { median, min: s[0] as number, max: s.at(-1) as number }
}

/**
 * Runs `steps` once per round for `rounds` rounds, in order on even rounds and reversed on odd
 * ones, so a baseline and its Crank counterpart alternate which goes first.
 */
export async function interleave(steps: readonly (() => Promise<void>)[], rounds = ROUNDS): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? steps : [...steps].reverse()
    for (const step of order) await step()
  }
}

/** Per-round values of `a` against `b`, paired by round. */
function paired(a: Series, b: Series, f: (x: number, y: number) => number): number[] {
  if (a.values.length !== b.values.length) throw new Error(`series of unequal length: ${a.values.length} and ${b.values.length}`)
  return a.values.map((x, i) => f(x, b.values[i] as number))
}

/** A number to about three significant figures, with thousands separators. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v)
  const a = Math.abs(v)
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3
  return v.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

const fmtSpread = (s: Spread, unit = ''): string => `${fmt(s.median)}${unit} (${fmt(s.min)}–${fmt(s.max)})`

/** The 1-minute load average over the rounds a figure came from, against the machine's cores. */
function fmtLoad(...series: Series[]): string {
  const l = spread(series.flatMap((s) => s.loads))
  return `[load ${l.min.toFixed(1)}–${l.max.toFixed(1)}, ${CORES} cores]`
}

/** The bench's title line, with the run's shape and the load when it starts. */
export function printHeader(title: string, rounds = ROUNDS): void {
  const [l1, l5, l15] = loadavg().map((v) => v.toFixed(2))
  const few = rounds < 5 ? ' (fewer than 5: a quick look, not a figure to quote)' : ''
  console.log(`${title}`)
  console.log(`  Node ${process.version}, ${CORES} cores, load ${l1} ${l5} ${l15}; ${rounds} interleaved rounds${few}`)
  console.log('  each figure: median (min–max) over the rounds; ratios and differences are taken within each round')
}

/** One series on its own: median (min–max) and the load. */
export function printValue(label: string, s: Series, unit = ''): Spread {
  const sp = spread(s.values)
  console.log(`  ${label}: ${fmtSpread(sp, unit)} ${fmtLoad(s)}`)
  return sp
}

/** `crank` against `base`: both figures, then the per-round ratio crank/base. */
export function printRatio(
  label: string,
  crank: Series,
  base: Series,
  opts: { unit?: string; crankName?: string; baseName?: string } = {},
): Spread {
  const unit = opts.unit ?? ''
  const r = spread(paired(crank, base, (x, y) => x / y))
  console.log(
    `  ${label}: ${opts.crankName ?? 'crank'} ${fmtSpread(spread(crank.values), unit)}, ${opts.baseName ?? 'baseline'} ${fmtSpread(spread(base.values), unit)}; ` +
      `ratio ${fmt(r.median)}× (${fmt(r.min)}–${fmt(r.max)}) ${fmtLoad(crank, base)}`,
  )
  return r
}

/** `crank` against `base`: both figures, then the per-round difference crank − base, e.g. µs added per job. */
export function printDelta(
  label: string,
  crank: Series,
  base: Series,
  opts: { unit?: string; crankName?: string; baseName?: string; what?: string } = {},
): Spread {
  const unit = opts.unit ?? ''
  const d = spread(paired(crank, base, (x, y) => x - y))
  console.log(
    `  ${label}: ${opts.crankName ?? 'crank'} ${fmtSpread(spread(crank.values), unit)}, ${opts.baseName ?? 'baseline'} ${fmtSpread(spread(base.values), unit)}; ` +
      `${opts.what ?? 'added'} ${fmtSpread(d, unit)} ${fmtLoad(crank, base)}`,
  )
  return d
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i] as number
}

/** A measured window: operations done, wall seconds, and this process's CPU (user + system) over it. */
export interface Window {
  ops: number
  seconds: number
  cpuUs: number
}

export const perSecond = (w: Window): number => w.ops / w.seconds
export const cpuUsPerOp = (w: Window): number => w.cpuUs / w.ops
export const usPerOp = (w: Window): number => (w.seconds * 1e6) / w.ops

const cpuNow = (): number => {
  const c = process.cpuUsage()
  return c.user + c.system
}

/** This thread's CPU (user + system, µs), unlike `process.cpuUsage()` which counts every thread. */
export const threadCpu = (): number => {
  const c = process.threadCpuUsage()
  return c.user + c.system
}

/** `fn` from `concurrency` loops for `ms` milliseconds; each call gets its loop's index, for per-loop state. */
export async function throughput(concurrency: number, ms: number, fn: (loop: number) => Promise<unknown>): Promise<Window> {
  let ops = 0
  const cpu = cpuNow()
  const start = performance.now()
  const end = start + ms
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      while (performance.now() < end) {
        await fn(loop)
        ops++
      }
    }),
  )
  return { ops, seconds: (performance.now() - start) / 1000, cpuUs: cpuNow() - cpu }
}

export interface LatencyWindow extends Window {
  p50Ms: number
  p99Ms: number
}

/** `fn` called `n` times one after another, timing each call. */
export async function sequential(n: number, fn: () => Promise<unknown>): Promise<LatencyWindow> {
  const samples: number[] = new Array(n)
  const cpu = cpuNow()
  const start = performance.now()
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await fn()
    samples[i] = performance.now() - t
  }
  const seconds = (performance.now() - start) / 1000
  const cpuUs = cpuNow() - cpu
  samples.sort((a, b) => a - b)
  return { ops: n, seconds, cpuUs, p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99) }
}

/** `count` calls of `fn` from `concurrency` loops; each call gets its loop's index. */
export async function fixedCount(concurrency: number, count: number, fn: (loop: number) => Promise<unknown>): Promise<Window> {
  let left = count
  const cpu = cpuNow()
  const start = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      while (left > 0) {
        left--
        await fn(loop)
      }
    }),
  )
  return { ops: count, seconds: (performance.now() - start) / 1000, cpuUs: cpuNow() - cpu }
}

/** `fn` over `items` with `inFlight` loops taking the next item; returns items per second. */
export async function drain<T>(items: readonly T[], inFlight: number, fn: (item: T) => Promise<unknown>): Promise<number> {
  let next = 0
  const t = performance.now()
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < items.length) await fn(items[next++] as T)
    }),
  )
  return items.length / ((performance.now() - t) / 1000)
}
