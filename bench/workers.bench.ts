/**
 * What the thread and process runtimes add per job over inline, through the public API: three
 * local nodes serve example.echo, one per runtime (pool of 2), and every job is submitted with
 * route `local`, so each path pays the same node overhead and the difference is the runtime's.
 * Each round, runtimes interleaved (and a direct call of the handler, to place inline itself):
 *   - one job at a time: wall µs per job (window / jobs) and p50, and the µs added over inline;
 *   - jobs/s with 2 in flight, as a ratio to inline;
 *   - streaming BENCH_STREAM_MB MiB in 64 KiB chunks through echo and back (repeated for at least
 *     BENCH_STREAM_SECONDS), MiB/s as a ratio to inline. Inline passes the caller's chunks back
 *     without a copy; workers copy them across a thread or a pipe, so expect a large gap;
 *   - event-loop lateness of a 50 ms timer in this (the controller's) process while a busy-loop job
 *     runs for BENCH_BUSY_MS in each runtime: inline blocks it, workers should not.
 */
import pino from 'pino'
import echo from '../capabilities/example.echo/index.ts'
import { type AnyCapability, type CrankNode, createNode, type JobContext } from '../src/index.ts'
import busyLoop from '../test/fixtures/capabilities/busy-loop/index.ts'
import {
  envNumber,
  interleave,
  perSecond,
  printDelta,
  printHeader,
  printRatio,
  printValue,
  Results,
  Series,
  sequential,
  throughput,
  usPerOp,
} from './stats.ts'

const N = envNumber('BENCH_N', 600, { integer: true })
const SECONDS = envNumber('BENCH_SECONDS', 0.6)
const STREAM_MB = envNumber('BENCH_STREAM_MB', 16, { integer: true })
const STREAM_SECONDS = envNumber('BENCH_STREAM_SECONDS', 0.3)
const BUSY_MS = envNumber('BENCH_BUSY_MS', 400, { integer: true })
const kinds = ['inline', 'thread', 'process'] as const
type Kind = (typeof kinds)[number]

const nodes = new Map<Kind, CrankNode>()
const startMs = new Map<Kind, Series>()
for (const kind of kinds) {
  const caps = [
    { ...echo, runtime: kind, concurrency: 2 },
    { ...busyLoop, runtime: kind },
  ] as AnyCapability[]
  const node = await createNode({
    capabilities: caps,
    transports: ['memory'],
    listen: [`/memory/workers-bench-${kind}-${process.pid}`],
    logLevel: 'silent',
    // Each node works alone: no peer ever connects, so no mesh CA is needed.
    trust: { openMesh: true },
  })
  const t = performance.now()
  await node.start()
  const s = new Series()
  s.add(performance.now() - t)
  startMs.set(kind, s)
  nodes.set(kind, node)
}

const echoJob = (kind: Kind) => async (): Promise<void> => {
  await nodes.get(kind)!.submit({ capability: 'example.echo', params: {}, route: 'local' }).result
}
const log = pino({ level: 'silent' })
async function* none(): AsyncGenerator<Uint8Array> {}
const directCall = async (): Promise<void> => {
  const ctx: JobContext<Record<string, never>> = {
    jobId: 'direct',
    params: {},
    input: none(),
    signal: new AbortController().signal,
    log,
    progress: () => {},
    write: async () => {},
  }
  await echo.handler(ctx)
}

/** MiB/s streaming STREAM_MB MiB through echo and back, repeated until STREAM_SECONDS have passed. */
async function streamThrough(kind: Kind): Promise<number> {
  const chunks = (STREAM_MB * 1024 * 1024) / 65536
  const chunk = new Uint8Array(65536)
  async function* input(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < chunks; i++) yield chunk
  }
  let mib = 0
  const t = performance.now()
  while (performance.now() - t < STREAM_SECONDS * 1000) {
    let received = 0
    const handle = nodes.get(kind)!.submit({ capability: 'example.echo', input: input(), route: 'local', output: 'stream' })
    for await (const e of handle) if (e.type === 'output') received += e.data.byteLength
    await handle.result
    if (received !== STREAM_MB * 1024 * 1024) throw new Error(`${kind}: streamed back ${received} bytes of ${STREAM_MB} MiB`)
    mib += STREAM_MB
  }
  return mib / ((performance.now() - t) / 1000)
}

/** The worst lateness of a 50 ms timer here while a busy-loop job runs in `kind`. */
async function heartbeatLateness(kind: Kind): Promise<number> {
  let worst = 0
  let last = performance.now()
  const beat = setInterval(() => {
    const now = performance.now()
    worst = Math.max(worst, now - last - 50)
    last = now
  }, 50)
  await nodes.get(kind)!.submit({ capability: 'fixture.busy-loop', params: { ms: BUSY_MS }, route: 'local' }).result
  // One more beat, so a timer held back until the job ended is counted.
  await new Promise((r) => setTimeout(r, 60))
  clearInterval(beat)
  return Math.max(0, worst)
}

// Warm-up: JIT, worker pools, the node's paths.
for (const kind of kinds) for (let i = 0; i < 200; i++) await echoJob(kind)()
for (let i = 0; i < 2000; i++) await directCall()

const res = new Results()
await interleave([
  async () => res.record('seq.direct', usPerOp(await sequential(N, directCall))),
  ...kinds.map((kind) => async () => {
    const w = await sequential(N, echoJob(kind))
    res.record(`seq.${kind}`, usPerOp(w))
    res.record(`p50.${kind}`, w.p50Ms * 1000)
    res.record(`tput.${kind}`, perSecond(await throughput(2, SECONDS * 1000, echoJob(kind))))
  }),
  ...kinds.map((kind) => async () => res.record(`stream.${kind}`, await streamThrough(kind))),
  ...kinds.map((kind) => async () => res.record(`beat.${kind}`, await heartbeatLateness(kind))),
])

printHeader(
  `workers: example.echo through a local node per runtime (pool of 2), against inline ` +
    `(${N} jobs one at a time, ${SECONDS} s at 2 in flight, ${STREAM_MB} MiB streams for ${STREAM_SECONDS} s, ${BUSY_MS} ms busy loop)`,
)
printDelta('inline job against a direct handler call, µs per job', res.get('seq.inline'), res.get('seq.direct'), {
  unit: ' µs',
  crankName: 'inline',
  baseName: 'direct',
})
for (const kind of ['thread', 'process'] as const) {
  const names = { crankName: kind, baseName: 'inline' }
  printDelta(`${kind}: µs per job, one at a time (window / jobs)`, res.get(`seq.${kind}`), res.get('seq.inline'), { ...names, unit: ' µs' })
  printDelta(`${kind}: p50 µs per job, one at a time`, res.get(`p50.${kind}`), res.get('p50.inline'), { ...names, unit: ' µs' })
  printRatio(`${kind}: jobs/s, 2 in flight`, res.get(`tput.${kind}`), res.get('tput.inline'), names)
  printRatio(`${kind}: streaming MiB/s`, res.get(`stream.${kind}`), res.get('stream.inline'), names)
}
for (const kind of kinds)
  printValue(`${kind}: worst lateness of a 50 ms timer during a ${BUSY_MS} ms busy-loop job`, res.get(`beat.${kind}`), ' ms')
for (const kind of ['thread', 'process'] as const) {
  printDelta(`${kind}: node start-up to ready, one sample`, startMs.get(kind)!, startMs.get('inline')!, {
    unit: ' ms',
    crankName: kind,
    baseName: 'inline',
  })
}

for (const node of nodes.values()) await node.stop()
