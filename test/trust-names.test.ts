/**
 * The CA's naming policy and its records: allowed name suffixes (admins
 * included), the SAN cap, unique node names, generated names for nameless
 * tokens, the join token checked before the CSR is parsed, `ca revoke` of an
 * unknown serial, `ca list`, and `ca issue --days` usage errors.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import createSignCsrCapability from '../capabilities/certificate.sign_csr/index.ts'
import { runCapability } from '../src/testing.ts'
import type { Caller } from '../src/trust/caller.ts'
import { caInit, caIssue, caList, caRevoke, caToken } from '../src/trust/commands.ts'
import { MeshCA } from '../src/trust/index.ts'
import { createMembershipCsr } from '../src/trust/node-csr.ts'
import { type CryptoKeyPair, nodeCrypto, x509 } from '../src/trust/x509.ts'
import { cli } from './helpers/cli-process.ts'

const admin: Caller = { peerId: '12D3KooWAdmin', name: 'ops', roles: ['admin'], member: true }
const stranger: Caller = { roles: [], member: false }

/** A CSR over a fresh P-256 key asking for these SANs (`dns:…`, `ip:…`, `email:…`, `uri:…`). */
async function csrFor(sans: string[]): Promise<string> {
  const keys = (await nodeCrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair
  const names = sans.map((s) => {
    const i = s.indexOf(':')
    const type = s.slice(0, i)
    return { type: (type === 'uri' ? 'url' : type) as x509.JsonGeneralName['type'], value: s.slice(i + 1) }
  })
  const req = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name: 'CN=test',
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.SubjectAlternativeNameExtension(names)],
    },
    nodeCrypto,
  )
  return req.toString('pem')
}

async function peer(): Promise<{ key: Awaited<ReturnType<typeof generateKeyPair>>; id: string }> {
  const key = await generateKeyPair('Ed25519')
  return { key, id: peerIdFromPrivateKey(key).toString() }
}

