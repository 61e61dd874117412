/**
 * What a peer that has not proven membership gets from the mesh: nothing. Real
 * Crank nodes on the memory transport; the strangers are plain js-libp2p peers
 * (src/net/libp2p.ts's assembly: gossipsub and the DHT, without Crank's
 * membership, gating or job protocol).
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Connection, Libp2p, PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import pino from 'pino'
import echo from '../capabilities/example.echo/index.ts'
import { ADVERT_TOPIC, SNAPSHOT_PROTOCOL } from '../src/controller/adverts.ts'
import { ErrorCodes, type JobFailedError } from '../src/errors.ts'
import { JOB_PROTOCOL } from '../src/jobs/messages.ts'
import { capabilityCid } from '../src/net/capability-cid.ts'
import type { NetServices } from '../src/net/libp2p.ts'
import { type CrankNode, createNode, type NodeInit } from '../src/node.ts'
import { crlPem } from '../src/trust/ca.ts'
import type { RefusedPeer } from '../src/trust/membership.ts'
import { plainNet } from './helpers/plain-net.ts'
import { enrol, testCa } from './helpers/trust.ts'
import { until } from './helpers/wait.ts'

let run = 0
const addr = (name: string): string => `/memory/gating-${run}-${name}`

async function member(name: string, init: NodeInit = {}): Promise<CrankNode> {
  const node = await createNode({
    name,
    listen: [addr(name)],
    logLevel: 'silent',
    ...(await enrol({ name })),
    ...init,
    mesh: { heartbeatMs: 200, dht: false, dhtTimeoutMs: 2000, ...init.mesh },
  })
  await node.start()
  return node
}

/** A plain js-libp2p peer: speaks gossipsub and the DHT, knows nothing of membership. */
function stranger(name: string, privateKey?: PrivateKey): Promise<Libp2p<NetServices>> {
  return plainNet(addr(name), { dht: true, ...(privateKey === undefined ? {} : { privateKey }) })
}

function refusalOf(node: CrankNode, peer: string): Promise<RefusedPeer> {
  return new Promise((resolve) => {
    const on = (r: RefusedPeer): void => {
      if (r.peerId !== peer) return
      node.membership.off('refused', on)
      resolve(r)
    }
    node.membership.on('refused', on)
  })
}

