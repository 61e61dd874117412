/**
 * Membership certificate renewal: a member renews its own certificate through certificate.sign_csr
 * (same key, same name, later notAfter, the old serial superseded in the CA's issued.jsonl), on real
 * libp2p nodes with a certificate that lives seconds; failures are retried with backoff and shown in
 * status; and a plain member still cannot have another name or another key signed.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import createSignCsrCapability from '../capabilities/certificate.sign_csr/index.ts'
import { describeNodeStatus, readNodeStatus } from '../src/cli/node-status.ts'
import { CrankError, JobFailedError } from '../src/errors.ts'
import { type CrankNode, createNode } from '../src/node.ts'
import type { MemberIdentity } from '../src/trust/identity.ts'
import { membershipSans } from '../src/trust/identity.ts'
import { type Caller, CsrSigner, JoinTokens, MeshCA, TrustStore } from '../src/trust/index.ts'
import { createMembershipCsr, webCryptoKeysOf } from '../src/trust/node-csr.ts'
import {
  CertificateRenewal,
  RENEWAL_FILE,
  type RenewalFailure,
  type RenewalStatus,
  type RenewedCertificate,
  renewalTime,
} from '../src/trust/renewal.ts'
import { nodeCrypto, x509 } from '../src/trust/x509.ts'
import { until } from './helpers/wait.ts'

const peerOf = (key: PrivateKey): string => peerIdFromPrivateKey(key).toString()

/** Resolves with the first identity the node verifies for `peer` under another certificate than `serial`. */
function verifiedOtherThan(node: CrankNode, peer: string, serial: string): Promise<MemberIdentity> {
  return new Promise((resolve) => {
    const on = (id: MemberIdentity): void => {
      if (id.peerId !== peer || id.serial === serial) return
      node.membership.off('verified', on)
      resolve(id)
    }
    node.membership.on('verified', on)
  })
}

