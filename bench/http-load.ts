/**
 * An HTTP load generator that runs in a worker thread, so that a bench's client does not spend
 * the CPU of the thread it measures: keep-alive node:http agents (one per target, `connections`
 * sockets), `inFlight` requests in flight, each answer read whole and checked. The parent asks
 * with a `LoadRequest` and gets a `LoadResult` back; the worker ends when the parent closes it.
 */
import { Agent, request } from 'node:http'
import { parentPort } from 'node:worker_threads'
import { percentile, threadCpu } from './stats.ts'

export interface LoadTarget {
  /** `http://host:port` */
  url: string
  path: string
  body: string
  /** Sockets in the keep-alive pool. */
  connections: number
}

export type LoadRequest =
  | ({ kind: 'throughput'; inFlight: number; ms: number } & LoadTarget)
  | ({ kind: 'sequential'; n: number } & LoadTarget)

export interface LoadResult {
  ops: number
  seconds: number
  /** This worker thread's CPU (user + system) over the run: what the client cost. */
  clientCpuUs: number
  p50Ms?: number
  p99Ms?: number
}

const agents = new Map<string, Agent>()

function agentFor(t: LoadTarget): Agent {
  const key = `${t.url} ${t.connections}`
  let a = agents.get(key)
  if (a === undefined) {
    a = new Agent({ keepAlive: true, maxSockets: t.connections })
    agents.set(key, a)
  }
  return a
}

/** One request; rejects unless the answer is 200 with `"state":"succeeded"`. */
export function post(t: LoadTarget, agent: Agent, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host,
        port,
        method: 'POST',
        path: t.path,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(t.body) },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString()
          if (res.statusCode !== 200 || (JSON.parse(text) as { state?: unknown }).state !== 'succeeded')
            reject(new Error(`HTTP ${res.statusCode}: ${text}`))
          else resolve()
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(t.body)
  })
}

async function run(r: LoadRequest): Promise<LoadResult> {
  const agent = agentFor(r)
  const { hostname, port } = new URL(r.url)
  const call = (): Promise<void> => post(r, agent, hostname, Number(port))
  const cpu = threadCpu()
  const start = performance.now()
  if (r.kind === 'throughput') {
    let ops = 0
    const end = start + r.ms
    await Promise.all(
      Array.from({ length: r.inFlight }, async () => {
        while (performance.now() < end) {
          await call()
          ops++
        }
      }),
    )
    return { ops, seconds: (performance.now() - start) / 1000, clientCpuUs: threadCpu() - cpu }
  }
  const samples: number[] = new Array(r.n)
  for (let i = 0; i < r.n; i++) {
    const t = performance.now()
    await call()
    samples[i] = performance.now() - t
  }
  const seconds = (performance.now() - start) / 1000
  samples.sort((a, b) => a - b)
  return { ops: r.n, seconds, clientCpuUs: threadCpu() - cpu, p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99) }
}

if (parentPort !== null) {
  const port = parentPort
  port.on('message', (r: LoadRequest) => {
    run(r).then(
      (result) => port.postMessage({ ok: true, result }),
      (err: unknown) => port.postMessage({ ok: false, message: (err as Error).message }),
    )
  })
}
