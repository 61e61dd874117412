/**
 * Runs every built-in capability, and certificate.sign_csr, on nodes in other network namespaces,
 * from one enrolled client, and prints one JSON line per capability:
 *
 *   {"capability","node","peer","ok","ms":[first, second],"check"}     (or "error" when not ok)
 *
 * `peer` is who accepted the job, as the provider itself said; `ms` are the wall times of the
 * job from this client, the first on a cold worker, the second warm (sign_csr runs once per
 * token). `check` is what was verified in the result beyond `succeeded`. A first line
 * `{"adverts_ms"}` says how long this client took to hold every node's advert.
 *
 *   node bootstrap/netns/capability-jobs.ts --data-dir <client dir> --ca <node> --here <node>
 *        --token <join token> [--token …] <name>=<multiaddr>...
 *
 * `--ca` names the node that holds the mesh CA (it serves sign_csr); `--here` the node that
 * shares this client's namespace, which is given no job: every job crosses a network stack.
 * A capability this file has no sample input for is reported as failed, so that a new one
 * cannot be skipped quietly.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { type CrankNode, createNode, type JobReport } from '../../src/index.ts'
import { join as joinMesh, type SignCsrReply } from '../../src/trust/commands.ts'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'data-dir': { type: 'string' },
    ca: { type: 'string' },
    here: { type: 'string' },
    token: { type: 'string', multiple: true, default: [] },
    'adverts-wait-ms': { type: 'string', default: '60000' },
  },
})
const nodes = new Map(
  positionals.map((p) => {
    const at = p.indexOf('=')
    const addr = p.slice(at + 1)
    return [p.slice(0, at), { addr, peer: addr.split('/p2p/')[1] ?? '' }] as const
  }),
)
const dataDir = values['data-dir']
const caNode = values.ca === undefined ? undefined : nodes.get(values.ca)
if (dataDir === undefined || caNode === undefined || values.here === undefined || [...nodes.values()].some((n) => n.peer === '')) {
  console.error('usage: capability-jobs.ts --data-dir <dir> --ca <node> --here <node> --token <t> <name>=<multiaddr with /p2p/>...')
  process.exit(2)
}
const remote = [...nodes.keys()].filter((name) => name !== values.here)

const repo = join(import.meta.dirname, '..', '..')
const EMAIL =
  'From: alice@example.org\r\nTo: bob@example.org\r\nSubject: Lunch tomorrow?\r\nMessage-ID: <1@example.org>\r\n\r\n' +
  'Shall we have lunch tomorrow at noon?\r\n'
const RECORDS = '{"host":"a","ms":5}\n{"host":"b","ms":50}\n{"host":"a","ms":7}\n'
const text = (r: JobReport): string => new TextDecoder().decode(r.output ?? new Uint8Array())

interface Sample {
  params: Record<string, unknown>
  input?: string | Uint8Array
  /** Throws when the result is not what this input must give; returns what it verified. */
  check(r: JobReport): string
}
/** One input per capability, with what its result must say. */
const samples: Record<string, Sample> = {
  'example.echo': {
    params: { echo: 'across namespaces' },
    input: 'ping',
    check: (r) => expect((r.value as { echo: unknown }).echo === 'across namespaces' && text(r) === 'ping', 'echo and input returned'),
  },
  'email.parse': {
    params: {},
    input: EMAIL,
    check: (r) => expect((r.value as { email?: { subject?: string } }).email?.subject === 'Lunch tomorrow?', 'subject parsed'),
  },
  'email.classify': {
    params: {},
    input: EMAIL,
    check: (r) => {
      const label = (r.value as { label?: string }).label
      return expect(label === 'spam' || label === 'ham', `labelled ${label}`)
    },
  },
  'document.convert': {
    params: { to: 'html' },
    input: '# Across namespaces\n\nA *document* from one network stack to another.\n',
    check: (r) => expect(text(r).includes('<em>document</em>'), 'markdown rendered to html'),
  },
  'stream.process': {
    params: { pipeline: [{ op: 'filter', where: 'ms > 6' }] },
    input: RECORDS,
    check: (r) => {
      const kept = text(r).trim().split('\n').length
      return expect(kept === 2, `${kept} of 3 records kept by the filter`)
    },
  },
  'image.classify': {
    params: { top_k: 1 },
    input: new Uint8Array(readFileSync(join(repo, 'scripts/image/samples/0-9.png'))),
    check: (r) => {
      const top = (r.value as { predictions?: { label: string }[] }).predictions?.[0]?.label
      return expect(top !== undefined, `top label ${top}`)
    },
  },
}

function expect(ok: boolean, what: string): string {
  if (!ok) throw new Error(`result check failed: ${what}`)
  return what
}

