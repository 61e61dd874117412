/**
 * What the HTTP gateway adds to a job: example.echo through `POST /v1/jobs?wait=true` against the
 * library's `node.submit()` on the same node, in interleaved rounds:
 *   (a) jobs/s with IN_FLIGHT requests (or submits) in flight;
 *   (b) one at a time: p50 (and p99) latency, and the milliseconds the gateway adds;
 *   (c) CPU of the node's thread per job: what serving one request costs the node.
 * The HTTP client runs in a worker thread (bench/http-load.ts: keep-alive node:http pool of
 * CONNECTIONS sockets), so its own CPU is not spent on the thread that runs the node and the
 * gateway; on a machine with few cores it still competes for them, which the load figure shows.
 * Three more figures put the gateway's in context:
 *   - a plain fastify route (JSON body in, small JSON object out) driven by the same client: the
 *     floor any fastify HTTP API pays per request on this machine;
 *   - a plain fastify route that calls node.submit() and answers its result: the floor plus the
 *     job, so the difference to the gateway is the gateway's own work;
 *   - the gateway driven from this same thread (the client's CPU counted against the node), as
 *     earlier versions of this bench measured it.
 */
import { Agent } from 'node:http'
import { Worker } from 'node:worker_threads'
import Fastify from 'fastify'
import echo from '../capabilities/example.echo/index.ts'
import { startGateway } from '../src/gateway/server.ts'
import { createNode, EphemeralCA } from '../src/index.ts'
import { type LoadRequest, type LoadResult, type LoadTarget, post } from './http-load.ts'
import {
  envNumber,
  interleave,
  perSecond,
  printDelta,
  printHeader,
  printRatio,
  printValue,
  Results,
  sequential,
  threadCpu,
  throughput,
} from './stats.ts'

/** Below the gateway's default per-token limit (64), so no request is refused with 429. */
const IN_FLIGHT = envNumber('BENCH_IN_FLIGHT', 32, { integer: true })
const CONNECTIONS = envNumber('BENCH_CONNECTIONS', 8, { integer: true })
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

// The floor: fastify without Crank, parsing the same body and answering a job-sized JSON object.
const hello = Fastify()
hello.post('/hello', async (req) => ({ id: 'hello', state: 'succeeded', result: (req.body as { params: unknown }).params }))
// The floor plus the library job: what an HTTP route that only calls node.submit() pays, without
// the gateway's bookkeeping (its job record, events kept for SSE, the live feed, auth, schemas).
hello.post('/submit', async (req) => {
  const { capability, params } = req.body as { capability: string; params: unknown }
  const job = node.submit({ capability, params })
  const r = await job.result
  return { id: job.id, state: r.state, result: r.value }
})
await hello.listen({ host: '127.0.0.1', port: 0 })
const helloUrl = `http://127.0.0.1:${(hello.server.address() as { port: number }).port}`

const body = JSON.stringify({ capability: 'example.echo', params: { echo: 1 } })
const gwTarget: LoadTarget = { url: gw.url, path: '/v1/jobs?wait=true', body, connections: CONNECTIONS }
const helloTarget: LoadTarget = { url: helloUrl, path: '/hello', body, connections: CONNECTIONS }
const submitTarget: LoadTarget = { url: helloUrl, path: '/submit', body, connections: CONNECTIONS }

const worker = new Worker(new URL('./http-load.ts', import.meta.url))
const load = (r: LoadRequest): Promise<LoadResult> =>
  new Promise((resolve, reject) => {
    worker.once('message', (m: { ok: true; result: LoadResult } | { ok: false; message: string }) =>
      m.ok ? resolve(m.result) : reject(new Error(m.message)),
    )
    worker.postMessage(r)
  })

/** A worker run, with this (the node's) thread's CPU per request over it. */
async function loadWithCpu(r: LoadRequest): Promise<LoadResult & { serverCpuUsPerOp: number }> {
  const cpu = threadCpu()
  const result = await load(r)
  return { ...result, serverCpuUsPerOp: (threadCpu() - cpu) / result.ops }
}

// The same-thread client, for comparison with the figures above.
const sameThreadAgent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS })
const { hostname, port } = new URL(gw.url)
const viaHttpSameThread = (): Promise<void> => post(gwTarget, sameThreadAgent, hostname, Number(port))

const viaLibrary = async (): Promise<void> => {
  const r = await node.submit({ capability: 'example.echo', params: { echo: 1 } }).result
  if ((r.value as { echo: unknown }).echo !== 1) throw new Error(`unexpected result ${JSON.stringify(r.value)}`)
}

