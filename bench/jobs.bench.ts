/**
 * Job protocol overhead against raw libp2p, measured in one run on one pair of
 * TCP+TLS+yamux nodes:
 *   - baseline: a raw request/response on an already-open libp2p stream;
 *   - a remote example.echo job with tiny params over the warm connection;
 *   - a local example.echo job;
 *   - remote jobs/s with 64 in flight against 64 raw streams doing round trips.
 */
import type { Stream } from '@libp2p/interface'
import echo from '../capabilities/example.echo/index.ts'
import { createNode } from '../src/node.ts'
import { EphemeralCA } from '../src/trust/ephemeral-ca.ts'
import { fmtMs, measureLatency, measureThroughput, ratio } from './stats.ts'

const RAW = '/crank-bench/raw-rr/1.0.0'
const N = Number(process.env.BENCH_N ?? 3000)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3)

// Real membership on both nodes: the job path includes the policy check a production mesh runs.
const mesh = await EphemeralCA.create()
const common = { listen: ['/ip4/127.0.0.1/tcp/0'], logLevel: 'silent' as const, mesh: { dht: false } }
const provider = await createNode({ ...common, ...(await mesh.enrol({ name: 'provider' })), capabilities: [echo] })
const client = await createNode({ ...common, ...(await mesh.enrol({ name: 'client' })) })
await provider.start()
await client.start()
await client.connect(provider.multiaddrs[0]!)
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

const route = provider.peerId.toString()
const remoteJob = () => client.submit({ capability: 'example.echo', params: { echo: 1 }, route }).result
const localJob = () => provider.submit({ capability: 'example.echo', params: { echo: 1 }, route: 'local' }).result

const rr = await openRaw()
// Warm up every path (JIT, connection, pooled streams).
for (let i = 0; i < 500; i++) {
  await rr()
  await remoteJob()
  await localJob()
}

const raw = await measureLatency(N, rr)
const remote = await measureLatency(N, remoteJob)
const local = await measureLatency(N, localJob)

const rawStreams = await Promise.all(Array.from({ length: 64 }, openRaw))
let next = 0
const rawTput = await measureThroughput(64, SECONDS * 1000, () => rawStreams[next++ % 64]!())
const jobTput = await measureThroughput(64, SECONDS * 1000, remoteJob)

console.log(`\njob protocol vs raw libp2p (TCP+TLS+yamux, loopback, ${N} samples, Node ${process.version})`)
console.log(`  raw request/response on an open stream  p50 ${fmtMs(raw.p50)}  p99 ${fmtMs(raw.p99)}   (baseline)`)
console.log(
  `  remote echo job, tiny params            p50 ${fmtMs(remote.p50)}  p99 ${fmtMs(remote.p99)}   p50 ${ratio(remote.p50, raw.p50)} raw (target ≤ 2×)`,
)
console.log(
  `  local echo job                          p50 ${fmtMs(local.p50)}  p99 ${fmtMs(local.p99)}   p50 ${ratio(local.p50, raw.p50)} raw`,
)
console.log(`  64 raw streams                          ${rawTput.toFixed(0)} round trips/s   (baseline)`)
console.log(`  64 remote echo jobs in flight           ${jobTput.toFixed(0)} jobs/s   ${ratio(jobTput, rawTput)} raw (target ≥ 0.7×)`)

await client.stop()
await provider.stop()
