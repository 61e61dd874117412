/**
 * `status`, `caps`, `peers`, `members` and `explain`: asked of the data dir's running node through
 * its control socket. With no node running, `status` reads what the node last wrote, and the
 * others join the mesh as a short-lived client (mesh-client.ts), as they always did.
 */
import type { Command } from 'commander'
import { type ControlClient, connectToNode } from '../control/control-client.ts'
import type { CapabilityRow, LiveNodeStatus, MemberRow, PeersView, StatusView } from '../control/node-views.ts'
import type { Explanation } from '../controller/dispatcher.ts'
import { CrankError, ErrorCodes } from '../errors.ts'
import type { CrankNode } from '../node.ts'
import { collect, type MeshFlags, meshLayers, meshOptions } from './cli-options.ts'
import { describeLiveStatus } from './live-status.ts'
import { ago, describeNodeStatus, type NodeStatus, readNodeStatus } from './node-status.ts'
import { dataDirFrom } from './paths.ts'
import { printTable, short } from './table.ts'

/** The node's answer when it runs, else what `fallback` makes of a client node joined to the mesh. */
async function askNodeOrMesh<T>(
  o: MeshFlags,
  ask: (c: ControlClient) => Promise<T>,
  fallback: (node: CrankNode) => Promise<T> | T,
): Promise<T> {
  const dataDir = dataDirFrom(o.dataDir)
  const client = await connectToNode(dataDir)
  if (client !== undefined) {
    try {
      return await ask(client)
    } finally {
      client.close()
    }
  }
  const { withMeshClient } = await import('./mesh-client.ts')
  return withMeshClient({ dataDir, layers: await meshLayers(o), bootstrap: o.bootstrap ?? [], waitMs: o.wait }, async (node) =>
    fallback(node),
  )
}

const views = (): Promise<typeof import('../control/node-views.ts')> => import('../control/node-views.ts')

