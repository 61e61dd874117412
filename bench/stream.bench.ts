/**
 * stream.process throughput and memory, local against remote: BENCH_RECORDS records (the
 * SpamAssassin corpus cycled, about 190 bytes of NDJSON each, made lazily) through
 * filter → map → project, each round interleaved on
 *   - the local route of the provider node (baseline),
 *   - a remote provider over the memory transport (TLS + yamux),
 *   - a remote provider over loopback TCP (TLS + yamux).
 * The caller consumes output in stream mode. RSS is sampled every 50 ms; the growth over each
 * run (peak − before) is reported.
 * Then, once, a stalled-consumer probe per route: how far the producer runs ahead while the
 * caller stops reading.
 */
import cap from '../capabilities/stream.process/index.ts'
import { type CrankNode, createNode } from '../src/index.ts'
import { corpusChunks, rssSampler } from '../test/stream-process-records.ts'
import { envNumber, interleave, printHeader, printRatio, printValue, Results } from './stats.ts'

const N = envNumber('BENCH_RECORDS', 200_000, { integer: true })
/** Records in each stalled-consumer probe: enough that the producer could run far past any buffer. */
const STALL_RECORDS = envNumber('BENCH_STALL_RECORDS', 120_000, { integer: true })
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
  for await (const c of corpusChunks(STALL_RECORDS)) total += c.byteLength
  const handle = node.submit({
    capability: 'stream.process',
    params: { pipeline: [] },
    input: corpusChunks(STALL_RECORDS, 64 * 1024, (b) => {
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

// Warm-up so the JIT does not favour whichever route runs first.
await throughput(memProvider, 'local')
const res = new Results()
const routes: [string, CrankNode, string][] = [
  ['local', memProvider, 'local'],
  ['memory', memClient, memRoute],
  ['tcp', tcpClient, tcpRoute],
]
let expectedOut: number | undefined
await interleave(
  routes.map(([name, node, route]) => async () => {
    const r = await throughput(node, route)
    expectedOut ??= r.recordsOut
    if (r.recordsOut !== expectedOut) throw new Error(`${name}: ${r.recordsOut} records out, another route gave ${expectedOut}`)
    res.record(`rate.${name}`, r.recordsPerSec)
    res.record(`rss.${name}`, r.mem.peakMiB - r.mem.beforeMiB)
  }),
)

printHeader(
  `stream.process: ${N.toLocaleString('en')} records, filter → map → project, output streamed to the caller, records/s (${expectedOut?.toLocaleString('en')} records out)`,
)
printValue('baseline: local route, records/s', res.get('rate.local'))
printRatio('remote, memory transport, records/s', res.get('rate.memory'), res.get('rate.local'), { crankName: 'remote', baseName: 'local' })
printRatio('remote, TCP loopback, records/s', res.get('rate.tcp'), res.get('rate.local'), { crankName: 'remote', baseName: 'local' })
for (const [name] of routes) printValue(`RSS growth during a run, ${name}`, res.get(`rss.${name}`), ' MiB')

console.log(`  stalled consumer (${STALL_RECORDS.toLocaleString('en')} records), one probe per route:`)
console.log(`    local:  ${await stallProbe(memProvider, 'local')}`)
console.log(`    remote memory: ${await stallProbe(memClient, memRoute)}`)
console.log(`    remote TCP:    ${await stallProbe(tcpClient, tcpRoute)}`)

for (const n of [memClient, memProvider, tcpClient, tcpProvider]) await n.stop()
