/**
 * The job path against raw libp2p, on one pair of nodes in this process joined by one TCP + TLS +
 * yamux connection on loopback. The baseline is a raw request/response (64 bytes each way) on an
 * already-open libp2p stream over that same connection. Each round measures, baseline and Crank
 * back to back:
 *   (a) remote example.echo jobs/s with 64 in flight, against 64 raw streams doing round trips;
 *   (b) one at a time: p50 (and p99) latency of a remote job against a raw round trip;
 *   (c) CPU µs per job: process.cpuUsage over the windows of (a) and (b) divided by the jobs done.
 *       Both nodes live in this process, so this is client + provider, as it is for raw;
 *   (d) bytes allocated per remote job and per raw round trip (64 in flight, a fixed count),
 *       from V8's sampling heap profiler (see alloc.ts for why and what it misses);
 *   (e) a local inline example.echo job against calling its handler directly, one at a time:
 *       the µs the node adds per job.
 * The Crank side uses only the public API (createNode, submit, handle.result).
 */
import type { Stream } from '@libp2p/interface'
import pino from 'pino'
import echo from '../capabilities/example.echo/index.ts'
import { createNode, EphemeralCA, type JobContext } from '../src/index.ts'
import { allocatedDuring, closeAllocationProfiler } from './alloc.ts'
import {
  cpuUsPerOp,
  drain,
  envNumber,
  fixedCount,
  interleave,
  perSecond,
  printDelta,
  printHeader,
  printRatio,
  printValue,
  Results,
  sequential,
  throughput,
  usPerOp,
} from './stats.ts'

const RAW = '/crank-bench/raw-rr/1.0.0'
const IN_FLIGHT = 64
/** Seconds of each throughput window (a). */
const SECONDS = envNumber('BENCH_SECONDS', 1.2)
/** Round trips per one-at-a-time window (b). */
const N = envNumber('BENCH_N', 800, { integer: true })
/** Operations per allocation window (d). */
const ALLOC_OPS = envNumber('BENCH_ALLOC_OPS', 1280, { integer: true })
/** Calls per local window (e). */
const LOCAL_N = envNumber('BENCH_LOCAL_N', 3000, { integer: true })

// Real membership on both nodes: the job path includes the policy check a production mesh runs.
const mesh = await EphemeralCA.create()
const common = { listen: ['/ip4/127.0.0.1/tcp/0'], logLevel: 'silent' as const, mesh: { dht: false } }
const provider = await createNode({ ...common, ...(await mesh.enrol({ name: 'provider' })), capabilities: [echo] })
const client = await createNode({ ...common, ...(await mesh.enrol({ name: 'client' })) })
await provider.start()
await client.start()
await client.connect(provider.multiaddrs[0]!)
if (client.libp2p.getConnections(provider.peerId).length !== 1) throw new Error('expected exactly one connection between the two nodes')

// Raw baseline: echo every message straight back.
await provider.libp2p.handle(
  RAW,
  (stream) => {
    stream.addEventListener('message', (evt) => stream.send(evt.data))
  },
  { maxInboundStreams: 1024, maxOutboundStreams: 1024 },
)

/** A raw request/response on one open stream: send 64 bytes, wait for 64 back. */
async function openRaw(): Promise<() => Promise<void>> {
  const stream: Stream = await client.libp2p.dialProtocol(provider.peerId, RAW, { maxOutboundStreams: 1024 })
  const payload = new Uint8Array(64)
  let waiting: { need: number; resolve: () => void } | undefined
  stream.addEventListener('message', (evt) => {
    if (waiting === undefined) return
    waiting.need -= evt.data.byteLength
    if (waiting.need <= 0) {
      const w = waiting
      waiting = undefined
      w.resolve()
    }
  })
  return () =>
    new Promise<void>((resolve) => {
      waiting = { need: payload.byteLength, resolve }
      stream.send(payload)
    })
}

const rawStreams = await Promise.all(Array.from({ length: IN_FLIGHT }, openRaw))
if (client.libp2p.getConnections(provider.peerId).length !== 1) throw new Error('the raw streams opened a second connection')
const rr = rawStreams[0]!
/** Loop k of the 64 owns stream k: a stream carries one round trip at a time. */
const rawLoop = (k: number): Promise<void> => rawStreams[k]!()

const route = provider.peerId.toString()
const remoteJob = async (): Promise<void> => {
  const r = await client.submit({ capability: 'example.echo', params: { echo: 1 }, route }).result
  if ((r.value as { echo: unknown }).echo !== 1) throw new Error(`unexpected result ${JSON.stringify(r.value)}`)
}
const localJob = async (): Promise<void> => {
  await provider.submit({ capability: 'example.echo', params: { echo: 1 }, route: 'local' }).result
}