const client = await createNode({ dataDir, listen: [], bootstrap: [], logLevel: 'error', client: true })
const t0 = performance.now()
await client.start()
// A client node never dials on its own (see Connectivity's passive mode): reach every node, as
// the CLI does, and wait for its membership proof.
await Promise.all(
  [...nodes.values()].map(async (n) => {
    const peer = await client.connect(n.addr)
    await client.membership.authorize(peer)
  }),
)

// The mesh as a client sees it: every node's advert, so every capability is routable by name too.
const advertsDeadline = t0 + Number(values['adverts-wait-ms'])
const advertised = (): boolean => [...nodes.values()].every((n) => (client.mesh.get(n.peer)?.advert.capabilities?.length ?? 0) > 0)
while (!advertised() && performance.now() < advertsDeadline) await new Promise((r) => setTimeout(r, 50))
console.log(JSON.stringify({ adverts_ms: advertised() ? Math.round(performance.now() - t0) : null }))

/** One job pinned to a node; resolves its report, who accepted it, and its wall time. */
async function run(node: string, capability: string, params: unknown, input?: string | Uint8Array, from: CrankNode = client) {
  const target = nodes.get(node)!
  const started = performance.now()
  const handle = from.submit({ capability, params, route: target.addr, ...(input === undefined ? {} : { input }) })
  let acceptedBy: string | undefined
  for await (const e of handle) if (e.type === 'accepted') acceptedBy = e.peer
  const report = await handle.outcome
  const ms = Math.round((performance.now() - started) * 10) / 10
  if (report.state !== 'succeeded') throw new Error(`${report.state}: ${report.error?.code}: ${report.error?.message}`)
  if (acceptedBy !== target.peer) throw new Error(`accepted by ${acceptedBy}, not by ${node} (${target.peer})`)
  return { report, ms, peer: acceptedBy }
}

let failed = 0
let turn = 0
// The capabilities/ folder, not the catalogue module: importing that loads every model and
// parser, a second of CPU that this client does not need. sign_csr comes last, on its own.
const capabilityIds = readdirSync(join(repo, 'capabilities'), { withFileTypes: true })
  .filter((e) => e.isDirectory() && e.name.includes('.') && existsSync(join(repo, 'capabilities', e.name, 'index.ts')))
  .map((e) => e.name)
  .filter((id) => id !== 'certificate.sign_csr')
  .sort()
for (const id of capabilityIds) {
  const node = remote[turn++ % remote.length]!
  const line: Record<string, unknown> = { capability: id, node, peer: nodes.get(node)!.peer, ok: false }
  try {
    const sample = samples[id]
    if (sample === undefined) throw new Error('no sample input for it in bootstrap/netns/capability-jobs.ts')
    const ms: number[] = []
    for (let i = 0; i < 2; i++) {
      const r = await run(node, id, sample.params, sample.input)
      line.check = sample.check(r.report)
      ms.push(r.ms)
    }
    Object.assign(line, { ok: true, ms })
  } catch (err) {
    failed++
    line.error = (err as Error).message
  }
  console.log(JSON.stringify(line))
}

// certificate.sign_csr as `crank-node join` runs it: from a node that is no member yet (the
// access policy judges a member by its roles, a stranger by its token), with a fresh key's CSR
// and a one-time token; join() checks the CA against the token's fingerprint and the certificate
// against the key.
const line: Record<string, unknown> = { capability: 'certificate.sign_csr', node: values.ca, peer: caNode.peer, ok: false }
const scratch = await mkdtemp(join(tmpdir(), 'crank-netns-csr-'))
try {
  if (values.ca === values.here) throw new Error('the CA node shares this namespace: give it another')
  if (values.token.length === 0) throw new Error('no --token given')
  const ms: number[] = []
  for (const token of values.token) {
    const privateKey = await generateKeyPair('Ed25519')
    const stranger = await createNode({ privateKey, listen: [], logLevel: 'error', trust: { openMesh: true }, mesh: { dht: false } })
    await stranger.start()
    try {
      await stranger.connect(caNode.addr)
      let took = 0
      const joined = await joinMesh({
        privateKey,
        token,
        dataDir: scratch,
        submit: async (params) => {
          const r = await run(values.ca!, 'certificate.sign_csr', params, undefined, stranger)
          took = r.ms
          return r.report.value as SignCsrReply
        },
      })
      line.check = `certificate ${joined.serial} verified against the token's CA and the key`
      ms.push(took)
    } finally {
      await stranger.stop({ drainTimeoutMs: 0 })
    }
  }
  Object.assign(line, { ok: true, ms })
} catch (err) {
  failed++
  line.error = (err as Error).message
} finally {
  await rm(scratch, { recursive: true, force: true })
}
console.log(JSON.stringify(line))

await client.stop({ drainTimeoutMs: 0 })
process.exit(failed === 0 ? 0 : 1)
