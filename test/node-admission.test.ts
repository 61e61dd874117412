/**
 * Admission, drain and worker failures through real nodes: the scheduler and
 * runtimes as the job protocol and the router see them.
 */
import assert from 'node:assert/strict'
import { type AnyCapability, defineCapability } from '../src/capability.ts'
import { type CrankNode, createNode } from '../src/node.ts'
import crasher from './fixtures/capabilities/crasher/index.ts'
import { enrol } from './helpers/trust.ts'
import { until } from './helpers/wait.ts'

/** Holds each job until released, recording the order jobs started in. */
function gated(id: string, opts: { concurrency: number; queueLimit: number; queueTimeoutMs?: number }) {
  const started: string[] = []
  const waiting: Array<() => void> = []
  const cap = defineCapability<{ tag: string }, { tag: string }>({
    id,
    version: '1.0.0',
    description: 'waits for the test to release it',
    concurrency: opts.concurrency,
    queue: { limit: opts.queueLimit, ...(opts.queueTimeoutMs === undefined ? {} : { timeoutMs: opts.queueTimeoutMs }) },
    input: { type: 'object', properties: { tag: { type: 'string' } }, required: ['tag'] },
    output: { type: 'object', properties: { tag: { type: 'string' } }, required: ['tag'] },
    async handler(ctx) {
      started.push(ctx.params.tag)
      await new Promise<void>((resolve, reject) => {
        waiting.push(resolve)
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))
      })
      return { tag: ctx.params.tag }
    },
  })
  const release = (): void => {
    for (const resume of waiting.splice(0)) resume()
  }
  return { cap, started, release, waiting }
}

async function node(name: string, capabilities: AnyCapability[]): Promise<CrankNode> {
  const n = await createNode({
    name,
    listen: [`/memory/adm-${name}-${process.pid}`],
    logLevel: 'silent',
    mesh: { dht: false, heartbeatMs: 200 },
    ...(await enrol({ name })),
    capabilities,
  })
  await n.start()
  return n
}

describe('admission through the node', function () {
  this.timeout(30_000)
  const nodes: CrankNode[] = []
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop({ drainTimeoutMs: 0 })))
  })

  it('a full queue rejects a remote job at once with queue_full (retryable); priorities order the queue', async () => {
    const g = gated('test.gated', { concurrency: 1, queueLimit: 2 })
    const provider = await node('p1', [g.cap])
    const client = await node('c1', [])
    nodes.push(provider, client)
    const route = (await client.connect(provider.multiaddrs[0]!)).toString()
    const first = client.submit({ capability: 'test.gated', params: { tag: 'first' }, route })
    await until('the first job to start', () => g.started.length === 1)
    const low = client.submit({ capability: 'test.gated', params: { tag: 'low' }, route, priority: 'low' })
    const high = client.submit({ capability: 'test.gated', params: { tag: 'high' }, route, priority: 'high' })
    await until('two jobs queued', () => provider.scheduler.totals().queued === 2)
    const full = await client.submit({ capability: 'test.gated', params: { tag: 'overflow' }, route }).outcome
    assert.equal(full.state, 'failed')
    assert.deepEqual(full.error && { code: full.error.code, retryable: full.error.retryable }, { code: 'queue_full', retryable: true })
    while (g.started.length < 3) {
      g.release()
      await new Promise((r) => setTimeout(r, 20))
    }
    g.release()
    await Promise.all([first.result, low.result, high.result])
    assert.deepEqual(g.started, ['first', 'high', 'low'])
  })

  it('a job that waits past its queue timeout ends expired', async () => {
    const g = gated('test.slowq', { concurrency: 1, queueLimit: 4, queueTimeoutMs: 150 })
    const provider = await node('p2', [g.cap])
    nodes.push(provider)
    const busy = provider.submit({ capability: 'test.slowq', params: { tag: 'busy' }, route: 'local' })
    await until('the first job to start', () => g.started.length === 1)
    const waits = await provider.submit({ capability: 'test.slowq', params: { tag: 'waits' }, route: 'local' }).outcome
    assert.equal(waits.state, 'expired')
    g.release()
    await busy.result
  })

  it('stop drains: in-flight jobs finish, new ones are refused, the rest are cancelled at the deadline', async () => {
    const g = gated('test.drain', { concurrency: 2, queueLimit: 4 })
    const provider = await node('p3', [g.cap])
    const client = await node('c3', [])
    nodes.push(client)
    const route = (await client.connect(provider.multiaddrs[0]!)).toString()
    const finishes = client.submit({ capability: 'test.drain', params: { tag: 'finishes' }, route })
    const stuck = client.submit({ capability: 'test.drain', params: { tag: 'stuck' }, route })
    await until('both jobs to start', () => g.started.length === 2)
    const stopping = provider.stop({ drainTimeoutMs: 400 })
    await until('the provider to drain', () => provider.scheduler.isDraining)
    const refused = await client.submit({ capability: 'test.drain', params: { tag: 'late' }, route, attempts: 1 }).outcome
    assert.equal(refused.error?.code, 'shutting_down')
    assert.equal(refused.error?.retryable, true)
    g.waiting.shift()?.() // let one finish inside the drain window
    await stopping
    assert.equal((await finishes.outcome).state, 'succeeded')
    const s = await stuck.outcome
    assert.notEqual(s.state, 'succeeded')
  })

  it('a crashing worker fails its job worker_crashed (retryable) and the job is retried on another provider', async () => {
    const a = await node('p4', [crasher])
    const b = await node('p5', [crasher])
    const client = await node('c4', [])
    nodes.push(a, b, client)
    await client.connect(a.multiaddrs[0]!)
    await client.connect(b.multiaddrs[0]!)
    await until('both crasher providers known', () => client.mesh.find({ id: 'fixture.crasher', range: '' }).length === 2)
    const report = await client.submit({ capability: 'fixture.crasher', params: { how: 'exit' }, route: 'any', attempts: 2 }).outcome
    assert.equal(report.state, 'failed')
    assert.equal(report.error?.code, 'worker_crashed')
    assert.equal(report.attempts, 2, 'retried on the second provider')
    const served = [a, b].filter((n) => n.journal.recent().some((j) => j.error?.code === 'worker_crashed'))
    assert.equal(served.length, 2, 'each provider saw the crash once')
  })
})
