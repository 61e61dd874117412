/**
 * Enrolment end to end through real Crank nodes with membership enforced: the
 * new node (not yet a member, so it runs open) submits certificate.sign_csr with
 * a join token over the job protocol to the node that holds the CA; restarted
 * with the certificate it gets, it is a verified member that the CA node names
 * and keeps connected past the grace period. A spent token is refused.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import createSignCsrCapability from '../capabilities/certificate.sign_csr/index.ts'
import echo from '../capabilities/example.echo/index.ts'
import { loadOrCreateIdentity } from '../src/net/identity.ts'
import { type CrankNode, createNode } from '../src/node.ts'
import { caInit, caToken, join as joinMesh, type SignCsrReply } from '../src/trust/commands.ts'
import { AuditLog, MeshCA } from '../src/trust/index.ts'
import { createMembershipCsr } from '../src/trust/node-csr.ts'
import { until } from './helpers/wait.ts'

describe('crank-node join over the job protocol', function () {
  this.timeout(30_000)
  let dir: string
  const stops: Array<() => Promise<void>> = []

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'crank-join-'))
  })
  after(async () => {
    for (const s of stops.reverse()) await s()
    rmSync(dir, { recursive: true, force: true })
  })

  it('a new node enrols with a one-time token and becomes a member', async () => {
    const caDir = join(dir, 'ca')
    await caInit({ dir: caDir })
    const ca = await MeshCA.load(caDir)
    const audit: Record<string, unknown>[] = []

    // The CA-holding node: an enrolled admin that serves certificate.sign_csr.
    const aDir = join(dir, 'a')
    const aKey = (await loadOrCreateIdentity(aDir)).key
    const aCert = await ca.issueMembership({ peerId: peerIdFromPrivateKey(aKey).toString(), name: 'a', roles: ['admin'] })
    const a = await createNode({
      name: 'a',
      dataDir: aDir,
      membership: { ca: ca.certificatePem, certificate: aCert.pem },
      listen: [`/memory/join-a-${process.pid}`],
      logLevel: 'silent',
      mesh: { dht: false },
      trust: { gracePeriodMs: 3000 },
      capabilities: [createSignCsrCapability({ ca, auditLog: new AuditLog((l) => audit.push(JSON.parse(l))) }), echo],
    })
    await a.start()
    stops.push(() => a.stop())

    // The newcomer: no certificate, only a token; like `crank-node join`, it runs open until enrolled.
    const nDir = join(dir, 'n')
    const nKey = (await loadOrCreateIdentity(nDir)).key
    const joining: CrankNode = await createNode({
      dataDir: nDir,
      listen: [],
      logLevel: 'silent',
      mesh: { dht: false },
      trust: { openMesh: true },
    })
    await joining.start()
    const { token } = await caToken({ dir: caDir, name: 'newcomer', roles: ['worker'], ttlMs: 60_000 })
    const aPeer = await joining.connect(a.multiaddrs[0]!)
    const signCsr = async (params: object) =>
      (await joining.submit({ capability: 'certificate.sign_csr', params, route: aPeer.toString(), attempts: 1 }).result)
        .value as SignCsrReply
    const result = await joinMesh({ privateKey: nKey, token, name: 'newcomer', roles: ['worker'], dataDir: nDir, submit: signCsr })
    assert.equal(result.peerId, joining.peerId.toString())
    assert.ok(audit.some((l) => l.event === 'certificate.issued' && l.serial === result.serial))

    // The token is spent: a second enrolment with it fails with invalid_token.
    const again = {
      csr: await createMembershipCsr(nKey, { name: 'newcomer', roles: ['worker'] }),
      certificate_type: 'client',
      join_token: token,
    }
    await assert.rejects(signCsr(again), { code: 'invalid_token' })
    await joining.stop({ drainTimeoutMs: 0 })

    // Restarted from its data dir it loads ca.crt + membership.crt and is a verified member.
    const n = await createNode({
      name: 'n',
      dataDir: nDir,
      listen: [`/memory/join-n-${process.pid}`],
      logLevel: 'silent',
      mesh: { dht: false },
    })
    await n.start()
    stops.push(() => n.stop())
    await n.connect(a.multiaddrs[0]!)
    const r = await n.submit({ capability: 'example.echo', params: { echo: 'member' }, route: a.peerId.toString() }).result
    assert.deepEqual(r.value, { echo: 'member', bytes: 0, chunks: 0 })
    assert.deepEqual(a.membership.callerOf(n.peerId), {
      peerId: n.peerId.toString(),
      name: 'newcomer',
      roles: ['worker'],
      member: true,
      serial: a.membership.identity(n.peerId)?.serial,
    })
    await new Promise((resolve) => setTimeout(resolve, 3500))
    assert.ok(a.libp2p.getConnections(n.peerId).length > 0, 'n is still connected after the grace period')
  })

  it('a node that never enrols is refused jobs and disconnected after the grace period', async () => {
    const ca = await MeshCA.load(join(dir, 'ca'))
    const key = (await loadOrCreateIdentity(join(dir, 'm'))).key
    const cert = await ca.issueMembership({ peerId: peerIdFromPrivateKey(key).toString(), name: 'm' })
    const member = await createNode({
      privateKey: key,
      membership: { ca: ca.certificatePem, certificate: cert.pem },
      listen: [`/memory/join-m-${process.pid}`],
      logLevel: 'silent',
      mesh: { dht: false },
      // Longer than the job gate's 2 s wait for a Hello, so the job is answered before the hang-up.
      trust: { gracePeriodMs: 3000 },
      capabilities: [echo],
    })
    await member.start()
    stops.push(() => member.stop())
    const stranger = await createNode({ listen: [], logLevel: 'silent', mesh: { dht: false }, trust: { openMesh: true } })
    await stranger.start()
    stops.push(() => stranger.stop())
    const peer = await stranger.connect(member.multiaddrs[0]!)
    const report = await stranger.submit({ capability: 'example.echo', route: peer.toString(), attempts: 1 }).outcome
    assert.equal(report.state, 'failed')
    assert.equal(report.error?.code, 'forbidden')
    // Wait on the hang-up itself, not a fixed sleep: a busy host runs the grace timer late.
    await until(
      'the stranger is disconnected after the grace period',
      () => member.libp2p.getConnections(stranger.peerId).length === 0,
      20_000,
    )
    assert.equal(member.libp2p.getConnections(stranger.peerId).length, 0, 'the stranger is disconnected after the grace period')
  })
})
