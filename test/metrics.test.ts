import assert from 'node:assert/strict'
import echo from '../capabilities/example.echo/index.ts'
import type { CrankNode } from '../src/node.ts'
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

  it('is absent unless configured', async () => {
    const [plain] = await startNodes(1, [echo])
    try {
      assert.equal(plain!.metrics, undefined)
    } finally {
      await stopNodes([plain!])
    }
  })
})
