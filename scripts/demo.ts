/**
 * `npm run demo`: starts a three-node mesh in this process (memory transport,
 * TLS, yamux — the same stack as TCP), then runs the built-in capabilities
 * across it on sample data, printing what happened and where.
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { demoDocumentAndStream } from '../capabilities/document.convert/demo.ts'
import { builtinCapabilities } from '../capabilities/index.ts'
import { createNode, EphemeralCA } from '../src/index.ts'
import { messageByKey, readMessage } from './email/corpus.ts'
import { imageClassifyDemo } from './image/demo.ts'

const names = ['alpha', 'beta', 'gamma']
// gamma keeps a job store (SQLite) in a temporary folder: its jobs' history, durable jobs, idempotency keys.
const storeDir = mkdtempSync(join(tmpdir(), 'crank-demo-'))
// A real trust root: every node gets a membership certificate over its libp2p key.
const mesh = await EphemeralCA.create()
const nodes = await Promise.all(
  names.map(async (name, i) =>
    createNode({
      name,
      listen: [`/memory/crank-demo-${name}`],
      ...(await mesh.enrol({ name })),
      // gamma is a pure client: it serves nothing and routes everything to the others
      capabilities: i < 2 ? builtinCapabilities : [],
      logLevel: 'warn',
      mesh: { dht: false },
      ...(name === 'gamma' ? { store: { path: join(storeDir, 'jobs.db') } } : {}),
    }),
  ),
)
for (const n of nodes) await n.start()
const [alpha, , gamma] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]]
const alphaPeer = await gamma.connect(alpha.multiaddrs[0]!)
console.log(`mesh up: ${nodes.map((n, i) => `${names[i]}=${n.peerId.toString().slice(-8)}`).join(' ')}`)
console.log(`alpha serves: ${alpha.capabilities.map((c) => `${c.id}@${c.version}`).join(', ')}`)

// 1. example.echo: stream 1 MiB from gamma to alpha and back.
const data = new Uint8Array(1024 * 1024).map((_, i) => i & 0xff)
const echo = gamma.submit({
  capability: 'example.echo',
  params: { echo: 'hello mesh', progressEvery: 256 * 1024 },
  input: data,
  route: alphaPeer.toString(),
})
for await (const e of echo) if (e.type === 'progress') console.log(`  echo progress: ${e.done} bytes`)
const r = await echo.result
console.log(
  `example.echo on ${r.route?.peer.slice(-8)} (${r.route?.reason}): ${JSON.stringify(r.value)}, ${r.output?.byteLength} bytes back in ${r.durationMs} ms`,
)

// 2. Typed failures: an unknown capability and bad params never hang or crash.
for (const bad of [
  { capability: 'no.such.capability', params: {} },
  { capability: 'example.echo', params: { delayMs: 'soon' } },
]) {
  const report = await gamma.submit({ ...bad, route: alphaPeer.toString() }).outcome
  console.log(`${bad.capability}: ${report.state} ${report.error?.code}: ${report.error?.message}`)
}

// 3. email.classify and email.parse on SpamAssassin corpus messages, routed by the mesh (no pin).
console.log('\n— email —')
for (const key of ['easy-ham-1/00006', 'spam-2/01205']) {
  const input = readMessage(messageByKey(key))
  const verdict = await gamma.submit({ capability: 'email.classify@^1', input }).result
  const { label, probability } = verdict.value as { label: string; probability: number }
  const parsed = (await gamma.submit({ capability: 'email.parse@^1', input }).result).value as { email: { subject?: string } }
  console.log(
    `${key}: ${label} (p=${probability.toFixed(3)}) "${parsed.email.subject ?? ''}" on ${verdict.route?.peer.slice(-8)} (${verdict.route?.reason})`,
  )
}

// 4. image.classify on Fashion-MNIST test images in six formats.
console.log('\n— image —')
await imageClassifyDemo(gamma, alphaPeer.toString())

// 5. document.convert and stream.process.
console.log('\n— documents and streams —')
await demoDocumentAndStream(gamma, alphaPeer.toString())

// 6. Durable jobs and job history from gamma's store.
console.log('\n— job history —')
const order = readMessage(messageByKey('easy-ham-1/00006'))
const first = gamma.submit({ capability: 'email.classify', input: order, durable: true, idempotencyKey: 'demo-order-42' })
await first.stored
console.log(`durable job ${first.id} is on disk: acknowledged`)
const again = await gamma.submit({ capability: 'email.classify', input: order, idempotencyKey: 'demo-order-42' }).result
console.log(
  `the same idempotency key again: job ${again.jobId} (${again.jobId === first.id ? 'the first one, not run twice' : 'A NEW JOB'})`,
)
const history = gamma.jobs
if (history !== undefined) {
  const jobs = await history.list({ limit: 100 })
  const byState = new Map<string, number>()
  for (const j of jobs) byState.set(j.state, (byState.get(j.state) ?? 0) + 1)
  console.log(`gamma's store holds ${jobs.length} jobs: ${[...byState].map(([state, n]) => `${n} ${state}`).join(', ')}`)
  for (const e of await history.events(first.id))
    console.log(`  ${first.id.slice(-6)} #${e.seq} ${e.type}${'peer' in e ? ` ${String(e.peer).slice(-8)}` : ''}`)
}

// All at once: a node left running while the others stop would find itself isolated, and say so.
await Promise.all(nodes.map((n) => n.stop()))
rmSync(storeDir, { recursive: true, force: true })
