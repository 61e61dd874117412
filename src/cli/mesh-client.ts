/**
 * The CLI's view of a mesh: an ephemeral node (fresh identity, no listener)
 * that dials the bootstrap peers, listens to adverts for a moment, and answers.
 */
import { builtinCapabilities } from '../../capabilities/index.ts'
import type { PartialConfig } from '../config.ts'
import { CrankError, ErrorCodes } from '../errors.ts'
import { type CrankNode, createNode } from '../node.ts'

export interface MeshClientOptions {
  layers: PartialConfig
  /** Extra bootstrap peers from flags. */
  bootstrap: string[]
  /** Longest wait for adverts, ms. */
  waitMs: number
  /** Serve the built-in capabilities too, so `--route local`/`prefer-local` can run here. */
  serveBuiltins: boolean
}

export async function withMeshClient<T>(opts: MeshClientOptions, fn: (node: CrankNode) => Promise<T>): Promise<T> {
  const bootstrap = [...(opts.layers.bootstrap ?? []), ...opts.bootstrap]
  const node = await createNode({
    ...(opts.layers.mesh === undefined ? {} : { mesh: opts.layers.mesh }),
    listen: [],
    bootstrap,
    logLevel: 'error',
    capabilities: opts.serveBuiltins ? builtinCapabilities : [],
  })
  await node.start()
  try {
    const reached = await Promise.allSettled(bootstrap.map((addr) => node.connect(addr)))
    if (bootstrap.length > 0 && reached.every((r) => r.status === 'rejected')) {
      const why = (reached[0] as PromiseRejectedResult).reason as Error
      throw new CrankError(ErrorCodes.peerUnreachable, `no bootstrap peer answered (${bootstrap.join(', ')}): ${why.message}`)
    }
    if (bootstrap.length > 0) await settleAdverts(node, opts.waitMs)
    return await fn(node)
  } finally {
    await node.stop({ drainTimeoutMs: 0 })
  }
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