describe('trust: CA naming policy and issuance records', function () {
  this.timeout(60_000)
  let dir: string
  let caDir: string
  let ca: MeshCA
  let caller: Caller
  let cap: ReturnType<typeof createSignCsrCapability>

  const sign = (params: Record<string, unknown>) => runCapability(cap, { params })
  const errorOf = async (params: Record<string, unknown>): Promise<string | undefined> => {
    const r = await sign(params)
    return r.outcome.state === 'failed' ? r.outcome.error.code : undefined
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'crank-names-'))
    caDir = join(dir, 'ca')
    await caInit({ dir: caDir })
    ca = await MeshCA.load(caDir)
    cap = createSignCsrCapability({ ca, callerOf: () => caller })
  })
  after(() => rmSync(dir, { recursive: true, force: true }))
  beforeEach(() => {
    caller = admin
  })

  it('even an admin gets only names under the allowed suffixes and private addresses', async () => {
    assert.deepEqual(ca.naming.nameSuffixes, ['internal', 'local', 'home.arpa'])
    for (const san of [
      'dns:*.google.com',
      'dns:www.bank.example',
      'dns:*.internal',
      'email:ceo@gmail.com',
      'uri:https://evil.example/x',
      'ip:8.8.8.8',
    ]) {
      assert.equal(await errorOf({ csr: await csrFor([san]), certificate_type: 'server' }), 'san_not_allowed', san)
    }
    const ok = await sign({
      csr: await csrFor([
        'dns:api.mesh.internal',
        'dns:*.gw.mesh.internal',
        'ip:10.1.2.3',
        'email:ops@mesh.local',
        'uri:spiffe://mesh.internal/gw',
      ]),
      certificate_type: 'server',
    })
    assert.equal(ok.outcome.state, 'succeeded', JSON.stringify(ok.outcome))
  })

  it('caps the number of SANs', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => `dns:h${i}.mesh.internal`)
    assert.equal(await errorOf({ csr: await csrFor(many), certificate_type: 'server' }), 'san_not_allowed')
    assert.equal(
      await errorOf({ csr: await csrFor(many.slice(0, ca.naming.maxSans)), certificate_type: 'server' }),
      undefined,
      'the cap itself is allowed',
    )
  })

  it('suffixes are CA config: ca init --name-suffix replaces the defaults', async () => {
    const custom = join(dir, 'custom')
    await caInit({ dir: custom, nameSuffixes: ['corp.example'] })
    const other = await MeshCA.load(custom)
    const issue = (dns: string) =>
      other.issue({
        publicKey: ca.certificate.publicKey,
        subject: 'CN=x',
        sans: [{ type: 'dns', value: dns }],
        extendedKeyUsages: [],
        keyUsages: x509.KeyUsageFlags.digitalSignature,
        notAfter: new Date(Date.now() + 86_400_000),
      })
    await issue('a.corp.example')
    await assert.rejects(issue('a.mesh.internal'), { code: 'san_not_allowed' })
  })

  it('a node name belongs to one key until every certificate naming it is revoked', async () => {
    const a = await peer()
    const b = await peer()
    const first = await caIssue({ dir: caDir, peerId: a.id, name: 'worker-1' })
    await caIssue({ dir: caDir, peerId: a.id, name: 'worker-1' }) // renewal for the same key
    await assert.rejects(caIssue({ dir: caDir, peerId: b.id, name: 'worker-1' }), { code: 'san_not_allowed' })
    // Through sign_csr too, whoever asks.
    const csr = await createMembershipCsr(b.key, { name: 'worker-1' })
    assert.equal(await errorOf({ csr, certificate_type: 'client' }), 'san_not_allowed')
    for (const e of (await caList({ dir: caDir })).filter((e) => e.name === 'worker-1')) await caRevoke({ dir: caDir, serial: e.serial })
    assert.ok((await caList({ dir: caDir })).some((e) => e.serial === first.serial && e.status === 'revoked'))
    const moved = await caIssue({ dir: caDir, peerId: b.id, name: 'worker-1' })
    assert.ok(moved.serial.length > 0)
  })

  it('a token made without a name enrols a generated name, never one the stranger picks', async () => {
    const victim = await peer()
    await caIssue({ dir: caDir, peerId: victim.id, name: 'db-1' })
    caller = stranger
    const t1 = await caToken({ dir: caDir })
    assert.match(t1.name, /^node-[0-9a-f]{8}$/)
    const attacker = await peer()
    const steal = await createMembershipCsr(attacker.key, { name: 'db-1' })
    assert.equal(await errorOf({ csr: steal, certificate_type: 'client', join_token: t1.token }), 'san_not_allowed')
    // The refusal did not spend the token; a CSR that names nobody gets the token's name.
    const plain = await createMembershipCsr(attacker.key)
    const r = await sign({ csr: plain, certificate_type: 'client', join_token: t1.token })
    assert.equal(r.outcome.state, 'succeeded', JSON.stringify(r.outcome))
    const value = (r.outcome as { result: { membership: { name?: string } } }).result
    assert.equal(value.membership.name, t1.name)
  })

  it('checks the join token before it reads or parses the CSR', async () => {
    caller = stranger
    const garbage = '-----BEGIN CERTIFICATE REQUEST-----\nnot base64 at all\n-----END CERTIFICATE REQUEST-----\n'
    const forged = `crank1.0123456789abcdef.${'A'.repeat(43)}.${Buffer.alloc(32).toString('base64url')}`
    assert.equal(await errorOf({ csr: garbage, certificate_type: 'client', join_token: forged }), 'invalid_token')
    assert.equal(await errorOf({ csr: garbage, certificate_type: 'client', join_token: 'nonsense' }), 'invalid_token')
    assert.equal(await errorOf({ csr: garbage, certificate_type: 'client' }), 'forbidden', 'no token, no rule: refused before parsing')
    // A valid token with a bad CSR fails on the CSR, and the token survives for the real request.
    const t = await caToken({ dir: caDir, name: 'edge-9' })
    assert.equal(await errorOf({ csr: garbage, certificate_type: 'client', join_token: t.token }), 'invalid_csr')
    const node = await peer()
    const ok = await sign({ csr: await createMembershipCsr(node.key, { name: 'edge-9' }), certificate_type: 'client', join_token: t.token })
    assert.equal(ok.outcome.state, 'succeeded', JSON.stringify(ok.outcome))
  })

  it('ca revoke of a serial the CA never issued is an error; ca list shows status and expiry', async () => {
    await assert.rejects(caRevoke({ dir: caDir, serial: 'deadbeef' }), { code: 'unknown_serial' })
    const n = await peer()
    const issued = await caIssue({ dir: caDir, peerId: n.id, name: 'lister', validityDays: 7 })

    const revoke = await cli(['ca', 'revoke', '--ca-dir', caDir, 'abcdef0123'])
    assert.notEqual(revoke.code, 0)
    assert.match(revoke.stderr.trim(), /^crank-node: unknown_serial: .*abcdef0123/)
    assert.equal(revoke.stderr.trim().split('\n').length, 1)

    const list = await cli(['ca', 'list', '--ca-dir', caDir])
    assert.equal(list.code, 0, list.stderr)
    const row = list.stdout.split('\n').find((l) => l.startsWith(issued.serial))
    assert.ok(row !== undefined, list.stdout)
    assert.match(row, /lister/)
    assert.match(row, /\bvalid\b/)
    assert.ok(row.includes(issued.notAfter), row)
    assert.match(list.stdout, /\brevoked\b/, 'the revoked worker-1 certificates are listed as such')
  })

  for (const days of ['-1', 'abc']) {
    it(`ca issue --days ${days} is a usage error: exit 2, one line, no stack`, async () => {
      const n = await peer()
      const r = await cli(['ca', 'issue', '--ca-dir', caDir, '--peer-id', n.id, '--days', days])
      assert.equal(r.code, 2, r.stderr)
      // One error line, then the CLI's usual pointer to --help.
      const [first, ...rest] = r.stderr.trim().split('\n')
      assert.match(
        first ?? '',
        /^error: option '--days <duration>' argument '.*' is invalid\. invalid_option: --days must be a whole number/,
      )
      assert.deepEqual(rest, ['(run crank-node --help for usage)'])
      assert.doesNotMatch(r.stderr, /\n\s+at /)
    })
  }
})