describe('trust: nothing of the mesh for unproven peers; refused peers gated with backoff', function () {
  this.timeout(60_000)
  let nodes: CrankNode[] = []
  let others: Array<Libp2p<NetServices>> = []

  beforeEach(() => {
    run++
  })

  afterEach(async () => {
    await Promise.all(others.map((o) => o.stop()))
    await Promise.all(nodes.map((n) => n.stop({ drainTimeoutMs: 0 })))
    nodes = []
    others = []
  })

  it('a non-member gets no adverts, no snapshot and no DHT answer during its grace period', async () => {
    const provider = await member('provider', { capabilities: [echo], trust: { gracePeriodMs: 3000 }, mesh: { dht: true } })
    const witness = await member('witness', { mesh: { dht: true } })
    nodes.push(provider, witness)
    await witness.connect(`${addr('provider')}/p2p/${provider.peerId}`)
    // The control: a member hears the provider's adverts over the same gossip.
    await until('the member to learn the provider', () => witness.mesh.get(provider.peerId.toString()) !== undefined)
    await provider.dhtProvided

    const s = await stranger('stranger')
    others.push(s)
    const heard: string[] = []
    s.services.pubsub.addEventListener('message', (evt) => {
      if (evt.detail.topic === ADVERT_TOPIC) heard.push(evt.detail.type === 'signed' ? evt.detail.from.toString() : 'unsigned')
    })
    s.services.pubsub.subscribe(ADVERT_TOPIC)
    const refused = refusalOf(provider, s.peerId.toString())
    const publishedBefore = provider.adverts.published
    await s.dial(multiaddr(`${addr('provider')}/p2p/${provider.peerId}`))

    // A snapshot asked for within the grace period: the stream is held, then reset, never answered.
    const snapshot = (async () => {
      const stream = await s.dialProtocol(provider.peerId, SNAPSHOT_PROTOCOL)
      const chunks: number[] = []
      try {
        for await (const c of stream) chunks.push(c.byteLength)
      } catch {
        // reset by the provider: what we expect
      }
      return chunks.reduce((a, b) => a + b, 0)
    })().catch(() => 0)
    // A DHT lookup for the capability the provider announced: the provider answers nothing.
    const dhtFound = (async () => {
      const found: string[] = []
      const cid = await capabilityCid('example.echo', 1)
      try {
        for await (const p of s.contentRouting.findProviders(cid, { signal: AbortSignal.timeout(5000) })) found.push(p.id.toString())
      } catch {
        // the lookup ends without peers, or times out
      }
      return found
    })()

    // And it announces itself as a provider of the same capability: no member may store that.
    const announced = (async () => {
      try {
        await s.contentRouting.provide(await capabilityCid('example.echo', 1), { signal: AbortSignal.timeout(5000) })
      } catch {
        // refused by every DHT peer it found
      }
    })()

    const r = await refused
    assert.equal(r.code, 'not_member')
    await announced
    const stored: string[] = []
    try {
      for await (const p of witness.libp2p.contentRouting.findProviders(await capabilityCid('example.echo', 1), {
        signal: AbortSignal.timeout(3000),
      }))
        stored.push(p.id.toString())
    } catch {
      // the lookup may end by timeout once the provider's own record is found
    }
    assert.ok(stored.includes(provider.peerId.toString()), `the member's record is found: ${stored.join(',')}`)
    assert.ok(!stored.includes(s.peerId.toString()), "the stranger's provider record was stored nowhere")
    assert.ok(provider.adverts.published - publishedBefore >= 3, 'the provider kept publishing during the grace period')
    assert.deepEqual(heard, [], 'no advert reached the stranger')
    assert.equal(await snapshot, 0, 'no snapshot bytes reached the stranger')
    assert.deepEqual(await dhtFound, [], 'no DHT answer named a provider')
    assert.equal(provider.refusals?.state(s.peerId.toString())?.step, 1, 'the stranger is now gated')
  })

  it('a provider only the DHT names, that does not prove membership, is never routed to; explain says why', async () => {
    const hub = await member('hub', { mesh: { dht: true } })
    const key = await generateKeyPair('Ed25519')
    const ca = (await testCa()).ca
    const issued = await ca.issueMembership({ peerId: peerIdFromPrivateKey(key).toString(), name: 'dht-provider' })
    const provider = await createNode({
      name: 'dht-provider',
      listen: [addr('dht-provider')],
      logLevel: 'silent',
      privateKey: key,
      membership: { ca: ca.certificatePem, certificate: issued.pem },
      capabilities: [echo],
      mesh: { heartbeatMs: 200, dht: true },
    })
    await provider.start()
    const client = await member('client', { mesh: { dht: true } })
    nodes.push(hub, client)
    await provider.connect(`${addr('hub')}/p2p/${hub.peerId}`)
    await client.connect(`${addr('hub')}/p2p/${hub.peerId}`)
    await provider.dhtProvided
    const providerId = provider.peerId.toString()
    await provider.stop({ drainTimeoutMs: 0 })
    for (const n of [hub, client]) n.mesh.remove(providerId)

    // The same key comes back as a plain libp2p peer: the DHT's records still name it, it has no membership.
    const impostor = await stranger('impostor', key)
    others.push(impostor)
    let jobStreams = 0
    await impostor.handle(JOB_PROTOCOL, (stream) => {
      jobStreams++
      stream.abort(new Error('impostor'))
    })
    await client.libp2p.peerStore.merge(impostor.peerId, { multiaddrs: impostor.getMultiaddrs() })

    await assert.rejects(
      client.submit({ capability: 'example.echo@^1', params: { echo: 'x' }, attempts: 1 }).result,
      (err: JobFailedError) => err.code === ErrorCodes.noProvider,
    )
    const why = await client.explain('example.echo@^1')
    const candidate = why.candidates.find((c) => c.peer === providerId)
    assert.ok(candidate !== undefined, `explain lists the DHT's provider: ${JSON.stringify(why)}`)
    assert.equal(candidate.eligible, false)
    assert.match(candidate.why, /membership|member/)
    assert.equal(jobStreams, 0, 'no job stream reached the impostor')
  })

  it("a revoked node's redials are refused with exponential backoff, logged once per step", async () => {
    const lines: Array<{ msg?: string; peer?: string; step?: number; backoffMs?: number }> = []
    const logger = pino({ level: 'warn' }, { write: (s: string) => lines.push(JSON.parse(s)) })
    const a = await member('a', { logger, trust: { refusalBackoffMs: 300 } })
    const ca = (await testCa()).ca
    const key = await generateKeyPair('Ed25519')
    const issued = await ca.issueMembership({ peerId: peerIdFromPrivateKey(key).toString(), name: 'revoked' })
    const r = await createNode({
      name: 'revoked',
      listen: [addr('revoked')],
      logLevel: 'silent',
      privateKey: key,
      membership: { ca: ca.certificatePem, certificate: issued.pem },
      mesh: { dht: false },
    })
    await r.start()
    nodes.push(a, r)
    const rid = r.peerId.toString()
    await r.connect(`${addr('a')}/p2p/${a.peerId}`)
    await until('a to verify r', () => a.membership.isMember(rid))

    await a.membership.updateCrl(crlPem(await ca.revoke(issued.serial)))
    assert.equal(a.refusals?.state(rid)?.step, 1)

    // r redials as fast as it can: each dial that gets through is refused again at once.
    let dials = 0
    while ((a.refusals?.state(rid)?.step ?? 0) < 3) {
      dials++
      assert.ok(dials < 20_000, 'the gate never reopened')
      let conn: Connection | undefined
      try {
        conn = await r.libp2p.dial(multiaddr(`${addr('a')}/p2p/${a.peerId}`))
      } catch {
        continue // refused by the gate
      }
      if (conn.status === 'open') await once(r.libp2p, 'connection:close')
    }
    const refusals = lines.filter((l) => l.peer === rid && /peer refused/.test(l.msg ?? ''))
    assert.deepEqual(
      refusals.map((l) => [l.step, l.backoffMs]),
      [
        [1, 300],
        [2, 600],
        [3, 1200],
      ],
      'one line per step, the backoff doubling',
    )
    const denied = a.refusals?.state(rid)?.denied ?? 0
    assert.ok(denied > 0 && dials > refusals.length, `redials were refused by the gate (${denied} of ${dials} dials)`)
    assert.equal(a.membership.isMember(rid), false)
  })
})
