/**
 * The CLI's view of a mesh: an ephemeral node (no listener) that dials the bootstrap peers,
 * and the members the data dir's address book knows, listens to adverts for a moment, and
 * answers.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { AnyCapability } from '../capability.ts'
import type { PartialConfig } from '../config.ts'
import { CrankError, ErrorCodes } from '../errors.ts'
import { ADDRESS_BOOK_FILE } from '../net/address-book.ts'
import { IDENTITY_FILE } from '../net/identity.ts'
import { type CrankNode, createNode } from '../node.ts'

export interface MeshClientOptions {
  /** The data dir's identity and membership certificate are used when it has them. */
  dataDir: string
  layers: PartialConfig
  /** Extra bootstrap peers from flags. */
  bootstrap: string[]
  /** Longest wait for adverts, ms. */
  waitMs: number
  /**
   * Serve this capability (`id` or `id@range`) in-process when it is a built-in, so that
   * `--route local`/`prefer-local` can run it here. Only it is loaded, not the whole catalogue.
   */
  builtin?: string
  /** The job is pinned to a peer given on the command line. */
  pinned?: boolean
}

export async function withMeshClient<T>(opts: MeshClientOptions, fn: (node: CrankNode) => Promise<T>): Promise<T> {
  const bootstrap = [...(opts.layers.bootstrap ?? []), ...opts.bootstrap]
  const enrolled = existsSync(join(opts.dataDir, IDENTITY_FILE))
  const hasBook = enrolled && existsSync(join(opts.dataDir, ADDRESS_BOOK_FILE))
  // With nobody to talk to (no mesh, no peer), the client only runs built-ins in-process: no trust needed.
  const isolated = bootstrap.length === 0 && !hasBook && !opts.pinned
  const node = await createNode({
    ...(opts.layers.mesh === undefined ? {} : { mesh: opts.layers.mesh }),
    ...(opts.layers.trust === undefined ? {} : { trust: opts.layers.trust }),
    ...(isolated ? { trust: { openMesh: true } } : {}),
    ...(enrolled ? { dataDir: opts.dataDir } : {}),
    listen: [],
    bootstrap,
    logLevel: 'error',
    client: true,
    capabilities: await builtinFor(opts.builtin),
  })
  await node.start()
  try {
    // Members the data dir's node has met: the mesh is still reachable when its seeds are down.
    const known = opts.pinned === true ? [] : knownMembers(node, bootstrap)
    const entry = [...bootstrap, ...known]
    // Each peer's membership Hello is awaited, not just the connection: it carries the mesh's
    // newest CRL, which must be in hand before this client trusts any other peer.
    const reached = await Promise.allSettled(
      entry.map(async (addr) => {
        const peer = await node.connect(addr)
        await node.membership.authorize(peer).catch(() => {})
      }),
    )
    if (entry.length > 0 && reached.every((r) => r.status === 'rejected')) {
      const why = (reached[0] as PromiseRejectedResult).reason as Error
      const also = known.length === 0 ? '' : ` nor ${known.length} member(s) from the address book`
      throw new CrankError(ErrorCodes.peerUnreachable, `no bootstrap peer answered (${bootstrap.join(', ')})${also}: ${why.message}`)
    }
    // A pinned job needs no adverts; its bootstrap peers were dialled for the CRL alone.
    if (entry.length > 0 && opts.pinned !== true) await settleAdverts(node, opts.waitMs)
    return await fn(node)
  } finally {
    await node.stop({ drainTimeoutMs: 0 })
  }
}

async function builtinFor(capability: string | undefined): Promise<AnyCapability[]> {
  if (capability === undefined) return []
  const { loadBuiltin } = await import('../../capabilities/builtin-loaders.ts')
  const cap = await loadBuiltin(capability)
  return cap === undefined ? [] : [cap]
}

/** Members the client dials besides the bootstrap peers, most recently seen first. */
const MAX_BOOK_DIALS = 4

function knownMembers(node: CrankNode, bootstrap: string[]): string[] {
  const self = node.peerId.toString()
  return node.connectivity.addressBook
    .entries()
    .filter((e) => e.peer !== self && !bootstrap.some((b) => b.endsWith(`/p2p/${e.peer}`)))
    .slice(0, MAX_BOOK_DIALS)
    .map((e) => `${e.addrs[0]}/p2p/${e.peer}`)
}

/** Waits until adverts stop arriving for a moment (peers answer a newcomer at once), or `waitMs`. */
async function settleAdverts(node: CrankNode, waitMs: number): Promise<void> {
  const end = Date.now() + waitMs
  let last = -1
  let stableSince = Date.now()
  while (Date.now() < end) {
    const n = node.mesh.all().length
    if (n !== last) {
      last = n
      stableSince = Date.now()
    } else if (n > 0 && Date.now() - stableSince > 700) return
    await new Promise((r) => setTimeout(r, 50))
  }
}