// Warm up every path (JIT, the agents' sockets).
await load({ kind: 'throughput', ...gwTarget, inFlight: IN_FLIGHT, ms: 500 })
await load({ kind: 'throughput', ...helloTarget, inFlight: IN_FLIGHT, ms: 500 })
await load({ kind: 'throughput', ...submitTarget, inFlight: IN_FLIGHT, ms: 500 })
await throughput(IN_FLIGHT, 500, viaHttpSameThread)
await throughput(IN_FLIGHT, 500, viaLibrary)

const ms = SECONDS * 1000
const res = new Results()
await interleave([
  async () => {
    const r = await loadWithCpu({ kind: 'throughput', ...gwTarget, inFlight: IN_FLIGHT, ms })
    res.record('tput.http', r.ops / r.seconds)
    res.record('cpu.http', r.serverCpuUsPerOp)
    res.record('client.http', r.clientCpuUs / r.ops)
  },
  async () => {
    const cpu = threadCpu()
    const w = await throughput(IN_FLIGHT, ms, viaLibrary)
    res.record('tput.lib', perSecond(w))
    res.record('cpu.lib', (threadCpu() - cpu) / w.ops)
  },
  async () => {
    const r = await loadWithCpu({ kind: 'throughput', ...helloTarget, inFlight: IN_FLIGHT, ms })
    res.record('tput.hello', r.ops / r.seconds)
    res.record('cpu.hello', r.serverCpuUsPerOp)
  },
  async () => {
    const r = await loadWithCpu({ kind: 'throughput', ...submitTarget, inFlight: IN_FLIGHT, ms })
    res.record('tput.submit', r.ops / r.seconds)
    res.record('cpu.submit', r.serverCpuUsPerOp)
  },
  async () => res.record('tput.same', perSecond(await throughput(IN_FLIGHT, ms, viaHttpSameThread))),
  async () => {
    const r = await load({ kind: 'sequential', ...gwTarget, n: N })
    res.record('p50.http', r.p50Ms as number)
    res.record('p99.http', r.p99Ms as number)
  },
  async () => {
    const w = await sequential(N, viaLibrary)
    res.record('p50.lib', w.p50Ms)
    res.record('p99.lib', w.p99Ms)
  },
  async () => {
    const r = await load({ kind: 'sequential', ...helloTarget, n: N })
    res.record('p50.hello', r.p50Ms as number)
  },
])

printHeader(
  `gateway: example.echo through POST /v1/jobs?wait=true (keep-alive HTTP on loopback, client in a worker thread, ${CONNECTIONS} connections) ` +
    `against node.submit() on the same node (${SECONDS} s throughput windows with ${IN_FLIGHT} in flight, ${N} one-at-a-time jobs)`,
)
const lib = { crankName: 'gateway', baseName: 'node.submit()' }
const floor = { crankName: 'gateway', baseName: 'plain fastify' }
printRatio(`(a) jobs/s, ${IN_FLIGHT} in flight`, res.get('tput.http'), res.get('tput.lib'), lib)
printRatio('    against the floor, requests/s', res.get('tput.http'), res.get('tput.hello'), floor)
printRatio('    plain fastify against node.submit()', res.get('tput.hello'), res.get('tput.lib'), {
  crankName: 'plain fastify',
  baseName: 'node.submit()',
})
printRatio('    against fastify + node.submit() in the route', res.get('tput.http'), res.get('tput.submit'), {
  crankName: 'gateway',
  baseName: 'fastify + node.submit()',
})
printRatio('    client in this thread instead', res.get('tput.same'), res.get('tput.lib'), {
  crankName: 'gateway, same-thread client',
  baseName: 'node.submit()',
})
printDelta('(b) one at a time, p50 latency', res.get('p50.http'), res.get('p50.lib'), { ...lib, unit: ' ms', what: 'the gateway adds' })
printDelta('    one at a time, p99 latency', res.get('p99.http'), res.get('p99.lib'), { ...lib, unit: ' ms', what: 'the gateway adds' })
printDelta('    p50 against the floor', res.get('p50.http'), res.get('p50.hello'), { ...floor, unit: ' ms', what: 'Crank adds' })
printDelta('(c) node thread CPU µs per job', res.get('cpu.http'), res.get('cpu.lib'), { ...lib, what: 'the gateway adds' })
printDelta('    against the floor', res.get('cpu.http'), res.get('cpu.hello'), { ...floor, what: 'Crank adds' })
printDelta('    against fastify + node.submit() in the route', res.get('cpu.http'), res.get('cpu.submit'), {
  crankName: 'gateway',
  baseName: 'fastify + node.submit()',
  what: 'the gateway’s bookkeeping adds',
})
printValue('    client thread CPU µs per gateway request', res.get('client.http'))

await worker.terminate()
sameThreadAgent.destroy()
await hello.close()
await gw.close()
await node.stop()
