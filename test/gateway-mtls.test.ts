import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import echo from '../capabilities/example.echo/index.ts'
import type { CrankError } from '../src/errors.ts'
import { buildGateway, type Gateway, startGateway } from '../src/gateway/server.ts'
import { type CrankNode, createNode } from '../src/node.ts'
import { EphemeralCA } from '../src/trust/ephemeral-ca.ts'
import { issueTlsCertificate, type TlsCertificate } from '../src/trust/tls-certificates.ts'
import { testCa } from './helpers/trust.ts'

interface Answer {
  status: number
  body: Record<string, unknown>
}

/** One HTTPS request that trusts the mesh CA, with a client certificate when given. */
function call(url: string, ca: string, opts: { method?: string; body?: unknown; client?: TlsCertificate } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        ca,
        ...(opts.client === undefined ? {} : { cert: opts.client.pem, key: opts.client.keyPem }),
        headers: opts.body === undefined ? {} : { 'content-type': 'application/json' },
        agent: false,
      },
      (res) => {
        let text = ''
        res.on('data', (d: Buffer) => (text += d.toString()))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) }),
        )
      },
    )
    req.once('error', reject)
    req.end(opts.body === undefined ? undefined : JSON.stringify(opts.body))
  })
}

describe('HTTP gateway over HTTPS with client certificates from the mesh CA (mTLS)', function () {
  this.timeout(60_000)
  let dir: string
  let ca: EphemeralCA
  let node: CrankNode
  let gateway: Gateway
  let alice: TlsCertificate
  let mallory: TlsCertificate
  let serverOnly: TlsCertificate
  let foreign: TlsCertificate
  const job = { capability: 'example.echo', params: { echo: 'over mTLS' } }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'crank-mtls-'))
    ca = await testCa()
    const server = await issueTlsCertificate(ca.ca, { name: 'gateway', usage: 'server', ip: ['127.0.0.1'] })
    writeFileSync(join(dir, 'gw.crt'), server.pem)
    writeFileSync(join(dir, 'gw.key'), server.keyPem)
    alice = await issueTlsCertificate(ca.ca, { name: 'alice', usage: 'client' })
    mallory = await issueTlsCertificate(ca.ca, { name: 'mallory', usage: 'client' })
    serverOnly = await issueTlsCertificate(ca.ca, { name: 'not-a-client', usage: 'server', ip: ['10.0.0.9'] })
    foreign = await issueTlsCertificate((await EphemeralCA.create()).ca, { name: 'stranger', usage: 'client' })
    node = await createNode({
      name: 'gw',
      listen: [],
      logLevel: 'silent',
      capabilities: [echo],
      ...(await ca.enrol({ name: 'gw' })),
      gateway: { tlsCertFile: join(dir, 'gw.crt'), tlsKeyFile: join(dir, 'gw.key'), clientCertificates: 'required' },
    })
    await node.start()
    gateway = await startGateway(node, { listen: '127.0.0.1:0' })
  })

  after(async () => {
    await gateway?.close()
    await node?.stop({ drainTimeoutMs: 0 })
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves HTTPS, and a client certificate from the mesh CA runs a job without a token', async () => {
    assert.match(gateway.url, /^https:\/\/127\.0\.0\.1:\d+$/)
    const r = await call(`${gateway.url}/v1/jobs?wait=true`, ca.ca.certificatePem, { method: 'POST', body: job, client: alice })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(r.body.state, 'succeeded')
    assert.deepEqual((r.body.result as { echo: string }).echo, 'over mTLS')
  })

  it('refuses in the TLS handshake a connection with no client certificate, one from another CA, or one not for clients', async () => {
    await assert.rejects(call(`${gateway.url}/v1/status`, ca.ca.certificatePem))
    await assert.rejects(call(`${gateway.url}/v1/status`, ca.ca.certificatePem, { client: foreign }))
    await assert.rejects(call(`${gateway.url}/v1/status`, ca.ca.certificatePem, { client: serverOnly }))
  })

  it('refuses a certificate revoked after it was issued (401 with the reason)', async () => {
    assert.equal((await call(`${gateway.url}/v1/status`, ca.ca.certificatePem, { client: mallory })).status, 200)
    await ca.ca.revoke(mallory.serial)
    // The node adopts the CA's new CRL (in a mesh it arrives over the membership protocol).
    await node.membership.trustStore!.updateCrl(ca.ca.currentCrl().toString('pem'))
    const revoked = await call(`${gateway.url}/v1/status`, ca.ca.certificatePem, { client: mallory })
    assert.equal(revoked.status, 401)
    assert.match(String(revoked.body.detail), /revoked/)
    assert.equal((await call(`${gateway.url}/v1/status`, ca.ca.certificatePem, { client: alice })).status, 200, 'others are unaffected')
  })

  it('optional client certificates: one that is presented is judged; without one the usual rules apply', async () => {
    const open = await createNode({
      listen: [],
      logLevel: 'silent',
      capabilities: [echo],
      ...(await ca.enrol()),
      gateway: { tlsCertFile: join(dir, 'gw.crt'), tlsKeyFile: join(dir, 'gw.key'), clientCertificates: 'optional' },
    })
    await open.start()
    const gw = await startGateway(open, { listen: '127.0.0.1:0' })
    try {
      // Loopback, no token file: an open gateway, so no certificate is needed.
      assert.equal((await call(`${gw.url}/v1/status`, ca.ca.certificatePem)).status, 200)
      assert.equal(
        (await call(`${gw.url}/v1/jobs?wait=true`, ca.ca.certificatePem, { method: 'POST', body: job, client: alice })).status,
        200,
      )
      for (const client of [foreign, serverOnly]) {
        const r = await call(`${gw.url}/v1/status`, ca.ca.certificatePem, { client })
        assert.equal(r.status, 401, client.certificate.subject)
        assert.match(String(r.body.detail), /not accepted/)
      }
    } finally {
      await gw.close()
      await open.stop()
    }
  })

  it('checks its TLS settings before it listens: client certificates need HTTPS, and key and certificate go together', async () => {
    const plain = await createNode({ listen: [], logLevel: 'silent', ...(await ca.enrol()), gateway: { clientCertificates: 'optional' } })
    const halfTls = await createNode({
      listen: [],
      logLevel: 'silent',
      ...(await ca.enrol()),
      gateway: { tlsCertFile: join(dir, 'gw.crt') },
    })
    try {
      await assert.rejects(
        buildGateway(plain, { listen: '127.0.0.1:0' }),
        (e: CrankError) => e.code === 'invalid_config' && /need HTTPS/.test(e.message),
      )
      await assert.rejects(
        buildGateway(halfTls, { listen: '127.0.0.1:0' }),
        (e: CrankError) => e.code === 'invalid_config' && /go together/.test(e.message),
      )
      // Off loopback, required client certificates are authentication enough: no token file needed.
      const wide = await buildGateway(node, { listen: '0.0.0.0:0' })
      await wide.close()
    } finally {
      await plain.stop()
      await halfTls.stop()
    }
  })
})
