/**
 * The membership protocol between real libp2p nodes: memory transport, TLS,
 * yamux, identify, ping. The nodes are assembled here rather than with
 * src/net/libp2p.ts so this test does not depend on the node's pubsub/DHT setup.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { type GossipSub, gossipsub, TopicValidatorResult } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import { memory } from '@libp2p/memory'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tls } from '@libp2p/tls'
import { lpStream } from '@libp2p/utils'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { AccessPolicy, AuditLog, MeshCA, TrustStore } from '../src/trust/index.ts'
import { JobGate } from '../src/trust/job-gate.ts'
import { Membership, type RefusedPeer } from '../src/trust/membership.ts'

const ECHO = '/crank/test-guarded-echo/1.0.0'
const GRACE_MS = 400

let seq = 0

async function createNet(privateKey: PrivateKey, listen: string[]): Promise<Libp2p<{ pubsub: GossipSub }>> {
  return createLibp2p({
    privateKey,
    addresses: { listen },
    transports: [memory()],
    connectionEncrypters: [tls()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      ping: ping(),
      // As the node configures it: StrictSign, so msg.from is the publisher.
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictSign',
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        heartbeatInterval: 200,
      }),
    },
  })
}

interface TestNode {
  libp2p: Libp2p<{ pubsub: GossipSub }>
  membership: Membership
  peerId: PeerId
  serial?: string
}

describe('membership protocol /crank/membership/1.0.0', function () {
  this.timeout(20_000)
  let dir: string
  let ca: MeshCA
  const nodes: TestNode[] = []

  async function makeNode(
    opts: {
      cert?: 'valid' | 'none' | 'expired' | 'stolen'
      name?: string
      roles?: string[]
      graceMs?: number
      openMesh?: boolean
      stealFrom?: TestNode
    } = {},
  ): Promise<TestNode> {
    const key = await generateKeyPair('Ed25519')
    const peerId = peerIdFromPrivateKey(key)
    const libp2p = await createNet(key, [`/memory/trust-${process.pid}-${++seq}`])
    let certificate: string | undefined
    let serial: string | undefined
    const kind = opts.cert ?? 'valid'
    if (kind === 'valid' || kind === 'expired') {
      const now = Date.now()
      const issued = await ca.issueMembership({
        peerId: peerId.toString(),
        name: opts.name ?? `node-${seq}`,
        roles: opts.roles ?? ['worker'],
        ...(kind === 'expired' ? { notBefore: new Date(now - 7_200_000), notAfter: new Date(now - 3_600_000) } : {}),
      })
      certificate = issued.pem
      serial = issued.serial
    } else if (kind === 'stolen') {
      // A genuine CA-issued certificate, but for another node's key.
      const victim = opts.stealFrom!
      certificate = (await ca.issueMembership({ peerId: victim.peerId.toString(), name: 'victim' })).pem
    }
    const trust = await TrustStore.create(ca.certificatePem, ca.currentCrl().toString('pem'))
    const membership = new Membership(libp2p, {
      trust,
      gracePeriodMs: opts.graceMs ?? GRACE_MS,
      ...(certificate === undefined ? {} : { certificate }),
      ...(opts.openMesh === true ? { openMesh: true } : {}),
    })
    await libp2p.start()
    await membership.start()
    // A protocol standing in for the job protocol: only members get an answer.
    await libp2p.handle(
      ECHO,
      membership.guard(async (stream) => {
        const lp = lpStream(stream)
        await lp.write((await lp.read()).subarray())
        await stream.close()
      }),
    )
    const node: TestNode = { libp2p, membership, peerId, ...(serial === undefined ? {} : { serial }) }
    nodes.push(node)
    return node
  }

  async function echo(from: TestNode, to: TestNode): Promise<string> {
    const stream = await from.libp2p.dialProtocol(to.libp2p.getMultiaddrs()[0]!, ECHO)
    const lp = lpStream(stream)
    await lp.write(new TextEncoder().encode('hi'))
    const back = new TextDecoder().decode((await lp.read({ signal: AbortSignal.timeout(5000) })).subarray())
    await stream.close()
    return back
  }

  async function until(cond: () => boolean, ms = 5000): Promise<void> {
    const end = Date.now() + ms
    while (!cond()) {
      if (Date.now() > end) throw new Error('condition not met in time')
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  const connected = (a: TestNode, b: TestNode): boolean => a.libp2p.getConnections(b.peerId).length > 0

  /**
   * Resolves once `a`'s grace period has run out for every peer connected to it now: a probe
   * without a certificate connects after them, so its refusal at the end of its own grace period
   * comes after theirs would have (equal timers fire in the order they were set).
   */
  async function graceOver(a: TestNode): Promise<void> {
    const probe = await makeNode({ cert: 'none' })
    const refused = new Promise<void>((resolve) => {
      const onRefused = (p: RefusedPeer): void => {
        if (p.peerId !== probe.peerId.toString()) return
        a.membership.off('refused', onRefused)
        resolve()
      }
      a.membership.on('refused', onRefused)
    })
    await probe.libp2p.dial(a.libp2p.getMultiaddrs()[0]!)
    await refused
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'crank-membership-'))
    // Each test makes fresh nodes named a, b, c: names are reused with new keys, so not unique here.
    ca = await MeshCA.init({ dir, naming: { uniqueNames: false } })
  })
  afterEach(async () => {
    for (const n of nodes.splice(0)) {
      await n.membership.stop()
      await n.libp2p.stop()
    }
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('verifies members both ways, with their names and roles, and serves them', async () => {
    const a = await makeNode({ name: 'alpha', roles: ['gpu', 'mail'] })
    const b = await makeNode({ name: 'beta' })
    const verifiedByA = once(a.membership, 'verified')
    await b.libp2p.dial(a.libp2p.getMultiaddrs()[0]!)
    await verifiedByA
    await until(() => b.membership.isMember(a.peerId))
    assert.ok(a.membership.isMember(b.peerId))
    assert.equal(a.membership.identity(b.peerId)?.name, 'beta')
    assert.deepEqual(b.membership.identity(a.peerId)?.roles, ['gpu', 'mail'])
    assert.deepEqual(a.membership.callerOf(b.peerId), {
      peerId: b.peerId.toString(),
      name: 'beta',
      roles: ['worker'],
      member: true,
      serial: a.membership.identity(b.peerId)?.serial,
    })
    assert.equal(await echo(b, a), 'hi')
    // Still connected after the grace period.
    await graceOver(a)
    assert.ok(connected(a, b))
  })

  it('disconnects a node without membership after the grace period and refuses its requests', async () => {
    const a = await makeNode()
    const c = await makeNode({ cert: 'none' })
    const refused = once(a.membership, 'refused') as Promise<[RefusedPeer]>
    await c.libp2p.dial(a.libp2p.getMultiaddrs()[0]!)
    assert.ok(!a.membership.isMember(c.peerId))
    // Its protocol request is refused (the stream is aborted, nothing is echoed).
    await assert.rejects(echo(c, a))
    const [info] = await refused
    assert.equal(info.peerId, c.peerId.toString())
    assert.equal(info.code, 'not_member')
    await until(() => !connected(a, c))
    assert.equal(a.membership.members().length, 0)
  })

  it('refuses a plain libp2p node that does not speak the protocol at all', async () => {
    const a = await makeNode()
    const key = await generateKeyPair('Ed25519')
    const plain = await createNet(key, [])
    await plain.start()
    try {
      await plain.dial(a.libp2p.getMultiaddrs()[0]!)
      await until(() => plain.getConnections().length === 0)
      assert.ok(!a.membership.isMember(plain.peerId))
    } finally {
      await plain.stop()
    }
  })

  it('refuses an expired certificate at once', async () => {
    const a = await makeNode()
    const e = await makeNode({ cert: 'expired' })
    const refused = once(a.membership, 'refused') as Promise<[RefusedPeer]>
    await e.libp2p.dial(a.libp2p.getMultiaddrs()[0]!)
    const [info] = await refused
    assert.equal(info.code, 'certificate_expired')
    await until(() => !connected(a, e))
  })

  it("refuses a CA-signed certificate over another node's key", async () => {
    const a = await makeNode()
    const victim = await makeNode()
    const thief = await makeNode({ cert: 'stolen', stealFrom: victim })
    const refused = once(a.membership, 'refused') as Promise<[RefusedPeer]>
    await thief.libp2p.dial(a.libp2p.getMultiaddrs()[0]!)
    const [info] = await refused
    assert.equal(info.code, 'key_mismatch')
    await until(() => !connected(a, thief))
    assert.ok(!a.membership.isMember(thief.peerId))
  })

  it('revocation cuts a member off, spreads to other members, and keeps it out', async () => {
    const a = await makeNode({ name: 'a' })
    const b = await makeNode({ name: 'b' })
    const m = await makeNode({ name: 'm' })
    await b.libp2p.dial(a.libp2p.getMultiaddrs()[0]!)
    await m.libp2p.dial(a.libp2p.getMultiaddrs()[0]!)
    await until(() => a.membership.isMember(b.peerId) && a.membership.isMember(m.peerId) && m.membership.isMember(a.peerId))
    assert.equal(await echo(b, a), 'hi')

    const crl = await ca.revoke(b.serial!)
    const removed = once(a.membership, 'removed') as Promise<[RefusedPeer]>
    const mGotCrl = once(m.membership, 'crl')
    assert.equal(await a.membership.updateCrl(crl.toString('pem')), true)
    const [info] = await removed
    assert.deepEqual([info.peerId, info.code], [b.peerId.toString(), 'certificate_revoked'])
    await until(() => !connected(a, b))
    // a passed the CRL on to m over the membership protocol.
    await mGotCrl
    // b comes back: refused again, now by the CRL.
    const again = once(a.membership, 'refused') as Promise<[RefusedPeer]>
    await b.libp2p.dial(a.libp2p.getMultiaddrs()[0]!)
    assert.equal((await again)[0].code, 'certificate_revoked')
    await until(() => !connected(a, b))
    // m would refuse b too.
    const fromM = once(m.membership, 'refused') as Promise<[RefusedPeer]>
    await b.libp2p.dial(m.libp2p.getMultiaddrs()[0]!)
    assert.equal((await fromM)[0].code, 'certificate_revoked')
  })

  it('lets a node that enrols within the grace period stay', async () => {
    const a = await makeNode()
    const n = await makeNode({ cert: 'none' })
    await n.libp2p.dial(a.libp2p.getMultiaddrs()[0]!)
    // Enrolment (normally certificate.sign_csr with a join token) hands n a certificate.
    const issued = await ca.issueMembership({ peerId: n.peerId.toString(), name: 'newcomer' })
    const verified = once(a.membership, 'verified')
    await n.membership.setCertificate(issued.pem)
    await verified
    await graceOver(a)
    assert.ok(connected(a, n))
    assert.equal(a.membership.identity(n.peerId)?.name, 'newcomer')
  })

  it('an open mesh (explicit dev flag) keeps non-members connected and serves them', async () => {
    const a = await makeNode({ openMesh: true })
    const c = await makeNode({ cert: 'none' })
    await c.libp2p.dial(a.libp2p.getMultiaddrs()[0]!)
    assert.equal(await echo(c, a), 'hi')
    await new Promise((r) => setTimeout(r, GRACE_MS * 2))
    assert.ok(connected(a, c))
    assert.ok(a.membership.isMember(c.peerId))
    assert.equal(a.membership.identity(c.peerId), undefined)
  })
  it("the job gate admits members by policy and refuses a non-member's jobs, except enrolment", async () => {
    const a = await makeNode({ name: 'a', graceMs: 10_000 })
    const b = await makeNode({ name: 'b', roles: ['mail'] })
    const c = await makeNode({ cert: 'none' })
    await b.libp2p.dial(a.libp2p.getMultiaddrs()[0]!)
    await c.libp2p.dial(a.libp2p.getMultiaddrs()[0]!)
    await until(() => a.membership.isMember(b.peerId) && connected(a, c))
    const lines: Record<string, unknown>[] = []
    const gate = new JobGate({
      policy: new AccessPolicy({ rules: [{ capability: 'email.*', allow: { roles: ['mail'] } }] }),
      membership: a.membership,
      audit: new AuditLog((l) => lines.push(JSON.parse(l))),
      waitMs: 100,
    })
    const fromB = await gate.admit({ peerId: b.peerId.toString(), jobId: 'j1', capability: 'email.classify', params: {} })
    assert.equal(fromB.allowed, true)
    assert.deepEqual(fromB.caller.roles, ['mail'])
    const fromC = await gate.admit({ peerId: c.peerId.toString(), jobId: 'j2', capability: 'example.echo', params: {} })
    assert.equal(fromC.allowed, false)
    const enrol = await gate.admit({
      peerId: c.peerId.toString(),
      jobId: 'j3',
      capability: 'certificate.sign_csr',
      params: { join_token: 't' },
    })
    assert.equal(enrol.allowed, true)
    // A plain member reaches certificate.sign_csr only marked for renewal, which the signer holds it to.
    const bSignsCsr = await gate.admit({ peerId: b.peerId.toString(), jobId: 'j4', capability: 'certificate.sign_csr', params: {} })
    assert.equal(bSignsCsr.allowed && bSignsCsr.renewalOnly, true, 'certificate.sign_csr admits plain members for renewal only')
    assert.equal(bSignsCsr.caller.renewalOnly, true)
    assert.equal(fromB.caller.renewalOnly, undefined, 'other capabilities get the plain caller')
    assert.deepEqual(
      lines.map((l) => [l.request_id, l.decision]),
      [['j2', 'deny']],
    )
  })

  it('members do not accept adverts (gossip) from a non-member, even while it is still connected', async () => {
    const TOPIC = 'crank/test-adverts/1'
    const a = await makeNode({ name: 'a', graceMs: 10_000 })
    const b = await makeNode({ name: 'b' })
    const c = await makeNode({ cert: 'none' })
    // a's grace period is long enough that c stays connected during the test.
    a.libp2p.services.pubsub.topicValidators.set(TOPIC, (src, msg) =>
      a.membership.acceptsGossip(src, msg.type === 'signed' ? msg.from : undefined)
        ? TopicValidatorResult.Accept
        : TopicValidatorResult.Reject,
    )
    const got: string[] = []
    a.libp2p.services.pubsub.addEventListener('message', (evt) => {
      if (evt.detail.topic === TOPIC) got.push(new TextDecoder().decode(evt.detail.data))
    })
    for (const n of [a, b, c]) n.libp2p.services.pubsub.subscribe(TOPIC)
    await b.libp2p.dial(a.libp2p.getMultiaddrs()[0]!)
    await c.libp2p.dial(a.libp2p.getMultiaddrs()[0]!)
    await until(() => a.membership.isMember(b.peerId) && connected(a, c))
    await until(() => a.libp2p.services.pubsub.getSubscribers(TOPIC).length === 2)
    await c.libp2p.services.pubsub.publish(TOPIC, new TextEncoder().encode('from-c'))
    await b.libp2p.services.pubsub.publish(TOPIC, new TextEncoder().encode('from-b'))
    await until(() => got.includes('from-b'))
    await new Promise((r) => setTimeout(r, 300))
    assert.deepEqual(got, ['from-b'])
    assert.equal(a.membership.acceptsGossip(c.peerId, c.peerId), false)
    assert.equal(a.membership.acceptsGossip(b.peerId, c.peerId), false, 'a connected non-member publisher is refused even when relayed')
  })
})
