/**
 * Worker runtime overhead, in one run on one machine:
 *   - per-job latency of an empty echo job: a direct call of the handler (baseline),
 *     then the inline, thread and process runtimes;
 *   - jobs/s with 2 jobs in flight on a 2-worker pool;
 *   - streaming throughput: 64 MiB in 64 KiB chunks through the echo handler and back;
 *   - controller heartbeat lateness (50 ms timer) while a 1 s busy loop runs in each runtime.
 */
import pino from 'pino'
import type { AnyCapability, JobContext } from '../src/capability.ts'
import { createRuntime, type JobRuntime } from '../src/workers/runtime.ts'
import busyLoop from '../test/fixtures/capabilities/busy-loop/index.ts'
import echo from '../test/fixtures/capabilities/echo/index.ts'
import { fmtMs, measureLatency, measureThroughput, ratio } from './stats.ts'

const N = Number(process.env.BENCH_N ?? 1000)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2)
const STREAM_MB = Number(process.env.BENCH_STREAM_MB ?? 64)
const log = pino({ level: 'silent' })
const kinds = ['inline', 'thread', 'process'] as const
let ids = 0

async function* none(): AsyncGenerator<Uint8Array> {}

function job(
  rt: JobRuntime,
  cap: AnyCapability,
  params: unknown,
  input: AsyncIterable<Uint8Array> = none(),
  onOutput?: (c: Uint8Array) => void,
) {
  return rt.run({
    jobId: `b-${++ids}`,
    capability: cap,
    params,
    input,
    sink: { progress: () => {}, output: async (c) => onOutput?.(c) },
    validateOutput: true,
    log,
  })
}

const directCtx = (): JobContext => ({
  jobId: 'direct',
  params: {},
  input: none(),
  signal: new AbortController().signal,
  log,
  progress: () => {},
  write: async () => {},
})
const direct = await measureLatency(N * 5, async () => echo.handler(directCtx()))
const directRate = await measureThroughput(2, SECONDS * 1000, async () => echo.handler(directCtx()))
console.log(`per-job latency, empty echo job (n=${N}; direct n=${N * 5})`)
console.log(`  direct call   p50 ${fmtMs(direct.p50)}  p99 ${fmtMs(direct.p99)}  ${Math.round(directRate)} calls/s`)

const runtimes = new Map<string, JobRuntime>()
for (const kind of kinds) {
  const cap = { ...echo, runtime: kind }
  const rt = createRuntime(cap, { log, size: 2 })
  const t = performance.now()
  await rt.start()
  const startMs = performance.now() - t
  runtimes.set(kind, rt)
  for (let i = 0; i < 50; i++) await job(rt, cap, {})
  const lat = await measureLatency(N, () => job(rt, cap, {}))
  const rate = await measureThroughput(2, SECONDS * 1000, () => job(rt, cap, {}))
  console.log(
    `  ${kind.padEnd(13)} p50 ${fmtMs(lat.p50)}  p99 ${fmtMs(lat.p99)}  ${Math.round(rate)} jobs/s  ` +
      `(p50 overhead ${fmtMs(lat.p50 - direct.p50)}, ${ratio(lat.p50, direct.p50)} direct; ready in ${startMs.toFixed(0)} ms)`,
  )
}

console.log(`streaming ${STREAM_MB} MiB in 64 KiB chunks through echo and back`)
for (const kind of kinds) {
  const rt = runtimes.get(kind)!
  const chunkCount = (STREAM_MB * 1024 * 1024) / 65536
  async function* input(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < chunkCount; i++) yield new Uint8Array(65536)
  }
  let received = 0
  const t = performance.now()
  const out = await job(rt, { ...echo, runtime: kind }, {}, input(), (c) => {
    received += c.byteLength
  })
  const s = (performance.now() - t) / 1000
  if (out.state !== 'succeeded' || received !== STREAM_MB * 1024 * 1024) throw new Error(`${kind} stream failed: ${JSON.stringify(out)}`)
  console.log(`  ${kind.padEnd(13)} ${(STREAM_MB / s).toFixed(0)} MiB/s`)
}
for (const rt of runtimes.values()) await rt.close()

console.log('controller heartbeat (50 ms timer) lateness while a 1 s busy loop runs')
for (const kind of kinds) {
  const cap = { ...busyLoop, runtime: kind }
  const rt = createRuntime(cap, { log, size: 1 })
  await rt.start()
  const lateness: number[] = []
  let last = performance.now()
  const beat = setInterval(() => {
    const now = performance.now()
    lateness.push(Math.max(0, now - last - 50))
    last = now
  }, 50)
  await job(rt, cap, { ms: 1000 })
  await new Promise((r) => setTimeout(r, 60))
  clearInterval(beat)
  await rt.close()
  lateness.sort((a, b) => a - b)
  console.log(`  ${kind.padEnd(13)} ${lateness.length} beats, max lateness ${fmtMs(lateness.at(-1) ?? 0)}`)
}
