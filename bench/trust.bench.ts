/**
 * Trust layer costs, each interleaved in every round with a baseline from the same process:
 *  - membership verification per connection: cold (parse + CA signature, on certificates never
 *    seen before) and warm (cached signature; dates, CRL, key binding), vs one bare ECDSA P-256 verify;
 *  - a whole connection with the membership exchange vs the same dial without it
 *    (memory transport, TLS, yamux; fresh client nodes every round);
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
import { envNumber, interleave, printHeader, printRatio, Results, ROUNDS } from './stats.ts'

const dir = mkdtempSync(join(tmpdir(), 'crank-trust-bench-'))
/** Certificates verified per round, cold and as baseline ECDSA verifies; warm runs ten times as many. */
const N = envNumber('BENCH_VERIFY_N', 200, { integer: true })
/** Dials per round, with and without membership. */
const DIALS = envNumber('BENCH_DIALS', 8, { integer: true })
/** Policy checks and Map lookups per round. */
const J = envNumber('BENCH_POLICY_N', 500_000, { integer: true })

/** µs per iteration of `fn` over `n` iterations. */
async function usPer(n: number, fn: (i: number) => unknown): Promise<number> {
  const t = performance.now()
  for (let i = 0; i < n; i++) await fn(i)
  return ((performance.now() - t) * 1000) / n
}

try {
  const ca = await MeshCA.init({ dir })
  const key = await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(key).toString()
  const issue = async (n: number, name: string): Promise<string[]> => {
    const out: string[] = []
    for (let i = 0; i < n; i++) out.push((await ca.issueMembership({ peerId, name: `${name}${i}`, roles: ['worker'] })).pem)
    return out
  }
  // Cold certificates: a fresh set per round, so no round finds its signatures cached.
  const coldSets: string[][] = []
  for (let r = 0; r < ROUNDS; r++) coldSets.push(await issue(N, `cold${r}-`))
  const warmSet = await issue(N, 'warm')
  for (let i = 0; i < 20; i++) await ca.revoke((await ca.issueMembership({ peerId })).serial)
  const trust = await TrustStore.create(ca.certificatePem, ca.currentCrl().toString('pem'))
  const opts = { publicKey: key.publicKey.raw, peerId }
  for (const c of warmSet) await trust.verify(c, opts)

  // Baseline: one ECDSA P-256 signature verification with Node's WebCrypto.
  const ecKeys = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as {
    privateKey: never
    publicKey: never
  }
  const data = new Uint8Array(300)
  const sig = await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, ecKeys.privateKey, data)
  const ecdsaVerify = () => subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, ecKeys.publicKey, sig, data)
  await usPer(50, ecdsaVerify)

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
  const addr = server.getMultiaddrs()[0]!
  const clientTrust = await TrustStore.create(ca.certificatePem)
  /** DIALS fresh client nodes, started; with a started Membership when `member`. Built outside the timed part. */
  async function clients(member: boolean): Promise<Array<{ node: Libp2p; m: Membership | undefined }>> {
    const out: Array<{ node: Libp2p; m: Membership | undefined }> = []
    for (let i = 0; i < DIALS; i++) {
      const k = await generateKeyPair('Ed25519')
      const node = await mk(k, [])
      await node.start()
      let m: Membership | undefined
      if (member) {
        m = new Membership(node, {
          trust: clientTrust,
          certificate: (await ca.issueMembership({ peerId: peerIdFromPrivateKey(k).toString() })).pem,
        })
        await m.start()
      }
      out.push({ node, m })
    }
    return out
  }
  async function close(cs: Array<{ node: Libp2p; m: Membership | undefined }>): Promise<void> {
    for (const c of cs) {
      await c.m?.stop()
      await c.node.stop()
    }
  }
  /** ms per connection: a plain dial, or a dial and the membership verified on both ends. */
  async function dials(member: boolean): Promise<number> {
    const cs = await clients(member)
    const t = performance.now()
    for (const { node, m } of cs) {
      if (m === undefined) {
        await node.dial(addr)
        continue
      }
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
    }
    const ms = (performance.now() - t) / DIALS
    await close(cs)
    return ms
  }

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
  const map = new Map(ids.map((id) => [id, true]))
  let sink = 0
  /** µs per lookup, timed over the whole synchronous loop: per-call timing would cost more than the call. */
  const loopUs = (fn: (id: string) => boolean): number => {
    const t = performance.now()
    for (let i = 0; i < J; i++) if (fn(ids[i & 7]!)) sink++
    return ((performance.now() - t) * 1000) / J
  }

  const res = new Results()
  let coldRound = 0
  await interleave([
    async () => res.record('ecdsa', await usPer(N, ecdsaVerify)),
    async () => {
      const certs = coldSets[coldRound++]!
      res.record('cold', await usPer(N, (i) => trust.verify(certs[i]!, opts)))
    },
    async () => res.record('warm', await usPer(N * 10, (i) => trust.verify(warmSet[i % N]!, opts))),
    async () => res.record('dial', await dials(false)),
    async () => res.record('dialMember', await dials(true)),
    async () =>
      res.record(
        'map',
        loopUs((id) => map.get(id) === true),
      ),
    async () =>
      res.record(
        'policy',
        loopUs((id) => policy.check(caller, id).allowed),
      ),
  ])
  await serverM.stop()
  await server.stop()

  printHeader(`trust: membership verification, connection set-up and the access policy (CRL with 20 entries)`)
  const ecdsa = { baseName: 'ECDSA P-256 verify', unit: ' µs' }
  printRatio(`membership verify, cold (parse + CA signature + checks), ${N} certificates`, res.get('cold'), res.get('ecdsa'), {
    ...ecdsa,
    crankName: 'cold',
  })
  printRatio(`membership verify, warm (cached signature, checks), ${N * 10} checks`, res.get('warm'), res.get('ecdsa'), {
    ...ecdsa,
    crankName: 'warm',
  })
  printRatio(`connection set-up, memory + TLS + yamux, ${DIALS} dials`, res.get('dialMember'), res.get('dial'), {
    crankName: 'dial + membership verified both ways',
    baseName: 'dial only',
    unit: ' ms',
  })
  printRatio(`access policy check per job (53 rules, 8 ids, mixed allow/deny; target < 50 µs)`, res.get('policy'), res.get('map'), {
    crankName: 'policy.check',
    baseName: 'Map.get',
    unit: ' µs',
  })
  if (sink === 0) console.log('')
} finally {
  rmSync(dir, { recursive: true, force: true })
}
