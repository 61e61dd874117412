/**
 * stream.process throughput and memory, local against remote, in one run:
 * 1M records (the SpamAssassin corpus cycled, ~190 MiB of NDJSON made lazily)
 * through filter → map → project, on
 *   - the local route of the provider node (baseline),
 *   - a remote provider over the memory transport (TLS + yamux),
 *   - a remote provider over loopback TCP (TLS + yamux).
 * The caller consumes output in stream mode. RSS is sampled every 50 ms.
 * Then a stalled-consumer probe per route: how far the producer runs ahead
 * while the caller stops reading.
 */
import cap from '../capabilities/stream.process/index.ts'
import { type CrankNode, createNode } from '../src/node.ts'
import { corpusChunks, rssSampler } from '../test/stream-process-records.ts'

const N = Number(process.env.BENCH_RECORDS ?? 1_000_000)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const pipeline = [
  { op: 'filter', where: 'bytes > 1000' },
  { op: 'map', set: { kb: 'round(bytes / 1024)', spammy: 'spam && contains(lower(subject), "free")' } },
  { op: 'project', fields: ['seq', 'group', 'kb', 'spammy'] },
]

async function pair(transport: 'memory' | 'tcp'): Promise<[CrankNode, CrankNode, string]> {
  const tag = `${process.pid}-${transport}`
  const net = (name: string) =>
    transport === 'memory' ? { transports: ['memory' as const], listen: [`/memory/${name}-${tag}`] } : { listen: ['/ip4/127.0.0.1/tcp/0'] }
  const provider = await createNode({ capabilities: [cap], ...net('provider'), logLevel: 'silent', trust: { openMesh: true } })
  const client = await createNode({ ...net('client'), logLevel: 'silent', trust: { openMesh: true } })
  await provider.start()
  await client.start()
  const peer = await client.connect(provider.multiaddrs[0]!)
  return [provider, client, peer.toString()]
}

async function throughput(node: CrankNode, route: string) {
  global.gc?.()
  const rss = rssSampler()
  const started = performance.now()
  const handle = node.submit({ capability: 'stream.process', params: { pipeline }, input: corpusChunks(N), route, output: 'stream' })
  let outBytes = 0
  for await (const e of handle) if (e.type === 'output') outBytes += e.data.byteLength
  const report = await handle.outcome
  const seconds = (performance.now() - started) / 1000
  const mem = rss.stop()
  if (report.state !== 'succeeded') throw new Error(`${route}: ${report.state} ${JSON.stringify(report.error)}`)
  const value = report.value as { recordsIn: number; recordsOut: number; bytesIn: number }
  return {
    recordsPerSec: value.recordsIn / seconds,
    seconds,
    recordsOut: value.recordsOut,
    inMiB: value.bytesIn / 1048576,
    outMiB: outBytes / 1048576,
    mem,
  }
}

async function stallProbe(node: CrankNode, route: string) {
  let pulled = 0
  let total = 0
  for await (const c of corpusChunks(250_000)) total += c.byteLength
  const handle = node.submit({
    capability: 'stream.process',
    params: { pipeline: [] },
    input: corpusChunks(250_000, 64 * 1024, (b) => {
      pulled += b
    }),
    route,
    output: 'stream',
  })
  let stalledAt = -1
  for await (const e of handle) {
    if (e.type !== 'output' || stalledAt !== -1) continue
    let last = -1
    let still = 0
    while (still < 10 && pulled < total) {
      await sleep(50)
      still = pulled === last ? still + 1 : 0
      last = pulled
    }
    stalledAt = pulled
  }
  const report = await handle.outcome
  return `producer ran ${(stalledAt / 1048576).toFixed(1)} of ${(total / 1048576).toFixed(1)} MiB ahead of a stalled consumer; job ${report.state}${report.error ? ` (${report.error.code})` : ''}`
}

const [memProvider, memClient, memRoute] = await pair('memory')
const [tcpProvider, tcpClient, tcpRoute] = await pair('tcp')
const fmt = (r: Awaited<ReturnType<typeof throughput>>) =>
  `${Math.round(r.recordsPerSec).toLocaleString('en')} records/s (${r.seconds.toFixed(1)} s, ${r.inMiB.toFixed(0)} MiB in, ${r.recordsOut.toLocaleString('en')} records / ${r.outMiB.toFixed(0)} MiB out), RSS MiB before ${r.mem.beforeMiB} peak ${r.mem.peakMiB} after ${r.mem.afterMiB}`

console.log(`stream.process, ${N.toLocaleString('en')} records, filter → map → project, output streamed to the caller`)
/** A failed run is reported, not thrown: the remaining routes still run. */
async function report(label: string, node: CrankNode, route: string, baseline?: number): Promise<number | undefined> {
  try {
    const r = await throughput(node, route)
    console.log(`  ${label} ${fmt(r)}${baseline === undefined ? '' : `  → ${(r.recordsPerSec / baseline).toFixed(2)}× local`}`)
    return r.recordsPerSec
  } catch (err) {
    console.log(`  ${label} FAILED: ${(err as Error).message}`)
    return undefined
  }
}
// Warm-up so the JIT does not favour whichever route runs second.
await throughput(memProvider, 'local').catch(() => undefined)
const local = await report('local route (baseline):  ', memProvider, 'local')
await report('remote, memory transport:', memClient, memRoute, local)
await report('remote, TCP loopback:    ', tcpClient, tcpRoute, local)

console.log('stalled consumer (250k records, ~48 MiB):')
console.log(`  local:  ${await stallProbe(memProvider, 'local')}`)
console.log(`  remote memory: ${await stallProbe(memClient, memRoute)}`)
console.log(`  remote TCP:    ${await stallProbe(tcpClient, tcpRoute)}`)

for (const n of [memClient, memProvider, tcpClient, tcpProvider]) await n.stop()
