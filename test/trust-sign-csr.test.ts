/**
 * certificate.sign_csr against CSRs made by the real openssl CLI, with the
 * results checked by `openssl verify` and `openssl x509 -text`.
 * Needs the `openssl` binary (Debian package openssl).
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import createSignCsrCapability from '../capabilities/certificate.sign_csr/index.ts'
import { runCapability } from '../src/testing.ts'
import { AuditLog, type Caller, JoinTokens, MeshCA } from '../src/trust/index.ts'
import { createMembershipCsr } from '../src/trust/node-csr.ts'

const admin: Caller = { peerId: '12D3KooWAdmin', name: 'ops', roles: ['admin'], member: true }
const gateway: Caller = { name: 'gw-1', roles: ['gateway'], member: true }
const stranger: Caller = { roles: [], member: false }

function openssl(dir: string, ...args: string[]): string {
  return execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

describe('certificate.sign_csr@1 (openssl-made CSRs)', function () {
  this.timeout(20_000)
  let dir: string
  let ca: MeshCA
  let auditLines: Record<string, unknown>[]
  let cap: ReturnType<typeof createSignCsrCapability>
  let caller: Caller

  /** Key + CSR with openssl; returns the CSR PEM. */
  function csr(name: string, keyArgs: string[], subj: string, ...addext: string[]): string {
    openssl(dir, 'genpkey', ...keyArgs, '-out', `${name}.key`)
    const ext = addext.flatMap((e) => ['-addext', e])
    openssl(dir, 'req', '-new', '-key', `${name}.key`, '-subj', subj, ...ext, '-out', `${name}.csr`)
    return readFileSync(join(dir, `${name}.csr`), 'utf8')
  }

  async function sign(params: Record<string, unknown>, input?: Uint8Array) {
    return runCapability(cap, { params, ...(input === undefined ? {} : { input }) })
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'crank-csr-'))
    ca = await MeshCA.init({ dir: join(dir, 'ca') })
    writeFileSync(join(dir, 'ca.pem'), ca.certificatePem)
    auditLines = []
    caller = admin
    cap = createSignCsrCapability({
      ca,
      policy: {
        maxValidityDays: 30,
        sanRules: [
          { roles: ['admin'], patterns: ['**'] },
          { roles: ['gateway'], patterns: ['dns:*.gw.mesh.local'] },
        ],
      },
      auditLog: new AuditLog((line) => auditLines.push(JSON.parse(line))),
      callerOf: () => caller,
    })
  })
  after(() => rmSync(dir, { recursive: true, force: true }))
  beforeEach(() => {
    caller = admin
  })

  const goodKeys: Array<[string, string[], string]> = [
    ['rsa2048', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], 'rsa'],
    ['ecp256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'ec-p256'],
    ['ed25519', ['-algorithm', 'ED25519'], 'ed25519'],
  ]
  for (const [name, keyArgs, alg] of goodKeys) {
    for (const type of ['server', 'client'] as const) {
      it(`signs an openssl ${name} CSR as a ${type} certificate that openssl verifies`, async () => {
        const pem = csr(`${name}-${type}`, keyArgs, `/CN=${name}.mesh.local`, `subjectAltName=DNS:${name}.mesh.local,IP:10.1.2.3`)
        const r = await sign({ csr: pem, certificate_type: type, validity_days: 365 })
        assert.equal(r.outcome.state, 'succeeded', JSON.stringify(r.outcome))
        if (r.outcome.state !== 'succeeded') return
        const out = r.outcome.result as {
          certificate_pem: string
          serial: string
          not_after: string
          key_algorithm: string
          sans: string[]
        }
        assert.equal(out.key_algorithm, alg)
        assert.deepEqual(out.sans, [`dns:${name}.mesh.local`, 'ip:10.1.2.3'])
        const certPath = join(dir, `${name}-${type}.crt`)
        writeFileSync(certPath, out.certificate_pem)
        assert.equal(
          openssl(dir, 'verify', '-CAfile', 'ca.pem', '-purpose', type === 'server' ? 'sslserver' : 'sslclient', certPath).trim(),
          `${certPath}: OK`,
        )
        const text = openssl(dir, 'x509', '-in', certPath, '-noout', '-text')
        assert.match(text, /CA:FALSE/)
        assert.doesNotMatch(text, /CA:TRUE/)
        assert.doesNotMatch(text, /Certificate Sign|CRL Sign/)
        assert.match(text, type === 'server' ? /TLS Web Server Authentication/ : /TLS Web Client Authentication/)
        assert.doesNotMatch(text, type === 'server' ? /TLS Web Client Authentication/ : /TLS Web Server Authentication/)
        assert.match(text, new RegExp(`DNS:${name}\\.mesh\\.local, IP Address:10\\.1\\.2\\.3`))
        // 128-bit positive serial: 16 bytes, top bit clear.
        assert.match(out.serial, /^[4-7][0-9a-f]{31}$/)
        // validity_days 365 is capped at the policy's 30.
        const days = (Date.parse(out.not_after) - Date.now()) / 86_400_000
        assert.ok(days > 29 && days <= 30, `validity ${days} days`)
      })
    }
  }

  it('accepts the CSR as input bytes (DER) instead of a param', async () => {
    const pem = csr('der', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'], '/CN=der', 'subjectAltName=DNS:der.mesh.local')
    openssl(dir, 'req', '-in', 'der.csr', '-outform', 'DER', '-out', 'der.csr.der')
    assert.ok(pem.includes('BEGIN CERTIFICATE REQUEST'))
    const r = await sign({ certificate_type: 'server' }, readFileSync(join(dir, 'der.csr.der')))
    assert.equal(r.outcome.state, 'succeeded', JSON.stringify(r.outcome))
    if (r.outcome.state === 'succeeded') assert.equal((r.outcome.result as { key_algorithm: string }).key_algorithm, 'ec-p384')
  })

  it('gives typed errors for bad CSRs', async () => {
    const cases: Array<[string, () => Promise<unknown>, string]> = [
      [
        'bad signature',
        async () => {
          csr('tamper', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=t', 'subjectAltName=DNS:t.mesh.local')
          const der = Buffer.from(execFileSync('openssl', ['req', '-in', join(dir, 'tamper.csr'), '-outform', 'DER']))
          // Flip one byte of the signed subject name ("t" → "u"): the signature no longer matches.
          const at = der.indexOf(Buffer.from('t.mesh.local'))
          der[at] = 'u'.charCodeAt(0)
          return sign({ certificate_type: 'server' }, der)
        },
        'bad_signature',
      ],
      [
        'RSA-1024',
        async () =>
          sign({
            certificate_type: 'server',
            csr: csr('rsa1024', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'], '/CN=w', 'subjectAltName=DNS:w.mesh.local'),
          }),
        'weak_key',
      ],
      [
        'CA:TRUE request',
        async () =>
          sign({
            certificate_type: 'server',
            csr: csr(
              'ca',
              ['-algorithm', 'ED25519'],
              '/CN=evil',
              'subjectAltName=DNS:evil.mesh.local',
              'basicConstraints=critical,CA:TRUE',
            ),
          }),
        'ca_requested',
      ],
      [
        'keyCertSign request',
        async () =>
          sign({
            certificate_type: 'server',
            csr: csr('ku', ['-algorithm', 'ED25519'], '/CN=evil2', 'subjectAltName=DNS:evil2.mesh.local', 'keyUsage=critical,keyCertSign'),
          }),
        'ca_requested',
      ],
      [
        'SAN outside policy',
        async () => {
          caller = gateway
          return sign({
            certificate_type: 'server',
            csr: csr('san', ['-algorithm', 'ED25519'], '/CN=x', 'subjectAltName=DNS:a.gw.mesh.local,DNS:www.bank.example'),
          })
        },
        'san_not_allowed',
      ],
      [
        'garbage PEM',
        async () =>
          sign({
            certificate_type: 'server',
            csr: '-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgY3Ny\n-----END CERTIFICATE REQUEST-----\n',
          }),
        'invalid_csr',
      ],
      ['not PEM at all', async () => sign({ certificate_type: 'server', csr: 'hello' }), 'invalid_csr'],
      ['no CSR', async () => sign({ certificate_type: 'server' }), 'invalid_csr'],
      [
        'P-521 key',
        async () =>
          sign({
            certificate_type: 'server',
            csr: csr('p521', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'], '/CN=p', 'subjectAltName=DNS:p.mesh.local'),
          }),
        'unsupported_key',
      ],
      [
        'no SAN',
        async () => sign({ certificate_type: 'server', csr: csr('nosan', ['-algorithm', 'ED25519'], '/CN=nosan.mesh.local') }),
        'san_not_allowed',
      ],
      [
        'stranger without token',
        async () => {
          caller = stranger
          return sign({
            certificate_type: 'client',
            csr: csr('str', ['-algorithm', 'ED25519'], '/CN=s', 'subjectAltName=DNS:s.mesh.local'),
          })
        },
        'forbidden',
      ],
    ]
    for (const [label, run, code] of cases) {
      caller = admin
      const r = (await run()) as Awaited<ReturnType<typeof sign>>
      assert.equal(r.outcome.state, 'failed', label)
      if (r.outcome.state === 'failed') {
        assert.equal(r.outcome.error.code, code, `${label}: ${r.outcome.error.message}`)
        assert.equal(r.outcome.error.retryable, false)
      }
    }
    const refused = auditLines.filter((l) => l.event === 'certificate.refused').map((l) => l.reason)
    for (const code of ['bad_signature', 'weak_key', 'ca_requested', 'san_not_allowed', 'invalid_csr', 'unsupported_key', 'forbidden']) {
      assert.ok(refused.includes(code), `audit line for ${code}`)
    }
  })

  it('allows a gateway only its own DNS pattern', async () => {
    caller = gateway
    const ok = await sign({
      certificate_type: 'server',
      csr: csr('gw', ['-algorithm', 'ED25519'], '/CN=a', 'subjectAltName=DNS:api.gw.mesh.local'),
    })
    assert.equal(ok.outcome.state, 'succeeded', JSON.stringify(ok.outcome))
    // `*` stays inside one DNS label.
    const deep = await sign({
      certificate_type: 'server',
      csr: csr('gw2', ['-algorithm', 'ED25519'], '/CN=a', 'subjectAltName=DNS:x.api.gw.mesh.local'),
    })
    assert.equal(deep.outcome.state === 'failed' && deep.outcome.error.code, 'san_not_allowed')
  })

  it('writes one audit line per issuance', async () => {
    const before = auditLines.filter((l) => l.event === 'certificate.issued').length
    const r = await sign({
      certificate_type: 'client',
      csr: csr('audit', ['-algorithm', 'ED25519'], '/CN=a', 'subjectAltName=DNS:audit.mesh.local'),
    })
    assert.equal(r.outcome.state, 'succeeded')
    const issued = auditLines.filter((l) => l.event === 'certificate.issued')
    assert.equal(issued.length, before + 1)
    const line = issued.at(-1)!
    assert.equal(line.decision, 'allow')
    assert.equal(line.capability, 'certificate.sign_csr')
    assert.equal(line.certificate_type, 'client')
    assert.deepEqual(line.caller, { peerId: admin.peerId, name: 'ops', roles: ['admin'] })
    assert.equal(line.serial, r.outcome.state === 'succeeded' ? (r.outcome.result as { serial: string }).serial : '')
    assert.ok(typeof line.request_id === 'string' && typeof line.ts === 'string')
  })

  it('writes the audit log to a file as JSON lines', async () => {
    const path = join(dir, 'audit', 'audit.jsonl')
    const fileLog = new AuditLog(path)
    const fileCap = createSignCsrCapability({ ca, auditLog: fileLog, callerOf: () => admin })
    const pem = csr('file', ['-algorithm', 'ED25519'], '/CN=f', 'subjectAltName=DNS:f.mesh.local')
    assert.equal((await runCapability(fileCap, { params: { certificate_type: 'server', csr: pem } })).outcome.state, 'succeeded')
    assert.equal((await runCapability(fileCap, { params: { certificate_type: 'server', csr: 'junk' } })).outcome.state, 'failed')
    fileLog.close()
    const lines = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; reason: string })
    assert.deepEqual(
      lines.map((l) => [l.event, l.reason]),
      [
        ['certificate.issued', 'san policy'],
        ['certificate.refused', 'invalid_csr'],
      ],
    )
  })

  describe('enrolment with a one-time join token', () => {
    it('signs a membership CSR over the node key once, for the token name and roles only', async () => {
      caller = stranger
      const tokens = new JoinTokens(join(ca.dir, 'tokens.json'))
      const { token } = tokens.create({ ttlMs: 60_000, caFingerprint: ca.fingerprint, name: 'worker-7', roles: ['gpu'] })
      const key = await generateKeyPair('Ed25519')
      const peerId = peerIdFromPrivateKey(key).toString()

      // Asking for a role the token does not grant is refused, and does not spend the token.
      const greedy = await createMembershipCsr(key, { name: 'worker-7', roles: ['gpu', 'admin'] })
      const r1 = await sign({ certificate_type: 'client', csr: greedy, join_token: token })
      assert.equal(r1.outcome.state === 'failed' && r1.outcome.error.code, 'san_not_allowed')

      const good = await createMembershipCsr(key, { name: 'worker-7', roles: ['gpu'] })
      const r2 = await sign({ certificate_type: 'client', csr: good, join_token: token })
      assert.equal(r2.outcome.state, 'succeeded', JSON.stringify(r2.outcome))
      if (r2.outcome.state === 'succeeded') {
        assert.deepEqual((r2.outcome.result as { membership: unknown }).membership, { peer_id: peerId, name: 'worker-7', roles: ['gpu'] })
      }
      const r3 = await sign({ certificate_type: 'client', csr: good, join_token: token })
      assert.equal(r3.outcome.state === 'failed' && r3.outcome.error.code, 'invalid_token')
    })

    it('refuses a crank:peer SAN over another key, an expired token and a forged token', async () => {
      caller = stranger
      const tokens = new JoinTokens(join(ca.dir, 'tokens.json'))
      const { token } = tokens.create({ ttlMs: 60_000, caFingerprint: ca.fingerprint })
      const key = await generateKeyPair('Ed25519')
      const other = await generateKeyPair('Ed25519')
      const stolen = await createMembershipCsr(key, { peerId: peerIdFromPrivateKey(other).toString() })
      const r1 = await sign({ certificate_type: 'client', csr: stolen, join_token: token })
      assert.equal(r1.outcome.state === 'failed' && r1.outcome.error.code, 'san_not_allowed')

      // Checked at a time past its expiry: a token whose expiry passes before it is even saved is dropped on save, not expired.
      const short = tokens.create({ ttlMs: 60_000, caFingerprint: ca.fingerprint })
      assert.throws(() => tokens.peek(short.token, Date.now() + 120_000), { code: 'token_expired' })
      const forged = token.replace(/\.([^.]+)\.([^.]+)$/, '.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.$2')
      const r2 = await sign({ certificate_type: 'client', csr: await createMembershipCsr(key, {}), join_token: forged })
      assert.equal(r2.outcome.state === 'failed' && r2.outcome.error.code, 'invalid_token')
      const r3 = await sign({ certificate_type: 'client', csr: await createMembershipCsr(key, {}), join_token: 'nope' })
      assert.equal(r3.outcome.state === 'failed' && r3.outcome.error.code, 'invalid_token')
    })
  })
})
