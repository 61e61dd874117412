/**
 * What the HTTP gateway adds to a job: example.echo through `POST /v1/jobs?wait=true` against the
 * library's `node.submit()` on the same node, in this process, in interleaved rounds:
 *   (a) jobs/s with IN_FLIGHT requests (or submits) in flight;
 *   (b) one at a time: p50 (and p99) latency, and the milliseconds the gateway adds.
 * The HTTP client is node:http with one shared keep-alive agent, so connections are reused as a
 * real client's would be: the figures are the gateway's cost per request, not TCP handshakes.
 */
import { Agent, request } from 'node:http'
import echo from '../capabilities/example.echo/index.ts'
import { startGateway } from '../src/gateway/server.ts'
import { createNode, EphemeralCA } from '../src/index.ts'
import { envNumber, interleave, perSecond, printDelta, printHeader, printRatio, Results, sequential, throughput } from './stats.ts'

/** Below the gateway's default per-token limit (64), so no request is refused with 429. */
const IN_FLIGHT = envNumber('BENCH_IN_FLIGHT', 32, { integer: true })
const SECONDS = envNumber('BENCH_SECONDS', 1.5)
const N = envNumber('BENCH_N', 400, { integer: true })

const mesh = await EphemeralCA.create()
const node = await createNode({
  listen: ['/ip4/127.0.0.1/tcp/0'],
  logLevel: 'silent',
  mesh: { dht: false },
  ...(await mesh.enrol({ name: 'gateway' })),
  capabilities: [echo],
})
await node.start()
const gw = await startGateway(node, { listen: '127.0.0.1:0' })
const { hostname, port } = new URL(gw.url)
const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT })
const body = JSON.stringify({ capability: 'example.echo', params: { echo: 1 } })

const viaHttp = (): Promise<void> =>
  new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: hostname,
        port,
        method: 'POST',
        path: '/v1/jobs?wait=true',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString()
          if (res.statusCode !== 200 || (JSON.parse(text) as { state: string }).state !== 'succeeded')
            reject(new Error(`HTTP ${res.statusCode}: ${text}`))
          else resolve()
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(body)
  })

const viaLibrary = async (): Promise<void> => {
  const r = await node.submit({ capability: 'example.echo', params: { echo: 1 } }).result
  if ((r.value as { echo: unknown }).echo !== 1) throw new Error(`unexpected result ${JSON.stringify(r.value)}`)
}

// Warm up both paths (JIT, the agent's sockets).
for (let i = 0; i < 300; i++) {
  await viaHttp()
  await viaLibrary()
}

const res = new Results()
await interleave([
  async () => res.record('tput.http', perSecond(await throughput(IN_FLIGHT, SECONDS * 1000, viaHttp))),
  async () => res.record('tput.lib', perSecond(await throughput(IN_FLIGHT, SECONDS * 1000, viaLibrary))),
  async () => {
    const w = await sequential(N, viaHttp)
    res.record('p50.http', w.p50Ms)
    res.record('p99.http', w.p99Ms)
  },
  async () => {
    const w = await sequential(N, viaLibrary)
    res.record('p50.lib', w.p50Ms)
    res.record('p99.lib', w.p99Ms)
  },
])

printHeader(
  `gateway: example.echo through POST /v1/jobs?wait=true (keep-alive HTTP on loopback) against node.submit() on the same node, ` +
    `in this process (${SECONDS} s throughput windows with ${IN_FLIGHT} in flight, ${N} one-at-a-time jobs)`,
)
const names = { crankName: 'gateway', baseName: 'node.submit()' }
printRatio(`(a) jobs/s, ${IN_FLIGHT} in flight`, res.get('tput.http'), res.get('tput.lib'), names)
printDelta('(b) one at a time, p50 latency', res.get('p50.http'), res.get('p50.lib'), { ...names, unit: ' ms', what: 'the gateway adds' })
printDelta('    one at a time, p99 latency', res.get('p99.http'), res.get('p99.lib'), { ...names, unit: ' ms', what: 'the gateway adds' })

agent.destroy()
await gw.close()
await node.stop()