export function registerMeshCommands(cli: Command): void {
  meshOptions(
    cli
      .command('caps')
      .description('every capability in the mesh (the node itself first), with its providers, their load and how fresh each advert is')
      .option('--json', 'one JSON object'),
  ).action(async (o: MeshFlags & { json?: boolean }) => {
    const rows = await askNodeOrMesh(
      o,
      async (c) => ((await c.call('caps')) as { capabilities: CapabilityRow[] }).capabilities,
      async (node) => (await views()).capabilityRows(node, { includeSelf: false }),
    )
    if (o.json === true) return console.log(JSON.stringify({ capabilities: rows }))
    if (rows.length === 0) return console.log('no capabilities advertised (is a bootstrap peer configured? see --bootstrap)')
    printTable(
      ['CAPABILITY', 'VERSION', 'PROVIDER', 'NAME', 'IN-FLIGHT', 'QUEUED', 'CAPACITY', 'CPU', 'ADVERT AGE'],
      rows.map((r) => [
        r.capability,
        r.version,
        short(r.peer),
        r.self ? `${r.name} (this node)` : r.name,
        r.inFlight,
        r.queued,
        r.capacity,
        r.cpu.toFixed(2),
        r.self ? '-' : `${(r.ageMs / 1000).toFixed(1)}s`,
      ]),
    )
  })

  meshOptions(cli.command('peers').description("the node's peers, with what their adverts say").option('--json', 'one JSON object')).action(
    async (o: MeshFlags & { json?: boolean }) => {
      const seen = await askNodeOrMesh<PeersView & { node?: LiveNodeStatus | NodeStatus }>(
        o,
        async (c) => (await c.call('peers')) as PeersView & { node: LiveNodeStatus },
        async (node) => {
          // No node answered: what the data dir's node last said of itself (not running), beside what this client sees.
          const self = await readNodeStatus(dataDirFrom(o.dataDir))
          return { ...(self === undefined ? {} : { node: self }), ...(await views()).peersView(node) }
        },
      )
      if (o.json === true) return console.log(JSON.stringify(seen))
      if (seen.node !== undefined) console.log(`${describeNodeStatus(seen.node).join('\n')}\n`)
      printTable(
        ['PEER', 'NAME', 'MEMBER', 'HEALTH', 'ADDRESS', 'CAPABILITIES'],
        seen.connected.map((p) => [short(p.peer), p.name, p.member ? 'yes' : 'NO', p.health, p.addr, p.capabilities.join(' ')]),
      )
      if (seen.knownFromAdverts.length > 0)
        console.log(
          `\n${seen.knownFromAdverts.length} more peer(s) known from adverts: ${seen.knownFromAdverts.map((p) => p.name || short(p.peer)).join(', ')}`,
        )
    },
  )

  meshOptions(
    cli
      .command('members')
      .description('the mesh members the node knows: connected and verified now, and from its address book')
      .option('--json', 'one JSON object'),
  ).action(async (o: MeshFlags & { json?: boolean }) => {
    const members = await askNodeOrMesh(
      o,
      async (c) => ((await c.call('members')) as { members: MemberRow[] }).members,
      async (node) => (await views()).membersView(node),
    )
    if (o.json === true) return console.log(JSON.stringify({ members }))
    if (members.length === 0) return console.log('no members known: none connected, and the address book is empty')
    const now = Date.now()
    printTable(
      ['PEER', 'NAME', 'STATE', 'ROLES', 'CERTIFICATE', 'EXPIRES', 'ADDRESS'],
      members.map((m) => [
        short(m.peer),
        m.name || '-',
        m.connected ? 'connected' : m.lastSeen === undefined ? 'known' : `seen ${ago(now - m.lastSeen)} ago`,
        m.roles.join(',') || '-',
        m.serial ?? '-',
        m.notAfter === undefined ? '-' : m.notAfter > now ? `in ${ago(m.notAfter - now)}` : 'EXPIRED',
        m.addrs[0] ?? '-',
      ]),
    )
  })

  meshOptions(
    cli
      .command('explain')
      .description('every candidate for a capability, and why each was or was not chosen')
      .argument('<capability>', 'capability id, optionally with a version range')
      .option('--gpu', 'require a GPU provider')
      .option('--tag <tag>', 'require this tag, repeatable', collect)
      .option('--json', 'one JSON object'),
  ).action(async (capability: string, o: MeshFlags & { gpu?: boolean; tag?: string[]; json?: boolean }) => {
    const query = { ...(o.gpu === true ? { gpu: true } : {}), ...(o.tag === undefined ? {} : { tags: o.tag }) }
    let asker = 'this node'
    const why = await askNodeOrMesh<Explanation>(
      o,
      async (c) => (await c.call('explain', { capability, ...query })) as Explanation,
      (node) => {
        asker = 'this client'
        return node.explain(capability, query)
      },
    )
    if (o.json === true) return console.log(JSON.stringify(why))
    console.log(`${asker} ${why.local}`)
    console.log(`decision: ${why.decision}`)
    if (why.candidates.length === 0) console.log('no remote provider advertises it, and the DHT found none')
    else
      printTable(
        ['PEER', 'ELIGIBLE', 'WHY'],
        why.candidates.map((c) => [short(c.peer), c.eligible ? 'yes' : 'no', c.why]),
      )
  })

  cli
    .command('status')
    .description(
      "the data dir's node: name, addresses, joined or ISOLATED, peers and members, certificate expiry and renewal, load and jobs in flight (exit 0 joined)",
    )
    .option('--data-dir <dir>', 'node data directory (default: $CRANK_DATA_DIR or ~/.crank)')
    .option('--json', 'one JSON object')
    .action(async (o: { dataDir?: string; json?: boolean }) => {
      const dataDir = dataDirFrom(o.dataDir)
      const client = await connectToNode(dataDir)
      let status: StatusView | NodeStatus | undefined
      if (client !== undefined) {
        try {
          status = (await client.call('status')) as StatusView
        } finally {
          client.close()
        }
      } else status = await readNodeStatus(dataDir)
      if (status === undefined)
        throw new CrankError(ErrorCodes.notStarted, `no node status in ${dataDir}: start the node with \`crank-node start\``)
      if (o.json === true) console.log(JSON.stringify(status))
      else console.log(('addresses' in status ? describeLiveStatus(status) : describeNodeStatus(status)).join('\n'))
      // Scripts can test it: 0 joined, 1 isolated or not running.
      process.exitCode = status.alive && status.connectivity.state === 'joined' ? 0 : 1
    })
}
