/**
 * The offline steps before a mesh starts, in one process: a data dir and identity per node
 * (`crank-node init`), the mesh CA (`ca init`), certificates for the nodes that get theirs
 * directly (`ca issue`) and one-time join tokens (`ca token`), through the same functions those
 * commands call. Each CLI
 * process loads the whole stack, about a second of CPU: a dozen of them were most of the
 * netns script's set-up time on two busy cores.
 *
 *   node bootstrap/netns/prepare-mesh.ts --dir <work dir> [--issue <name>]… [--token <name>]… <name>=<listen multiaddr | "">…
 *
 * Data dirs are `<work dir>/<name>`, the CA `<work dir>/ca`. Prints `peer <name> <peer id>` per
 * node and `token <name> <token>` per token, one per line.
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { initNode } from '../../src/cli/init.ts'
import { caInit, caIssue, caToken, NODE_TRUST_FILES } from '../../src/trust/commands.ts'
import { writeFileAtomic } from '../../src/trust/files.ts'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dir: { type: 'string' },
    issue: { type: 'string', multiple: true, default: [] },
    token: { type: 'string', multiple: true, default: [] },
  },
})
const nodes = positionals.map((p) => ({ name: p.slice(0, p.indexOf('=')), listen: p.slice(p.indexOf('=') + 1) }))
const dir = values.dir
if (dir === undefined || nodes.some((n) => n.name === '') || values.issue.some((name) => !nodes.some((n) => n.name === name))) {
  console.error('usage: prepare-mesh.ts --dir <work dir> [--issue <name>]… [--token <name>]… <name>=<listen multiaddr | "">…')
  process.exit(2)
}
const caDir = join(dir, 'ca')
const [, ...peers] = await Promise.all([
  caInit({ dir: caDir }),
  ...nodes.map((n) => initNode({ dataDir: join(dir, n.name), name: n.name, ...(n.listen === '' ? {} : { listen: [n.listen] }) })),
])
// One at a time, as the tokens below: each updates the CA's records.
for (const name of values.issue) {
  const issued = await caIssue({ dir: caDir, peerId: peers[nodes.findIndex((n) => n.name === name)]!.peerId, name })
  writeFileAtomic(join(dir, name, NODE_TRUST_FILES.ca), issued.caCertificatePem, 0o644)
  writeFileAtomic(join(dir, name, NODE_TRUST_FILES.certificate), issued.certificatePem, 0o644)
}
for (const [i, n] of nodes.entries()) console.log(`peer ${n.name} ${peers[i]!.peerId}`)
for (const name of values.token) console.log(`token ${name} ${(await caToken({ dir: caDir, name })).token}`)
