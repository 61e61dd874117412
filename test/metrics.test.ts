import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import echo from '../capabilities/example.echo/index.ts'
import { type CrankNode, createNode } from '../src/node.ts'
import { startNodes, stopNodes } from './helpers/nodes.ts'
import { until } from './helpers/wait.ts'

/** The value of one sample line of the exposition, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return undefined
}

describe('Prometheus metrics (config metrics: true)', () => {
  let provider: CrankNode
  let client: CrankNode

  before(async () => {
    ;[provider, client] = await startNodes(2, [echo], { metrics: true })
    await client.connect(provider.multiaddrs[0]!)
    // Capability labels are those the node knows of: wait until the provider's advert has arrived.
    await until("the provider's advert", () => client.mesh.find({ id: 'example.echo', range: '' }).length > 0)
  })
  after(() => stopNodes([provider, client]))

  it('counts jobs on both sides, refusals by code, and reads mesh figures at scrape time', async () => {
    const route = provider.peerId.toString()
    for (let i = 0; i < 3; i++) await client.submit({ capability: 'example.echo', params: { echo: i }, route }).result
    await provider.submit({ capability: 'example.echo', route: 'local' }).result
    const bad = await client.submit({ capability: 'example.echo', params: { delayMs: 'soon' }, route }).outcome
    assert.equal(bad.error?.code, 'invalid_params')

    const c = await client.metrics!.text()
    assert.equal(sample(c, 'crank_jobs_started_total', { capability: 'example.echo' }), 4)
    assert.equal(sample(c, 'crank_jobs_ended_total', { capability: 'example.echo', state: 'succeeded', route: 'pinned' }), 3)
    assert.equal(sample(c, 'crank_jobs_ended_total', { capability: 'example.echo', state: 'failed', route: 'pinned' }), 1)
    assert.equal(sample(c, 'crank_job_duration_seconds_count', { capability: 'example.echo' }), 4)
    assert.ok((sample(c, 'crank_peers') ?? 0) >= 1)
    assert.equal(sample(c, 'crank_isolated'), 0)

    const p = await provider.metrics!.text()
    assert.equal(sample(p, 'crank_jobs_served_total', { capability: 'example.echo', state: 'succeeded' }), 4)
    assert.equal(sample(p, 'crank_job_rejections_total', { code: 'invalid_params' }), 1)
    assert.equal(sample(p, 'crank_job_run_seconds_count', { capability: 'example.echo' }), 4)
    assert.ok(sample(p, 'crank_queue_depth', { capability: 'example.echo' }) !== undefined)
    // libp2p's own metrics share the registry.
    assert.match(p, /^libp2p_/m)
    assert.match(p, /^crank_process_cpu_user_seconds_total /m)
    assert.equal(provider.metrics!.contentType.split(';')[0], 'text/plain')
  })

  it('keeps labels bounded: a capability nobody serves is counted as other, and no job or peer ids appear', async () => {
    for (const id of ['no.such-1', 'no.such-2', 'no.such-3']) await client.submit({ capability: id, route: 'local' }).outcome
    const c = await client.metrics!.text()
    assert.equal(sample(c, 'crank_jobs_started_total', { capability: 'other' }), 3)
    assert.doesNotMatch(c, /no\.such/)
    assert.ok(!c.includes(provider.peerId.toString()), 'a peer id appeared as a label')
  })

  it('with a job store: its bytes on disk by part, and how long its batched writes take', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crank-metrics-store-'))
    const node = await createNode({
      listen: [],
      logLevel: 'silent',
      dataDir: dir,
      metrics: true,
      trust: { openMesh: true },
      capabilities: [echo],
    })
    try {
      await node.start()
      for (let i = 0; i < 3; i++) await node.submit({ capability: 'example.echo', input: 'x'.repeat(1000), durable: true }).result
      const text = await node.metrics!.text()
      assert.ok((sample(text, 'crank_store_write_seconds_count') ?? 0) >= 2, 'a durable job is written at least at submit and at its end')
      assert.ok((sample(text, 'crank_store_bytes', { part: 'database' }) ?? 0) > 0)
      assert.ok((sample(text, 'crank_store_bytes', { part: 'wal' }) ?? 0) > 0, 'the writes are in the WAL until a checkpoint')
      assert.equal(sample(text, 'crank_store_bytes', { part: 'input' }), 0, 'inputs this small are kept in their rows')
    } finally {
      await node.stop()
      await rm(dir, { recursive: true, force: true })
    }
    // A node without a store has no store size to report.
    assert.equal(sample(await client.metrics!.text(), 'crank_store_bytes', { part: 'database' }), undefined)
  })

  it('is absent unless configured', async () => {
    const [plain] = await startNodes(1, [echo])
    try {
      assert.equal(plain!.metrics, undefined)
    } finally {
      await stopNodes([plain!])
    }
  })
})
