import assert from 'node:assert/strict'
import echo from '../capabilities/example.echo/index.ts'
import { defineCapability } from '../src/capability.ts'
import { ADVERT_TOPIC } from '../src/controller/adverts.ts'
import { JobError } from '../src/errors.ts'
import { crank } from '../src/net/pb/advert.js'
import { type CrankNode, createNode } from '../src/node.ts'
import { enrol } from './helpers/trust.ts'
import { until } from './helpers/wait.ts'

/**
 * The config default. These tests are about routing, not liveness: 10 nodes share one event loop,
 * and on a loaded host it stalls for seconds (at load 20, 21 of 88 ticks of a 250 ms timer ran,
 * with stalls of 3 s). A 250 ms heartbeat, dropped after 750 ms, had every provider pruned and
 * re-added between polls, and its traffic was itself most of the load.
 */
const HEARTBEAT = 5000
/** For the test that is about liveness: how soon a silent provider is dropped. */
const FAST_HEARTBEAT = 250
let run = 0

/** n nodes on the memory transport; node 0 is the hub everyone dials, so gossip and the DHT form from one bootstrap. */
async function mesh(
  specs: Array<{
    capabilities?: NonNullable<Parameters<typeof createNode>[0]>['capabilities']
    dht?: boolean
    heartbeatMs?: number
    /** Never heard on gossip: adverts stop before the node meets anyone (its start-up advert reaches nobody). */
    silent?: boolean
  }>,
): Promise<CrankNode[]> {
  run++
  const nodes: CrankNode[] = []
  for (const [i, spec] of specs.entries()) {
    const node = await createNode({
      name: `n${i}`,
      listen: [`/memory/mesh-${run}-${i}`],
      bootstrap: i === 0 ? [] : [`/memory/mesh-${run}-0/p2p/${nodes[0]!.peerId}`],
      capabilities: spec.capabilities ?? [],
      logLevel: 'silent',
      ...(await enrol({ name: `n${i}` })),
      mesh: { heartbeatMs: spec.heartbeatMs ?? HEARTBEAT, dht: spec.dht ?? false, dhtTimeoutMs: 2000, banBaseMs: 5000 },
    })
    await node.start()
    if (spec.silent === true) node.adverts.stop()
    nodes.push(node)
  }
  for (const n of nodes.slice(1)) await n.connect(`/memory/mesh-${run}-0/p2p/${nodes[0]!.peerId}`)
  return nodes
}

/** A capability that holds each job for `ms` so load and failover can be observed. */
function slow(id: string, ms: number) {
  return defineCapability<Record<string, never>, { by: string }>({
    id,
    version: '1.0.0',
    description: 'sleeps then answers',
    concurrency: 64,
    input: { type: 'object', additionalProperties: false },
    output: { type: 'object', required: ['by'], properties: { by: { type: 'string' } } },
    async handler(ctx) {
      await new Promise((r, j) => {
        const t = setTimeout(r, ms)
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(t)
          j(ctx.signal.reason)
        })
      })
      return { by: ctx.jobId }
    },
  })
}

