/**
 * One Crank node with a data dir in its own OS process, for tests that kill a node with SIGKILL
 * and start it again from the same data dir. What it does comes from CRANK_STORE_NODE (JSON, see
 * StoreNodeSpec); it reports on stdout, one JSON object per line:
 *   {"started": {peerId, addr}}       once listening
 *   {"stored": id}                    a durable job it submitted is on disk (acknowledged)
 *   {"start": id} / {"done": id}      its test.slow handler started / completed a job
 *   {"final": [{id, state, attempts, code}]}  (resume) every job in its store has ended
 */
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import type { PartialConfig } from '../../src/config.ts'
import { createNode } from '../../src/node.ts'
import { slowCapability } from './capabilities.ts'
import { storeOf } from './node-store.ts'

export interface StoreNodeSpec {
  /** submit: submit `jobs` durable test.slow jobs and stay up. resume: finish what the store holds, report, exit. provide: serve test.slow. */
  mode: 'submit' | 'resume' | 'provide'
  dataDir: string
  key: string
  ca: string
  certificate: string
  bootstrap?: string[]
  /** submit: each job's `ms`, and its route. */
  jobs?: number[]
  route?: string
  /** submit: input bytes per job (a string of this many characters), to check what is kept. */
  inputBytes?: number
  /** Serve test.slow here too. */
  serve?: boolean
  /** submit: durable jobs (default true). */
  durable?: boolean
  store?: PartialConfig['store']
}

const spec = JSON.parse(process.env.CRANK_STORE_NODE ?? '{}') as StoreNodeSpec
const say = (o: unknown): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`)
}
const serve = spec.mode === 'provide' || spec.serve === true
const node = await createNode({
  name: `store-${spec.mode}`,
  dataDir: spec.dataDir,
  listen: ['/ip4/127.0.0.1/tcp/0'],
  logLevel: 'silent',
  mesh: { dht: false },
  bootstrap: spec.bootstrap ?? [],
  ...(spec.store === undefined ? {} : { store: spec.store }),
  privateKey: privateKeyFromProtobuf(Buffer.from(spec.key, 'base64')),
  membership: { ca: spec.ca, certificate: spec.certificate },
  capabilities: serve
    ? [slowCapability('test.slow', { concurrency: 10_000, onStart: (id) => say({ start: id }), onDone: (id) => say({ done: id }) })]
    : [],
})
await node.start()
say({ started: { peerId: node.peerId.toString(), addr: `${node.multiaddrs[0]!.toString()}` } })

if (spec.mode === 'submit') {
  if (spec.route === undefined || spec.route === 'prefer-local') {
    // Wait until a provider is known: the jobs are to be routed, not fail no_provider.
    while (node.mesh.all().length === 0 && !serve) await new Promise((r) => setTimeout(r, 20))
  }
  const input = spec.inputBytes === undefined ? undefined : 'x'.repeat(spec.inputBytes)
  await Promise.all(
    (spec.jobs ?? []).map(async (ms) => {
      const h = node.submit({
        capability: 'test.slow',
        params: { ms },
        durable: spec.durable ?? true,
        ...(spec.route === undefined ? {} : { route: spec.route }),
        ...(input === undefined ? {} : { input }),
      })
      await h.stored
      say({ stored: h.id })
    }),
  )
  // A list flushes what is pending: jobs that are not durable are on disk from here on too.
  await storeOf(node).list({ limit: 1 })
  say({ allStored: true })
} else if (spec.mode === 'resume') {
  const active = await storeOf(node).list({ state: ['queued', 'routed', 'running', 'retrying'], limit: 100_000 })
  await Promise.all(active.map((j) => storeOf(node).wait(j.id)))
  const all = await storeOf(node).list({ limit: 100_000 })
  say({ final: all.map((j) => ({ id: j.id, state: j.state, attempts: j.attempts, code: j.error?.code })) })
  await node.stop()
  process.exit(0)
}
