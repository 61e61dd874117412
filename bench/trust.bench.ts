/**
 * Trust layer costs, each printed next to a baseline measured in the same run:
 *  - membership verification per connection: cold (parse + CA signature) and
 *    warm (cached signature; dates, CRL, key binding), vs one bare ECDSA P-256 verify;
 *  - a whole connection with the membership exchange vs the same dial without it
 *    (memory transport, TLS, yamux);
 *  - the access-policy check per job vs a bare Map lookup. Target: < 50 µs.
 * Run: npm run bench:trust
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { memory } from '@libp2p/memory'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tls } from '@libp2p/tls'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { AccessPolicy, type Caller, MeshCA, TrustStore } from '../src/trust/index.ts'
import { Membership } from '../src/trust/membership.ts'
import { subtle } from '../src/trust/x509.ts'

const dir = mkdtempSync(join(tmpdir(), 'crank-trust-bench-'))
const us = (ms: number, n: number): string => ((ms * 1000) / n).toFixed(2)

async function time(n: number, fn: (i: number) => unknown): Promise<number> {
  const t = performance.now()
  for (let i = 0; i < n; i++) await fn(i)
  return performance.now() - t
}

try {
  const ca = await MeshCA.init({ dir })
  const key = await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(key).toString()
  const N = 300
  const certs: string[] = []
  for (let i = 0; i < N; i++) certs.push((await ca.issueMembership({ peerId, name: `n${i}`, roles: ['worker'] })).pem)
  for (let i = 0; i < 20; i++) await ca.revoke((await ca.issueMembership({ peerId })).serial)
  const trust = await TrustStore.create(ca.certificatePem, ca.currentCrl().toString('pem'))
  const opts = { publicKey: key.publicKey.raw, peerId }

  // Baseline: one ECDSA P-256 signature verification with Node's WebCrypto.
  const ecKeys = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as {
    privateKey: never
    publicKey: never
  }
  const data = new Uint8Array(300)
  const sig = await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, ecKeys.privateKey, data)
  await time(50, () => subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, ecKeys.publicKey, sig, data))
  const tBase = await time(N, () => subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, ecKeys.publicKey, sig, data))
  const tCold = await time(N, (i) => trust.verify(certs[i]!, opts))
  const tWarm = await time(N * 10, (i) => trust.verify(certs[i % N]!, opts))
  console.log('membership verification per connection (CRL with 20 entries)')
  console.log(`  baseline: ECDSA P-256 verify        ${us(tBase, N)} µs`)
  console.log(`  cold (parse + CA signature + checks) ${us(tCold, N)} µs  (${(tCold / tBase).toFixed(1)}× baseline)`)
  console.log(`  warm (cached signature, checks)      ${us(tWarm, N * 10)} µs  (${(tWarm / (N * 10) / (tBase / N)).toFixed(2)}× baseline)`)

  // Whole connections: dial + TLS + yamux, with and without the membership exchange.
  const mk = async (k: PrivateKey, listen: string[]): Promise<Libp2p> =>
    createLibp2p({
      privateKey: k,
      addresses: { listen },
      transports: [memory()],
      connectionEncrypters: [tls()],
      streamMuxers: [yamux()],
      services: { identify: identify(), ping: ping() },
    })
  const serverKey = await generateKeyPair('Ed25519')
  const server = await mk(serverKey, [`/memory/trust-bench-${process.pid}`])
  const serverCert = (await ca.issueMembership({ peerId: peerIdFromPrivateKey(serverKey).toString() })).pem
  await server.start()
  const serverM = new Membership(server, { trust, certificate: serverCert })
  await serverM.start()
  const dials = 40
  const clients: Array<{ node: Libp2p; m: Membership }> = []
  for (let i = 0; i < dials; i++) {
    const k = await generateKeyPair('Ed25519')
    const node = await mk(k, [])
    await node.start()
    const m = new Membership(node, {
      trust: await TrustStore.create(ca.certificatePem),
      certificate: (await ca.issueMembership({ peerId: peerIdFromPrivateKey(k).toString() })).pem,
    })
    clients.push({ node, m })
  }
  const addr = server.getMultiaddrs()[0]!
  const tPlain = await time(dials / 2, async (i) => {
    const c = clients[i]!.node
    await c.dial(addr)
  })
  for (const c of clients) await c.m.start()
  const tMember = await time(dials / 2, async (i) => {
    const { node, m } = clients[dials / 2 + i]!
    const both = new Promise<void>((resolve) => {
      let n = 0
      const done = (): void => {
        if (++n === 2) resolve()
      }
      m.once('verified', done)
      serverM.once('verified', done)
    })
    await node.dial(addr)
    await both
  })
  console.log('connection set-up, memory transport + TLS + yamux')
  console.log(`  baseline: dial only                  ${(tPlain / (dials / 2)).toFixed(2)} ms`)
  console.log(
    `  dial + membership verified both ways ${(tMember / (dials / 2)).toFixed(2)} ms  (${(tMember / tPlain).toFixed(2)}× baseline)`,
  )
  for (const c of clients) {
    await c.m.stop()
    await c.node.stop()
  }
  await serverM.stop()
  await server.stop()

  // Access policy per job.
  const policy = new AccessPolicy({
    rules: [
      { capability: 'email.*', allow: { roles: ['mail'] } },
      { capability: 'image.*', allow: { roles: ['gpu', 'vision'], names: ['gw-1'] } },
      { capability: 'debug.*', allow: 'nobody' },
      ...Array.from({ length: 50 }, (_, i) => ({ capability: `cap${i}.*`, allow: { roles: [`r${i}`] } })),
    ],
  })
  const caller: Caller = { peerId, name: 'w-1', roles: ['worker', 'mail', 'x', 'y'], member: true }
  const ids = [
    'email.classify',
    'email.parse',
    'image.classify',
    'document.convert',
    'certificate.sign_csr',
    'stream.process',
    'example.echo',
    'debug.x',
  ]
  const J = 1_000_000
  const map = new Map(ids.map((id) => [id, true]))
  let sink = 0
  const tMap = await time(1, () => {
    for (let i = 0; i < J; i++) if (map.get(ids[i & 7]!) === true) sink++
  })
  const tPolicy = await time(1, () => {
    for (let i = 0; i < J; i++) if (policy.check(caller, ids[i & 7]!).allowed) sink++
  })
  console.log('access policy check per job (53 rules, 8 capability ids, mixed allow/deny)')
  console.log(`  baseline: Map.get                    ${us(tMap, J)} µs`)
  console.log(`  policy.check                         ${us(tPolicy, J)} µs  (${(tPolicy / tMap).toFixed(1)}× baseline; target < 50 µs)`)
  if (sink === 0) console.log('')
} finally {
  rmSync(dir, { recursive: true, force: true })
}
