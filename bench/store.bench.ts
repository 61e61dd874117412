/**
 * The job store's cost on the job path: durable jobs (submit on disk before they run, end on disk
 * before the caller hears) against the same jobs on nodes that keep no store, in one process,
 * interleaved round by round. example.echo, params only:
 *   (a) local jobs, 64 in flight: jobs/s, durable and in-memory (and recorded but not durable);
 *   (b) local jobs one at a time: p50 submit-to-result latency;
 *   (c) remote jobs over TCP + TLS + yamux on loopback, 64 in flight: jobs/s;
 *   (d) remote jobs one at a time: p50;
 *   (e) CPU µs per job from the windows of (a) and (c) (both nodes live in this process);
 *   (f) BullMQ with Redis 7 (AOF, fsync every second: the same durability as the store's WAL in
 *       `normal` mode), 64 producers each adding a job and waiting for its result, one worker of
 *       concurrency 64 running the same echo; skipped, saying why, when `redis-server` is not on
 *       PATH or bullmq cannot be imported (BENCH_BULLMQ names its module when it is not a
 *       dependency of this package).
 * Target: durable local jobs/s ≥ 0.5× in-memory.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import echo from '../capabilities/example.echo/index.ts'
import { type CrankNode, createNode, EphemeralCA } from '../src/index.ts'
import {
  cpuUsPerOp,
  drain,
  envNumber,
  interleave,
  perSecond,
  printHeader,
  printRatio,
  printValue,
  Results,
  sequential,
  throughput,
} from './stats.ts'

const IN_FLIGHT = 64
const SECONDS = envNumber('BENCH_SECONDS', 1.2)
const N = envNumber('BENCH_N', 400, { integer: true })

const dirs: string[] = []
const tempDir = (name: string): string => {
  const d = mkdtempSync(join(tmpdir(), `crank-store-bench-${name}-`))
  dirs.push(d)
  return d
}

const mesh = await EphemeralCA.create()
const common = { listen: ['/ip4/127.0.0.1/tcp/0'], logLevel: 'silent' as const, mesh: { dht: false } }
async function node(name: string, opts: { store: boolean; serve: boolean }): Promise<CrankNode> {
  const n = await createNode({
    ...common,
    ...(await mesh.enrol({ name })),
    ...(opts.store ? { dataDir: tempDir(name) } : {}),
    capabilities: opts.serve ? [echo] : [],
  })
  await n.start()
  return n
}

const memLocal = await node('mem-local', { store: false, serve: true })
const storeLocal = await node('store-local', { store: true, serve: true })
const memProvider = await node('mem-provider', { store: false, serve: true })
const memClient = await node('mem-client', { store: false, serve: false })
const storeProvider = await node('store-provider', { store: true, serve: true })
const storeClient = await node('store-client', { store: true, serve: false })
await memClient.connect(memProvider.multiaddrs[0]!)
await storeClient.connect(storeProvider.multiaddrs[0]!)
const memRoute = memProvider.peerId.toString()
const storeRoute = storeProvider.peerId.toString()

const job = (n: CrankNode, route: string, durable: boolean) => async (): Promise<void> => {
  const r = await n.submit({ capability: 'example.echo', params: { echo: 1 }, route, durable }).result
  if ((r.value as { echo: unknown }).echo !== 1) throw new Error(`unexpected result ${JSON.stringify(r.value)}`)
}
const localMem = job(memLocal, 'local', false)
const localDurable = job(storeLocal, 'local', true)
const localRecorded = job(storeLocal, 'local', false)
const remoteMem = job(memClient, memRoute, false)
const remoteDurable = job(storeClient, storeRoute, true)

for (const f of [localMem, localDurable, localRecorded, remoteMem, remoteDurable]) await drain(Array.from({ length: 3000 }), IN_FLIGHT, f)

const bull = await startBullmq()
if (bull.ready) await drain(Array.from({ length: 2000 }), IN_FLIGHT, bull.job)

const res = new Results()
const window = (name: string, f: () => Promise<void>) => async () => {
  const w = await throughput(IN_FLIGHT, SECONDS * 1000, f)
  res.record(`tput.${name}`, perSecond(w))
  res.record(`cpu.${name}`, cpuUsPerOp(w))
}
const oneAtATime = (name: string, f: () => Promise<void>) => async () => {
  const w = await sequential(N, f)
  res.record(`p50.${name}`, w.p50Ms)
}
await interleave([
  window('localMem', localMem),
  window('localDurable', localDurable),
  window('localRecorded', localRecorded),
  oneAtATime('localMem', localMem),
  oneAtATime('localDurable', localDurable),
  window('remoteMem', remoteMem),
  window('remoteDurable', remoteDurable),
  oneAtATime('remoteMem', remoteMem),
  oneAtATime('remoteDurable', remoteDurable),
  ...(bull.ready ? [window('bullmq', bull.job), oneAtATime('bullmq', bull.job)] : []),
])

printHeader(
  `store: durable jobs (SQLite WAL, synchronous=normal) against nodes without a store; example.echo, ${SECONDS} s windows, ${N} one at a time`,
)
const tput = { crankName: 'durable jobs/s', baseName: 'in-memory jobs/s' }
const lat = { unit: ' ms', crankName: 'durable', baseName: 'in-memory' }
const cpu = { unit: ' µs', crankName: 'durable', baseName: 'in-memory' }
printRatio(`(a) local, ${IN_FLIGHT} in flight`, res.get('tput.localDurable'), res.get('tput.localMem'), tput)
printRatio('    local, recorded but not durable', res.get('tput.localRecorded'), res.get('tput.localMem'), {
  crankName: 'recorded jobs/s',
  baseName: 'in-memory jobs/s',
})
printRatio('(b) local one at a time, p50', res.get('p50.localDurable'), res.get('p50.localMem'), lat)
printRatio(`(c) remote, ${IN_FLIGHT} in flight`, res.get('tput.remoteDurable'), res.get('tput.remoteMem'), tput)
printRatio('(d) remote one at a time, p50', res.get('p50.remoteDurable'), res.get('p50.remoteMem'), lat)
printRatio(`(e) CPU per local job, ${IN_FLIGHT} in flight`, res.get('cpu.localDurable'), res.get('cpu.localMem'), cpu)
printRatio(`    CPU per remote job, ${IN_FLIGHT} in flight (both nodes)`, res.get('cpu.remoteDurable'), res.get('cpu.remoteMem'), cpu)
if (bull.ready) {
  printRatio(`(f) ${IN_FLIGHT} producers: Crank durable local against BullMQ`, res.get('tput.localDurable'), res.get('tput.bullmq'), {
    crankName: 'crank durable jobs/s',
    baseName: 'bullmq jobs/s',
  })
  printRatio('    Crank durable remote against BullMQ', res.get('tput.remoteDurable'), res.get('tput.bullmq'), {
    crankName: 'crank durable jobs/s',
    baseName: 'bullmq jobs/s',
  })
  printValue('    BullMQ one at a time, p50', res.get('p50.bullmq'), ' ms')
} else {
  console.log(`  (f) BullMQ skipped: ${bull.why}`)
}

await bull.close()
await Promise.all([memLocal, storeLocal, memClient, memProvider, storeClient, storeProvider].map((n) => n.stop()))
for (const d of dirs) rmSync(d, { recursive: true, force: true })

interface Bull {
  ready: boolean
  why?: string
  job: () => Promise<void>
  close: () => Promise<void>
}

/** BullMQ against a Redis of our own on a free loopback port, or why not. */
async function startBullmq(): Promise<Bull> {
  const none = (why: string): Bull => ({ ready: false, why, job: async () => {}, close: async () => {} })
  // biome-ignore lint/suspicious/noExplicitAny: bullmq is an optional module loaded by name; its types are not a dependency.
  let bullmq: any
  // biome-ignore lint/suspicious/noExplicitAny: as above, for ioredis (BullMQ 6 takes a client instance under ESM).
  let IORedis: any
  try {
    bullmq = await import(process.env.BENCH_BULLMQ ?? 'bullmq')
    // ioredis as bullmq itself would find it: next to it.
    const found = createRequire(process.env.BENCH_BULLMQ ?? import.meta.url).resolve('ioredis')
    IORedis = (await import(pathToFileURL(found).href)).default
  } catch (err) {
    return none(
      `bullmq (with ioredis) cannot be imported (${(err as Error).message.split('\n')[0]}); add them with \`npm install -D bullmq@6 ioredis@5\`, or set BENCH_BULLMQ to bullmq's module path`,
    )
  }
  const port = await freePort()
  const dir = tempDir('redis')
  let redis: ChildProcess
  try {
    redis = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    await new Promise<void>((resolve, reject) => {
      redis.once('error', reject)
      redis.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)))
      redis.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('Ready to accept connections')) resolve()
      })
    })
  } catch (err) {
    return none(`redis-server is not usable (${(err as Error).message}); on Debian: apt-get install redis-server`)
  }
  // biome-ignore lint/suspicious/noExplicitAny: ioredis clients, untyped here (see above).
  const clients: any[] = []
  // BullMQ does not close clients it was given: they are closed below, before Redis stops.
  const connection = () => {
    const c = new IORedis({ host: '127.0.0.1', port, maxRetriesPerRequest: null })
    clients.push(c)
    return c
  }
  const queue = new bullmq.Queue('echo', { connection: connection() })
  const events = new bullmq.QueueEvents('echo', { connection: connection() })
  const worker = new bullmq.Worker('echo', async (j: { data: { echo: unknown } }) => ({ echo: j.data.echo }), {
    connection: connection(),
    concurrency: IN_FLIGHT,
  })
  // Each waiting producer listens on the queue and its events: 64 of them are expected.
  queue.setMaxListeners(4 * IN_FLIGHT)
  events.setMaxListeners(4 * IN_FLIGHT)
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady(), worker.waitUntilReady()])
  return {
    ready: true,
    job: async () => {
      // Removed a minute after completion: removing at once races waitUntilFinished ("Missing key").
      const j = await queue.add('echo', { echo: 1 }, { removeOnComplete: { age: 60 }, removeOnFail: { age: 60 } })
      const r = (await j.waitUntilFinished(events)) as { echo: unknown }
      if (r.echo !== 1) throw new Error(`unexpected bullmq result ${JSON.stringify(r)}`)
    },
    close: async () => {
      await worker.close()
      await events.close()
      await queue.close()
      for (const c of clients) c.disconnect()
      redis.kill('SIGTERM')
      await new Promise((r) => redis.once('exit', r))
    },
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}