describe('mesh: adverts, routing and failover (10 in-process nodes, memory transport)', function () {
  this.timeout(60_000)
  let nodes: CrankNode[] = []
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.stop()))
    nodes = []
  })

  it('a capability that starts on one node becomes routable from every node', async () => {
    nodes = await mesh([...Array.from({ length: 9 }, () => ({})), { capabilities: [echo] }])
    const provider = nodes[9]!.peerId.toString()
    await until('every node to learn the provider', () => nodes.slice(0, 9).every((n) => n.mesh.get(provider) !== undefined))
    const reports = await Promise.all(
      nodes.slice(0, 9).map((n) => n.submit({ capability: 'example.echo@^1', params: { echo: 1 }, input: 'x' }).result),
    )
    for (const r of reports) {
      assert.equal(r.route?.peer, provider)
      assert.equal(r.route?.reason, 'no-local-satisfier')
    }
  })

  it('prefers local, and spreads 400 concurrent jobs over 4 providers with none above 40%', async () => {
    const cap = slow('test.slow', 20)
    nodes = await mesh([{}, ...Array.from({ length: 4 }, () => ({ capabilities: [cap] })), ...Array.from({ length: 5 }, () => ({}))])
    const providers = nodes.slice(1, 5).map((n) => n.peerId.toString())
    const clients = [nodes[0]!, ...nodes.slice(5)]
    await until('clients to see all 4 providers', () => clients.every((c) => providers.every((p) => c.mesh.get(p) !== undefined)))
    const local = await nodes[1]!.submit({ capability: 'test.slow' }).result
    assert.deepEqual(local.route, { peer: 'local', reason: 'local' })
    const reports = await Promise.all(
      Array.from({ length: 400 }, (_, i) => clients[i % clients.length]!.submit({ capability: 'test.slow' }).result),
    )
    const share = new Map<string, number>()
    for (const r of reports) share.set(r.route!.peer, (share.get(r.route!.peer) ?? 0) + 1)
    assert.deepEqual([...share.keys()].sort(), [...providers].sort())
    for (const [peer, n] of share) assert.ok(n <= 160, `${peer} took ${n}/400`)
  })

  it('when a provider dies mid-job its jobs finish on the others and none are lost', async () => {
    // Long enough to be still running when the victim is stopped, however late the test sees them start.
    const cap = slow('test.slow', 2000)
    nodes = await mesh([{}, { capabilities: [cap] }, { capabilities: [cap] }, { capabilities: [cap] }])
    const [client, victim] = [nodes[0]!, nodes[1]!]
    const providers = nodes.slice(1).map((n) => n.peerId.toString())
    await until('client to see providers', () => providers.every((p) => client.mesh.get(p) !== undefined))
    const handles = Array.from({ length: 30 }, () => client.submit({ capability: 'test.slow', attempts: 3 }))
    // Killed only once it runs some of them: a fixed pause let it go before any had arrived.
    await until('the victim to run jobs', () => victim.scheduler.totals().inFlight > 0)
    // A crash, not a drain: the connection drops under the running jobs.
    await victim.libp2p.stop()
    const reports = await Promise.all(handles.map((h) => h.outcome))
    const states = reports.map((r) => r.state)
    assert.deepEqual(
      states.filter((s) => s !== 'succeeded'),
      [],
      JSON.stringify(reports.filter((r) => r.state !== 'succeeded').map((r) => r.error)),
    )
    assert.ok(
      reports.some((r) => r.attempts > 1),
      'some jobs should have needed a retry',
    )
    for (const r of reports) assert.notEqual(r.route?.peer, victim.peerId.toString())
  })

  it('terminal errors are not retried; streamed input that was read is not replayed', async () => {
    const failing = defineCapability({
      id: 'test.flaky',
      version: '1.0.0',
      description: 'fails retryably after reading its input',
      input: { type: 'object', properties: { retryable: { type: 'boolean' } } },
      output: { type: 'object' },
      errors: { flaky: { retryable: true, description: 'try elsewhere' }, broken: { retryable: false, description: 'never works' } },
      async handler(ctx: { params: { retryable?: boolean }; input: AsyncIterable<Uint8Array> }) {
        for await (const _ of ctx.input) {
          // drain
        }
        throw ctx.params.retryable ? new JobError('flaky', 'flaked') : new JobError('broken', 'broken')
      },
    })
    nodes = await mesh([{}, { capabilities: [failing] }, { capabilities: [failing] }, {}])
    await until('providers known', () => nodes.slice(1).every((p) => nodes[0]!.mesh.get(p.peerId.toString()) !== undefined))
    const terminal = await nodes[0]!.submit({ capability: 'test.flaky', params: { retryable: false } }).outcome
    assert.equal(terminal.error?.code, 'broken')
    assert.equal(terminal.attempts, 1)
    const replayable = await nodes[0]!.submit({ capability: 'test.flaky', params: { retryable: true }, input: 'bytes replay' }).outcome
    assert.equal(replayable.error?.code, 'flaky')
    assert.equal(replayable.attempts, 2, 'bytes input retries on the other provider')
    async function* stream() {
      yield new TextEncoder().encode('streamed once')
    }
    // A fresh client: nodes[0] has just banned both providers for failing.
    await until('providers known to the second client', () =>
      nodes.slice(1, 3).every((p) => nodes[3]!.mesh.get(p.peerId.toString()) !== undefined),
    )
    const streamed = await nodes[3]!.submit({ capability: 'test.flaky', params: { retryable: true }, input: stream() }).outcome
    assert.equal(streamed.error?.code, 'not_replayable')
  })

  it('a stale provider leaves the registry after 3 missed heartbeats; no provider fails fast', async () => {
    nodes = await mesh([{ heartbeatMs: FAST_HEARTBEAT }, { capabilities: [echo], heartbeatMs: FAST_HEARTBEAT }])
    const provider = nodes[1]!.peerId.toString()
    await until('provider known', () => nodes[0]!.mesh.get(provider) !== undefined)
    nodes[1]!.adverts.stop() // silent, but still connected
    const seen = nodes[0]!.mesh.get(provider)!.receivedAt
    await until('provider dropped', () => nodes[0]!.mesh.get(provider) === undefined)
    assert.ok(Date.now() - seen >= 3 * FAST_HEARTBEAT, 'dropped too early')
    const report = await nodes[0]!.submit({ capability: 'example.echo' }).outcome
    assert.equal(report.error?.code, 'no_provider')
    assert.match(report.error?.message ?? '', /no provider of example\.echo/)
  })

  it('a node whose gossip has no advert finds a provider through the DHT', async () => {
    // The provider is silent from the start. Stopping its adverts once the mesh had formed raced
    // the join snapshots still in flight, which brought its advert back after it was forgotten.
    nodes = await mesh([{ dht: true }, { dht: true, capabilities: [echo], silent: true }, { dht: true }])
    const [hub, provider, client] = nodes as [CrankNode, CrankNode, CrankNode]
    const id = provider.peerId.toString()
    await until('the hub and the client to hear each other', () =>
      [hub, client].every((a) => [hub, client].every((b) => a === b || a.mesh.get(b.peerId.toString()) !== undefined)),
    )
    await provider.dhtProvided
    assert.ok(
      nodes.every((n) => n.mesh.get(id) === undefined),
      'no node holds an advert of the silent provider',
    )
    const r = await client.submit({ capability: 'example.echo@^1', params: { echo: 'dht' } }).result
    assert.equal(r.route?.peer, id)
    const why = await client.explain('example.echo@^1')
    assert.ok(
      why.candidates.some((c) => c.peer === id && /DHT/.test(c.why)),
      JSON.stringify(why),
    )
  })

  it('a newcomer learns providers it is not connected to from one snapshot, not by waiting for heartbeats', async () => {
    // A one-minute heartbeat: anything learned within seconds came from the snapshot.
    const slow = { heartbeatMs: 60_000 }
    nodes = await mesh([slow, { ...slow, capabilities: [echo] }, { ...slow, capabilities: [echo] }])
    await until('the hub to know both providers', () => nodes.slice(1).every((p) => nodes[0]!.mesh.get(p.peerId.toString()) !== undefined))
    const late = await createNode({
      listen: [],
      logLevel: 'silent',
      ...(await enrol({ name: 'late' })),
      mesh: { dht: false, heartbeatMs: 60_000 },
    })
    // The newcomer tops up its connections (mesh.minPeers) soon after: what matters is that it
    // knew the provider before it had connected to it.
    let connectionsWhenLearned: number | undefined
    late.mesh.on('added', (peer) => {
      if (peer === nodes[1]!.peerId.toString()) connectionsWhenLearned = late.libp2p.getConnections(nodes[1]!.peerId).length
    })
    await late.start()
    nodes.push(late)
    await late.connect(nodes[0]!.multiaddrs[0]!)
    await until(
      'the newcomer to know both providers',
      // Well inside the 60 s heartbeat, which is what this tells apart; not a tighter budget than that.
      () => nodes.slice(1, 3).every((p) => late.mesh.get(p.peerId.toString()) !== undefined),
      20_000,
    )
    assert.equal(connectionsWhenLearned, 0, 'learned without connecting to the provider')
    const r = await late.submit({ capability: 'example.echo', params: { echo: 'snap' } }).result
    assert.ok([nodes[1]!, nodes[2]!].some((n) => n.peerId.toString() === r.route?.peer))
  })

  it('forged or malformed adverts are rejected and counted', async () => {
    nodes = await mesh([{}, {}])
    const [a, b] = nodes as [CrankNode, CrankNode]
    await until('a to hold a real advert from b', () => a.mesh.get(b.peerId.toString()) !== undefined)
    const before = { ...a.adverts.rejected }
    // A replayed old sequence number first: after two invalid messages gossipsub's scoring may stop listening to b.
    const old = crank.advert.v1.Advert.encode({ seq: 1, timestampMs: Date.now(), name: 'replay', heartbeatMs: HEARTBEAT }).finish()
    await b.libp2p.services.pubsub.publish(ADVERT_TOPIC, old)
    await b.libp2p.services.pubsub.publish(ADVERT_TOPIC, Uint8Array.from([0xff, 0xff, 0xff, 0x01]))
    await b.libp2p.services.pubsub.publish(ADVERT_TOPIC, new Uint8Array(70 * 1024))
    await until(
      () => `rejections counted (${JSON.stringify(a.adverts.rejected)})`,
      () =>
        a.adverts.rejected.malformed > before.malformed &&
        a.adverts.rejected.oversize > before.oversize &&
        a.adverts.rejected.seq_regression > before.seq_regression,
    )
    assert.equal(a.mesh.get(b.peerId.toString())?.advert.name, 'n1', 'the forged advert must not replace the real one')
  })
})
