/**
 * Builds a simulated mesh in this process: N real Crank nodes (real libp2p, TLS,
 * yamux, gossipsub) on the memory or loopback TCP transport. Node 0 is the seed;
 * every other node bootstraps from the seed and one random earlier node, so the
 * topology is connected without being a star.
 */
import { defineCapability } from '../src/capability.ts'
import { type CrankNode, createNode } from '../src/node.ts'
import { EphemeralCA } from '../src/trust/ephemeral-ca.ts'

export type SimTransport = 'memory' | 'tcp'

export interface SimMeshOptions {
  nodes: number
  providers: number
  transport: SimTransport
  heartbeatMs: number
  dht: boolean
  /** Milliseconds each sim.work job holds its slot. */
  workMs: number
}

export const simWork = defineCapability<{ ms?: number }, { ok: true }>({
  id: 'sim.work',
  version: '1.0.0',
  description: 'holds a slot for a while, like a small real job',
  concurrency: 8,
  queue: { limit: 256 },
  input: { type: 'object', properties: { ms: { type: 'integer', minimum: 0 } }, additionalProperties: false },
  output: { type: 'object', properties: { ok: { const: true } }, required: ['ok'] },
  async handler(ctx) {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, ctx.params.ms ?? 5)
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(t)
        reject(ctx.signal.reason)
      })
    })
    return { ok: true }
  },
})

let meshCounter = 0

export interface SimMesh {
  nodes: CrankNode[]
  providers: CrankNode[]
  addNode(opts: { provider: boolean }): Promise<CrankNode>
  stop(): Promise<void>
}

export async function buildMesh(opts: SimMeshOptions): Promise<SimMesh> {
  const id = `${process.pid}-${++meshCounter}`
  // Every simulated node is a real enrolled member: membership exchange is part of what is measured.
  const ca = await EphemeralCA.create()
  const nodes: CrankNode[] = []
  const providers: CrankNode[] = []
  const addrOf = (n: CrankNode): string => {
    const ma = n.multiaddrs.find((a) => a.toString().includes(opts.transport === 'tcp' ? '/tcp/' : '/memory/'))
    return `${ma!.toString().replace(/\/p2p\/.*$/, '')}/p2p/${n.peerId}`
  }
  const addNode = async ({ provider }: { provider: boolean }): Promise<CrankNode> => {
    const i = nodes.length
    const seeds = i === 0 ? [] : [...new Set([addrOf(nodes[0]!), addrOf(nodes[Math.floor(Math.random() * i)]!)])]
    const node = await createNode({
      name: `sim-${i}`,
      listen: [opts.transport === 'tcp' ? '/ip4/127.0.0.1/tcp/0' : `/memory/sim-${id}-${i}`],
      bootstrap: seeds,
      capabilities: provider ? [simWork] : [],
      logLevel: 'silent',
      ...(await ca.enrol({ name: `sim-${i}` })),
      maxConnections: 1000,
      mesh: { heartbeatMs: opts.heartbeatMs, dht: opts.dht, attempts: 3, banBaseMs: 2000 },
      jobs: { cancelGraceMs: 1000, drainTimeoutMs: 0 },
    })
    await node.start()
    await Promise.allSettled(seeds.map((s) => node.connect(s)))
    nodes.push(node)
    if (provider) providers.push(node)
    return node
  }
  // Providers are spread through the mesh rather than all next to the seed.
  const every = Math.max(1, Math.floor(opts.nodes / Math.max(1, opts.providers)))
  for (let i = 0; i < opts.nodes; i++) await addNode({ provider: providers.length < opts.providers && i % every === every - 1 })
  return {
    nodes,
    providers,
    addNode,
    stop: async () => {
      await Promise.allSettled(nodes.map((n) => n.stop({ drainTimeoutMs: 0 })))
    },
  }
}
