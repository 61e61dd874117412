/**
 * The mesh CA, membership certificates, CRLs and the ca/join commands,
 * cross-checked with the openssl CLI (Debian package openssl).
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import createSignCsrCapability from '../capabilities/certificate.sign_csr/index.ts'
import { runCapability } from '../src/testing.ts'
import { caInit, caIssue, caRevoke, caToken, join as joinMesh, loadNodeTrust, type SignCsrReply } from '../src/trust/commands.ts'
import { MeshCA, TrustStore } from '../src/trust/index.ts'
import { loadOrCreateSwarmKey } from '../src/trust/swarm-key.ts'

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

describe('mesh CA and membership certificates', function () {
  this.timeout(20_000)
  let dir: string

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'crank-ca-'))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  for (const algorithm of ['ecdsa-p256', 'ed25519'] as const) {
    it(`ca init (${algorithm}) writes a 0600 key and a CA certificate openssl accepts`, async () => {
      const caDir = join(dir, algorithm)
      const r = await caInit({ dir: caDir, algorithm, name: 'Test mesh' })
      assert.equal(statSync(r.keyPath).mode & 0o777, 0o600)
      assert.equal(statSync(join(caDir, 'tokens.json'), { throwIfNoEntry: false }), undefined)
      const text = openssl('x509', '-in', r.certificatePath, '-noout', '-text')
      assert.match(text, /CA:TRUE/)
      assert.match(text, algorithm === 'ed25519' ? /ED25519/ : /prime256v1/)
      assert.match(openssl('verify', '-CAfile', r.certificatePath, r.certificatePath), /OK/)
      await assert.rejects(caInit({ dir: caDir }), { code: 'ca_unavailable' })

      // A membership certificate over a libp2p key, named by its peer id.
      const key = await generateKeyPair('Ed25519')
      const peerId = peerIdFromPrivateKey(key).toString()
      const issued = await caIssue({ dir: caDir, peerId, name: 'worker-1', roles: ['gpu', 'mail'], out: join(caDir, 'w1.crt') })
      assert.match(openssl('verify', '-CAfile', r.certificatePath, join(caDir, 'w1.crt')), /OK/)
      const leaf = openssl('x509', '-in', join(caDir, 'w1.crt'), '-noout', '-text')
      assert.match(leaf, new RegExp(`URI:crank:peer:${peerId}, URI:crank:node:worker-1, URI:crank:role:gpu, URI:crank:role:mail`))
      assert.match(leaf, /CA:FALSE/)

      const trust = await TrustStore.create(r.certificatePem)
      const id = await trust.verify(issued.certificatePem, { publicKey: key.publicKey.raw, peerId })
      assert.deepEqual([id.peerId, id.name, id.roles, id.serial], [peerId, 'worker-1', ['gpu', 'mail'], issued.serial])
    })
  }

  it('refuses a key file others can read', async () => {
    const caDir = join(dir, 'loose')
    await caInit({ dir: caDir })
    execFileSync('chmod', ['644', join(caDir, 'ca.key')])
    await assert.rejects(MeshCA.load(caDir), { code: 'ca_unavailable' })
  })

  it('refuses expired, not-yet-valid, foreign-CA, other-key and non-membership certificates', async () => {
    const ca = await MeshCA.init({ dir: join(dir, 'refuse') })
    const other = await MeshCA.init({ dir: join(dir, 'other') })
    const trust = await TrustStore.create(ca.certificatePem)
    const key = await generateKeyPair('Ed25519')
    const thief = await generateKeyPair('Ed25519')
    const peerId = peerIdFromPrivateKey(key).toString()
    const now = Date.now()
    const good = await ca.issueMembership({ peerId })
    const expired = await ca.issueMembership({ peerId, notBefore: new Date(now - 2 * 86_400_000), notAfter: new Date(now - 86_400_000) })
    const future = await ca.issueMembership({ peerId, notBefore: new Date(now + 86_400_000), notAfter: new Date(now + 2 * 86_400_000) })
    const foreign = await other.issueMembership({ peerId })
    const opts = { publicKey: key.publicKey.raw, peerId }
    await trust.verify(good.pem, opts)
    await assert.rejects(trust.verify(expired.pem, opts), { code: 'certificate_expired' })
    await assert.rejects(trust.verify(future.pem, opts), { code: 'certificate_not_yet_valid' })
    await assert.rejects(trust.verify(foreign.pem, opts), { code: 'untrusted_certificate' })
    await assert.rejects(trust.verify(good.pem, { publicKey: thief.publicKey.raw }), { code: 'key_mismatch' })
    await assert.rejects(trust.verify(good.pem, { peerId: peerIdFromPrivateKey(thief).toString() }), { code: 'key_mismatch' })
    await assert.rejects(trust.verify(ca.certificatePem, opts), { code: 'not_membership_certificate' })
    await assert.rejects(trust.verify(new Uint8Array([1, 2, 3]), opts), { code: 'invalid_certificate' })
    // A certificate the cache has seen is still checked against the clock on every call.
    await assert.rejects(trust.verify(good.pem, { ...opts, now: new Date(now + 400 * 86_400_000) }), { code: 'certificate_expired' })
  })

  it('ca revoke signs a CRL that openssl verifies and that nodes enforce; older or foreign CRLs are ignored or refused', async () => {
    const caDir = join(dir, 'revoke')
    const init = await caInit({ dir: caDir })
    const key = await generateKeyPair('Ed25519')
    const peerId = peerIdFromPrivateKey(key).toString()
    const issued = await caIssue({ dir: caDir, peerId })
    const trust = await TrustStore.create(init.certificatePem, readFileSync(init.crlPath, 'utf8'))
    const first = trust.crlNumber
    const oldCrl = readFileSync(init.crlPath, 'utf8')
    await trust.verify(issued.certificatePem, { publicKey: key.publicKey.raw })

    const r = await caRevoke({ dir: caDir, serial: issued.serial })
    assert.deepEqual(r.revoked, [issued.serial])
    assert.ok(r.crlNumber > first)
    writeFileSync(join(caDir, 'w.crt'), issued.certificatePem)
    assert.match(
      openssl('crl', '-in', r.crlPath, '-CAfile', init.certificatePath, '-noout', '-text'),
      new RegExp(`Serial Number: ${issued.serial.toUpperCase()}`),
    )
    assert.match(openssl('crl', '-in', r.crlPath, '-CAfile', init.certificatePath, '-noout', '-verify'), /verify OK|^$/)
    // openssl itself now refuses the certificate when checking the CRL.
    writeFileSync(join(caDir, 'chain.pem'), `${init.certificatePem}\n${r.crlPem}\n`)
    assert.throws(() => openssl('verify', '-crl_check', '-CAfile', join(caDir, 'chain.pem'), join(caDir, 'w.crt')), /revoked/)

    assert.equal(await trust.updateCrl(r.crlPem), true)
    await assert.rejects(trust.verify(issued.certificatePem, { publicKey: key.publicKey.raw }), { code: 'certificate_revoked' })
    // Replaying the older CRL does not un-revoke.
    assert.equal(await trust.updateCrl(oldCrl), false)
    await assert.rejects(trust.verify(issued.certificatePem, { publicKey: key.publicKey.raw }), { code: 'certificate_revoked' })
    const other = await MeshCA.init({ dir: join(dir, 'revoke-other') })
    await assert.rejects(trust.updateCrl(other.currentCrl().toString('pem')), { code: 'invalid_crl' })
    await assert.rejects(trust.updateCrl('garbage'), { code: 'invalid_crl' })
  })

  it('join enrols a node through certificate.sign_csr with a one-time token, pinned to the CA', async () => {
    const caDir = join(dir, 'join')
    await caInit({ dir: caDir })
    const ca = await MeshCA.load(caDir)
    const cap = createSignCsrCapability({ ca })
    const { token } = await caToken({ dir: caDir, name: 'edge-1', roles: ['edge'], ttlMs: 60_000 })
    const key = await generateKeyPair('Ed25519')
    const dataDir = join(dir, 'node-data')
    // The capability runs here as it would on the bootstrap node; the CLI routes it there over the job protocol.
    const submit = async (params: object): Promise<SignCsrReply> => {
      const r = await runCapability(cap, { params })
      if (r.outcome.state !== 'succeeded') throw Object.assign(new Error(r.outcome.error.message), { code: r.outcome.error.code })
      return r.outcome.result as SignCsrReply
    }
    const joined = await joinMesh({ privateKey: key, token, name: 'edge-1', roles: ['edge'], dataDir, submit })
    assert.equal(joined.peerId, peerIdFromPrivateKey(key).toString())
    const loaded = await loadNodeTrust(dataDir)
    assert.ok(loaded?.certificate !== undefined)
    const id = await loaded.trust.verify(loaded.certificate, { publicKey: key.publicKey.raw, peerId: joined.peerId })
    assert.deepEqual([id.name, id.roles], ['edge-1', ['edge']])
    // The token is spent.
    await assert.rejects(joinMesh({ privateKey: key, token, dataDir, submit }), { code: 'invalid_token' })
    // A token whose CA fingerprint does not match what the mesh returns is refused by the joining node.
    const other = await caInit({ dir: join(dir, 'join-other') })
    const { token: foreignToken } = await caToken({ dir: other.dir, ttlMs: 60_000 })
    const t2 = await caToken({ dir: caDir, ttlMs: 60_000 })
    const mixed = `${t2.token.split('.').slice(0, 3).join('.')}.${foreignToken.split('.')[3]}`
    await assert.rejects(joinMesh({ privateKey: key, token: mixed, dataDir, submit }), { code: 'untrusted_certificate' })
  })

  it('creates a libp2p swarm key once, 0600, and reads it back', () => {
    const path = join(dir, 'swarm.key')
    const k1 = loadOrCreateSwarmKey(path)
    assert.equal(statSync(path).mode & 0o777, 0o600)
    assert.match(Buffer.from(k1).toString(), /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}$/)
    assert.deepEqual(loadOrCreateSwarmKey(path), k1)
  })
})