describe('membership certificate renewal', function () {
  this.timeout(60_000)
  let dir: string
  let ca: MeshCA
  const stops: Array<() => Promise<void>> = []

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'crank-renewal-'))
    // A real CA directory with unique names on, as `crank-node ca init` makes it.
    ca = await MeshCA.init({ dir: join(dir, 'ca') })
  })
  after(async () => {
    for (const s of stops.reverse()) await s()
    rmSync(dir, { recursive: true, force: true })
  })

  describe('across real libp2p nodes', () => {
    let a: CrankNode
    let b: CrankNode
    let bKey: PrivateKey
    let bDir: string

    before(async () => {
      const aKey = await generateKeyPair('Ed25519')
      const aCert = await ca.issueMembership({ peerId: peerOf(aKey), name: 'ca-holder' })
      a = await createNode({
        name: 'ca-holder',
        privateKey: aKey,
        membership: { ca: ca.certificatePem, certificate: aCert.pem },
        listen: ['/ip4/127.0.0.1/tcp/0'],
        logLevel: 'silent',
        mesh: { dht: false },
        capabilities: [createSignCsrCapability({ ca })],
      })
      await a.start()
      stops.push(() => a.stop())
    })

    it('renews a certificate that lives seconds: same key and name, later notAfter, old serial superseded, peers shown it', async () => {
      bKey = await generateKeyPair('Ed25519')
      bDir = join(dir, 'b')
      const now = Date.now()
      // 9 s of life, renewal due 6 s in: 3 s from now, with 6 s left to retry before it expires.
      const old = await ca.issueMembership({
        peerId: peerOf(bKey),
        name: 'worker-1',
        roles: ['worker'],
        notBefore: new Date(now - 3000),
        notAfter: new Date(now + 6000),
      })
      b = await createNode({
        name: 'worker-1',
        dataDir: bDir,
        privateKey: bKey,
        membership: { ca: ca.certificatePem, certificate: old.pem },
        listen: ['/ip4/127.0.0.1/tcp/0'],
        bootstrap: [`${a.multiaddrs[0]!.toString()}`],
        logLevel: 'silent',
        mesh: { dht: false },
        trust: { renewalRetryBaseMs: 100, renewalRetryMaxMs: 1000 },
      })
      const renewal = b.renewal!
      assert.equal(renewal.status().serial, old.serial)
      const renewed = once(renewal, 'renewed') as Promise<[RenewedCertificate]>
      const aSeesNew = verifiedOtherThan(a, peerOf(bKey), old.serial)
      await b.start()
      stops.push(() => b.stop())
      assert.equal(renewal.status().state, 'scheduled')
      // X.509 keeps whole seconds.
      const seconds = (d: Date): number => Math.floor(d.getTime() / 1000) * 1000
      assert.equal(renewal.status().nextRenewalAt, renewalTime({ notBefore: seconds(old.notBefore), notAfter: seconds(old.notAfter) }))

      const [r] = await renewed
      assert.equal(r.previousSerial, old.serial)
      assert.equal(r.signedBy, a.peerId.toString())
      assert.notEqual(r.serial, old.serial)

      // Same key (verified over B's libp2p key), same name and roles, a later notAfter.
      const trust = await TrustStore.create(ca.certificatePem)
      const id = await trust.verify(r.pem, { publicKey: bKey.publicKey.raw, peerId: peerOf(bKey) })
      assert.equal(id.name, 'worker-1')
      assert.deepEqual(id.roles, ['worker'])
      assert.ok(id.notAfter.getTime() > old.notAfter.getTime(), `${id.notAfter.toISOString()} after ${old.notAfter.toISOString()}`)

      // The CA's record: the old serial is superseded by the new one; both are B's.
      const issued = ca.issued()
      const oldEntry = issued.find((e) => e.serial === old.serial)!
      const newEntry = issued.find((e) => e.serial === r.serial)!
      assert.equal(oldEntry.status, 'superseded')
      assert.equal(oldEntry.supersededBy, r.serial)
      assert.equal(newEntry.supersedes, old.serial)
      assert.equal(newEntry.status, 'valid')
      assert.equal(newEntry.key, oldEntry.key)
      assert.equal(newEntry.name, 'worker-1')

      // Saved for the next start, and used now: A got a fresh Hello and holds B under the new certificate.
      assert.equal(readFileSync(join(bDir, 'membership.crt'), 'utf8'), r.pem)
      const seen = await aSeesNew
      assert.equal(seen.serial, r.serial)
      assert.equal(seen.notAfter.getTime(), id.notAfter.getTime())
      assert.equal(a.membership.identity(b.peerId)?.serial, r.serial)

      // Its state: scheduled again at two thirds of the new lifetime; what `crank-node status` shows.
      const st = renewal.status()
      assert.equal(st.state, 'scheduled')
      assert.equal(st.serial, r.serial)
      assert.equal(st.failures, 0)
      assert.equal(st.nextRenewalAt, renewalTime({ notBefore: id.notBefore.getTime(), notAfter: id.notAfter.getTime() }))
      assert.deepEqual(JSON.parse(readFileSync(join(bDir, RENEWAL_FILE), 'utf8')), st)
      await until('status.json', () => existsSync(join(bDir, 'status.json')))
      const shown = describeNodeStatus((await readNodeStatus(bDir))!).join('\n')
      assert.match(shown, new RegExp(`certificate ${r.serial} \\(worker-1\\): expires in .*; renews in `))
    })

    it('a plain member asking for another name or another key is still forbidden', async () => {
      const route = a.peerId.toString()
      const sign = async (csr: string): Promise<unknown> =>
        b.submit({ capability: 'certificate.sign_csr', params: { csr, certificate_type: 'client' }, route, attempts: 1 }).result
      const refused = async (what: string, csr: string, reason: RegExp): Promise<void> => {
        await assert.rejects(sign(csr), (err: unknown) => {
          assert.ok(err instanceof JobFailedError, `${what}: ${String(err)}`)
          assert.equal(err.code, 'forbidden', `${what}: ${err.message}`)
          assert.match(err.message, reason)
          return true
        })
      }
      await refused('another name', await createMembershipCsr(bKey, { name: 'worker-2', roles: ['worker'] }), /must name node worker-1/)
      const other = await generateKeyPair('Ed25519')
      await refused('another key', await createMembershipCsr(other, { name: 'worker-1', roles: ['worker'] }), /not over the caller's own/)
      await refused(
        "another key naming B's peer id",
        await createMembershipCsr(other, { peerId: b.peerId.toString(), name: 'worker-1' }),
        /not over the caller's own/,
      )
      const before = ca.issued().length
      // The same request with its own name and key is what renewal sends, and it is signed.
      const ok = (await sign(await createMembershipCsr(bKey, { name: 'worker-1', roles: ['worker'] }))) as { value: { sans: string[] } }
      assert.deepEqual(ok.value.sans, [`uri:crank:peer:${b.peerId}`, 'uri:crank:node:worker-1', 'uri:crank:role:worker'])
      assert.equal(ca.issued().length, before + 1)
    })
  })

  describe('the renewal policy, with its components faked', () => {
    /** A member's key and a certificate whose renewal time has passed (40 s into a 60 s life). */
    async function member(name: string): Promise<{ key: PrivateKey; pem: string; serial: string; notAfter: Date }> {
      const key = await generateKeyPair('Ed25519')
      const now = Date.now()
      const issued = await ca.issueMembership({
        peerId: peerOf(key),
        name,
        roles: ['worker'],
        notBefore: new Date(now - 45_000),
        notAfter: new Date(now + 15_000),
      })
      return { key, pem: issued.pem, serial: issued.serial, notAfter: issued.notAfter }
    }

    it('logs a failed attempt, retries with backoff, shows the error in status, then renews', async () => {
      const m = await member('retrier')
      const signer = new CsrSigner({ ca })
      const trustStore = await TrustStore.create(ca.certificatePem)
      const warnings: Array<Record<string, unknown>> = []
      const presented: string[] = []
      const nodeDir = mkdtempSync(join(dir, 'retrier-'))
      let calls = 0
      let known: string[] = []
      const caller: Caller = {
        peerId: peerOf(m.key),
        name: 'retrier',
        roles: ['worker'],
        member: true,
        serial: m.serial,
        renewalOnly: true,
      }
      const renewal = new CertificateRenewal(
        {
          membership: { trustStore, setCertificate: async (pem) => void presented.push(String(pem)) },
          privateKey: m.key,
          providers: () => known,
          signCsr: async (_peer, params) => {
            calls++
            if (calls === 1) throw new JobFailedError('j', 'failed', { code: 'forbidden', message: 'policy says no', retryable: false })
            const r = await signer.sign({
              csr: params.csr,
              certificateType: params.certificate_type,
              validityDays: params.validity_days,
              caller,
            })
            return { certificate_pem: r.certificatePem, ca_certificate_pem: r.caCertificatePem, serial: r.serial, not_after: r.notAfter }
          },
          log: { info: () => {}, debug: () => {}, warn: (obj, msg) => void warnings.push({ ...obj, msg }) },
        },
        { certificate: m.pem, dataDir: nodeDir, retryBaseMs: 20, retryMaxMs: 1000, random: () => 0 },
      )
      const failures: Array<{ failure: RenewalFailure; status: RenewalStatus }> = []
      renewal.on('failed', (failure) => {
        failures.push({ failure, status: renewal.status() })
        known = ['12D3KooWProvider'] // the second attempt finds a provider, which refuses once
      })
      const renewed = once(renewal, 'renewed') as Promise<[RenewedCertificate]>
      renewal.start()
      stops.push(async () => renewal.stop())
      const [r] = await renewed

      // First no provider at all, then a refusal: each logged once, the delay doubling (no jitter here).
      assert.deepEqual(
        failures.map((f) => [f.failure.error.code, f.failure.failures, f.failure.retryInMs]),
        [
          ['no_provider', 1, 20],
          ['forbidden', 2, 40],
        ],
      )
      assert.deepEqual(
        warnings.map((w) => [w.msg, w.code, w.failures, w.retryInMs]),
        [
          ['membership certificate renewal failed; retrying', 'no_provider', 1, 20],
          ['membership certificate renewal failed; retrying', 'forbidden', 2, 40],
        ],
      )
      const failing = failures[1]!.status
      assert.equal(failing.state, 'retrying')
      assert.equal(failing.failures, 2)
      assert.equal(failing.lastError?.code, 'forbidden')
      const shown = describeNodeStatus({ ...shownBase(m.key), certificate: failing }, failing.updatedAt).join('\n')
      assert.match(shown, /certificate [0-9a-f]+ \(retrier\): expires in .*; next renewal attempt in \d+ ms/)
      assert.match(shown, /last renewal error \d+ ms ago, 2 failed attempt\(s\) in a row: forbidden: policy says no/)

      // Then renewed: presented, saved, the old serial superseded, the error kept as history.
      assert.deepEqual(presented, [r.pem])
      assert.equal(readFileSync(join(nodeDir, 'membership.crt'), 'utf8'), r.pem)
      assert.equal(ca.issued().find((e) => e.serial === m.serial)?.supersededBy, r.serial)
      const st = renewal.status()
      assert.equal(st.failures, 0)
      assert.equal(st.lastError?.code, 'forbidden')
      assert.ok(st.lastRenewedAt! >= st.lastError!.at)
      assert.match(
        describeNodeStatus({ ...shownBase(m.key), certificate: st }).join('\n'),
        /last renewal error .* ago, renewed since: forbidden/,
      )
    })

    it('says once that an expired certificate can no longer be renewed', async () => {
      const key = await generateKeyPair('Ed25519')
      const now = Date.now()
      const expired = await ca.issueMembership({
        peerId: peerOf(key),
        name: 'too-late',
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now - 1000),
      })
      const warnings: string[] = []
      let asked = 0
      const renewal = new CertificateRenewal(
        {
          membership: { trustStore: await TrustStore.create(ca.certificatePem), setCertificate: async () => {} },
          privateKey: key,
          providers: () => ['12D3KooWProvider'],
          signCsr: async () => {
            asked++
            throw new CrankError('internal', 'never asked')
          },
          log: { info: () => {}, debug: () => {}, warn: (_obj, msg) => void warnings.push(msg ?? '') },
        },
        { certificate: expired.pem, retryBaseMs: 20, retryMaxMs: 100 },
      )
      renewal.start()
      renewal.stop()
      assert.equal(asked, 0)
      assert.deepEqual(warnings, ['membership certificate expired before it was renewed; enrol again (ca token + join, or ca issue)'])
      assert.equal(renewal.status().state, 'stopped')
    })
  })

  describe('what a member admitted only for renewal may have signed', () => {
    let signer: CsrSigner
    let key: PrivateKey
    let caller: Caller

    before(async () => {
      signer = new CsrSigner({ ca, tokens: new JoinTokens(join(dir, 'tokens.json')) })
      key = await generateKeyPair('Ed25519')
      const cert = await ca.issueMembership({ peerId: peerOf(key), name: 'matrix', roles: ['worker', 'mail'] })
      caller = { peerId: peerOf(key), name: 'matrix', roles: ['worker', 'mail'], member: true, serial: cert.serial, renewalOnly: true }
    })

    /** A CSR over `k` asking for exactly `sans` (type:value). */
    async function csrWith(k: PrivateKey, sans: x509.JsonGeneralName[]): Promise<string> {
      const req = await x509.Pkcs10CertificateRequestGenerator.create(
        {
          name: 'CN=x',
          keys: await webCryptoKeysOf(k),
          signingAlgorithm: { name: 'Ed25519' },
          extensions: [new x509.SubjectAlternativeNameExtension(sans)],
        },
        nodeCrypto,
      )
      return req.toString('pem')
    }
    const sign = (csr: string, extra: Partial<Parameters<CsrSigner['sign']>[0]> = {}) =>
      signer.sign({ csr, certificateType: 'client', caller, ...extra })

    it('its own key, peer id, name and a subset of its roles: signed', async () => {
      const r = await sign(await csrWith(key, membershipSans(peerOf(key), 'matrix', ['mail'])))
      assert.deepEqual(r.membership, { peerId: peerOf(key), name: 'matrix', roles: ['mail'] })
    })

    it('anything more: forbidden', async () => {
      const other = await generateKeyPair('Ed25519')
      const own = membershipSans(peerOf(key), 'matrix', ['worker'])
      const cases: Array<[string, Promise<string>, RegExp, Partial<Parameters<CsrSigner['sign']>[0]>?]> = [
        ['another name', csrWith(key, membershipSans(peerOf(key), 'other', [])), /must name node matrix/],
        ['no name', csrWith(key, membershipSans(peerOf(key), undefined, [])), /must name node matrix/],
        ['two names', csrWith(key, [...own, { type: 'url', value: 'crank:node:extra' }]), /must name node matrix, and only it/],
        ['a role it lacks', csrWith(key, membershipSans(peerOf(key), 'matrix', ['admin'])), /crank:role:admin is not part of/],
        ['a DNS name', csrWith(key, [...own, { type: 'dns', value: 'matrix.internal' }]), /dns:matrix.internal is not part of/],
        ['another key', csrWith(other, membershipSans(peerOf(other), 'matrix', [])), /not over the caller's own libp2p key/],
        ['no peer id', csrWith(key, [{ type: 'url', value: 'crank:node:matrix' }]), /must ask for crank:peer:/],
        ['a join token', csrWith(key, own), /without a token/, { joinToken: 'crank1.x.y.z' }],
      ]
      for (const [what, csr, reason, extra] of cases) {
        await assert.rejects(sign(await csr, extra), (err: unknown) => {
          assert.ok(err instanceof CrankError, what)
          assert.equal(err.code, 'forbidden', `${what}: ${err.message}`)
          assert.match(err.message, reason, what)
          return true
        })
      }
    })
  })
})

function shownBase(key: PrivateKey) {
  return {
    pid: process.pid,
    name: 'retrier',
    peerId: peerOf(key),
    running: true,
    alive: true,
    updatedAt: Date.now(),
    connectivity: {
      state: 'joined' as const,
      since: Date.now(),
      members: 1,
      minPeers: 1,
      disconnectedTargets: 0,
      dialsInFlight: 0,
      nextDialAt: undefined,
      knownMembers: 1,
      bootstrap: 1,
    },
  }
}