const log = pino({ level: 'silent' })
async function* none(): AsyncGenerator<Uint8Array> {}
/** The handler called as a runtime would call it, with a fresh context per job. */
const directCall = async (): Promise<void> => {
  const ctx: JobContext<{ echo: number }> = {
    jobId: 'direct',
    params: { echo: 1 },
    input: none(),
    signal: new AbortController().signal,
    log,
    progress: () => {},
    write: async () => {},
  }
  await echo.handler(ctx)
}

// Warm up every path (JIT, pooled streams) before any round.
for (let i = 0; i < 500; i++) {
  await rr()
  await remoteJob()
  await localJob()
  await directCall()
}
await drain(Array.from({ length: 2000 }), IN_FLIGHT, remoteJob)

const res = new Results()
// What the two nodes allocate while idle (timers, heartbeats), so the per-op figures can be read against it.
const IDLE_MS = 500
res.record('idle', ((await allocatedDuring(() => new Promise((r) => setTimeout(r, IDLE_MS)))) * 1000) / IDLE_MS)
await interleave([
  async () => {
    const w = await throughput(IN_FLIGHT, SECONDS * 1000, rawLoop)
    res.record('tput.raw', perSecond(w))
    res.record('tputCpu.raw', cpuUsPerOp(w))
  },
  async () => {
    const w = await throughput(IN_FLIGHT, SECONDS * 1000, remoteJob)
    res.record('tput.crank', perSecond(w))
    res.record('tputCpu.crank', cpuUsPerOp(w))
  },
  async () => {
    const w = await sequential(N, rr)
    res.record('p50.raw', w.p50Ms)
    res.record('p99.raw', w.p99Ms)
    res.record('seqCpu.raw', cpuUsPerOp(w))
  },
  async () => {
    const w = await sequential(N, remoteJob)
    res.record('p50.crank', w.p50Ms)
    res.record('p99.crank', w.p99Ms)
    res.record('seqCpu.crank', cpuUsPerOp(w))
  },
  async () => res.record('alloc.raw', (await allocatedDuring(() => fixedCount(IN_FLIGHT, ALLOC_OPS, rawLoop))) / ALLOC_OPS),
  async () => res.record('alloc.crank', (await allocatedDuring(() => fixedCount(IN_FLIGHT, ALLOC_OPS, remoteJob))) / ALLOC_OPS),
  async () => {
    const w = await sequential(LOCAL_N, directCall)
    res.record('local.direct', usPerOp(w))
    res.record('localCpu.direct', cpuUsPerOp(w))
    res.record('localP50.direct', w.p50Ms * 1000)
  },
  async () => {
    const w = await sequential(LOCAL_N, localJob)
    res.record('local.crank', usPerOp(w))
    res.record('localCpu.crank', cpuUsPerOp(w))
    res.record('localP50.crank', w.p50Ms * 1000)
  },
])
closeAllocationProfiler()

printHeader(
  `jobs: example.echo against raw libp2p request/response, TCP + TLS + yamux on loopback, one connection, both nodes in this process ` +
    `(${SECONDS} s throughput windows, ${N} one-at-a-time round trips, ${ALLOC_OPS} ops per allocation window, ${LOCAL_N} local calls)`,
)
const raw = { baseName: 'raw' }
printRatio(`(a) remote echo, ${IN_FLIGHT} in flight, per second`, res.get('tput.crank'), res.get('tput.raw'), {
  crankName: 'jobs/s',
  baseName: 'raw round trips/s',
})
printRatio('(b) remote echo one at a time, p50 latency', res.get('p50.crank'), res.get('p50.raw'), { ...raw, unit: ' ms' })
printRatio('    remote echo one at a time, p99 latency', res.get('p99.crank'), res.get('p99.raw'), { ...raw, unit: ' ms' })
printRatio(`(c) CPU per op, ${IN_FLIGHT} in flight (client + provider)`, res.get('tputCpu.crank'), res.get('tputCpu.raw'), {
  ...raw,
  unit: ' µs',
})
printRatio('    CPU per op, one at a time (client + provider)', res.get('seqCpu.crank'), res.get('seqCpu.raw'), { ...raw, unit: ' µs' })
printRatio(`(d) JS heap bytes allocated per op, ${IN_FLIGHT} in flight`, res.get('alloc.crank'), res.get('alloc.raw'), {
  ...raw,
  unit: ' B',
})
printValue('    JS heap bytes allocated per second by both nodes while idle, one sample', res.get('idle'), ' B/s')
const local = { unit: ' µs', crankName: 'local job', baseName: 'direct handler call', what: 'the node adds' }
printDelta('(e) local inline echo, wall time per job (window / jobs)', res.get('local.crank'), res.get('local.direct'), local)
printDelta('    local inline echo, CPU per job', res.get('localCpu.crank'), res.get('localCpu.direct'), local)
printDelta('    local inline echo, p50 per job', res.get('localP50.crank'), res.get('localP50.direct'), local)

await client.stop()
await provider.stop()
