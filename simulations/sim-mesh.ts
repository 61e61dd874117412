/**
 * Builds a simulated mesh: N real Crank nodes (real libp2p, TLS, yamux,
 * gossipsub, membership certificates) either all in this process (memory or
 * loopback TCP transport) or in other OS processes on loopback TCP, one or more
 * nodes per process. Node 0
 * is the seed; every other node bootstraps from the seed and one random earlier
 * node, so the topology is connected without being a star.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { EphemeralCA } from '../src/trust/ephemeral-ca.ts'
import { NodeHost } from './node-host.ts'
import { inProcessSimNode, type SimNode, type SimTransport } from './sim-node.ts'

export interface SimMeshOptions {
  nodes: number
  providers: number
  transport: SimTransport
  /** Nodes per OS process on loopback TCP; 0 runs every node in this process. */
  nodesPerProcess: number
  heartbeatMs: number
  dht: boolean
  /** Milliseconds each sim.work job holds its slot. */
  workMs: number
}

export interface SimMesh {
  nodes: SimNode[]
  providers: SimNode[]
  addNode(opts: { provider: boolean }): Promise<SimNode>
  stop(): Promise<void>
}

/** Nodes in other processes start in parallel (a new process spends most of a second loading code); in-process nodes one by one. */
const PROCESS_START_BATCH = 8

let meshCounter = 0

export async function buildMesh(opts: SimMeshOptions): Promise<SimMesh> {
  const id = `${process.pid}-${++meshCounter}`
  const processes = opts.nodesPerProcess > 0
  const transport: SimTransport = processes ? 'tcp' : opts.transport
  const hosts: NodeHost[] = []
  const hostFor = (): NodeHost => {
    let host = hosts.at(-1)
    if (host === undefined || host.size >= opts.nodesPerProcess) {
      host = new NodeHost()
      hosts.push(host)
    }
    return host
  }
  // Every simulated node is a real enrolled member: membership exchange is part of what is measured.
  const ca = await EphemeralCA.create()
  const nodes: SimNode[] = []
  const providers: SimNode[] = []
  let created = 0
  const addNode = async ({ provider }: { provider: boolean }): Promise<SimNode> => {
    const i = created++
    const earlier = nodes.length
    const seeds = earlier === 0 ? [] : [...new Set([nodes[0]!.addr, nodes[Math.floor(Math.random() * earlier)]!.addr])]
    const privateKey = await generateKeyPair('Ed25519')
    const issued = await ca.ca.issueMembership({ peerId: peerIdFromPrivateKey(privateKey).toString(), name: `sim-${i}` })
    const settings = {
      name: `sim-${i}`,
      listen: transport === 'tcp' ? '/ip4/127.0.0.1/tcp/0' : `/memory/sim-${id}-${i}`,
      seeds,
      provider,
      heartbeatMs: opts.heartbeatMs,
      dht: opts.dht,
      privateKey,
      membership: { ca: ca.ca.certificatePem, certificate: issued.pem },
    }
    const node = processes ? await hostFor().start(settings) : await inProcessSimNode(settings, transport)
    nodes.push(node)
    if (provider) providers.push(node)
    return node
  }
  // Providers are spread through the mesh rather than all next to the seed.
  const every = Math.max(1, Math.floor(opts.nodes / Math.max(1, opts.providers)))
  let planned = 0
  const isProvider = (i: number): boolean => planned < opts.providers && i % every === every - 1 && ++planned > 0
  if (processes) {
    await addNode({ provider: isProvider(0) })
    for (let i = 1; i < opts.nodes; i += PROCESS_START_BATCH) {
      const batch = Array.from({ length: Math.min(PROCESS_START_BATCH, opts.nodes - i) }, (_, k) => ({ provider: isProvider(i + k) }))
      await Promise.all(batch.map((b) => addNode(b)))
    }
  } else {
    for (let i = 0; i < opts.nodes; i++) await addNode({ provider: isProvider(i) })
  }
  return {
    nodes,
    providers,
    addNode,
    stop: async () => {
      await Promise.allSettled(processes ? hosts.map((h) => h.stop()) : nodes.map((n) => n.stop()))
    },
  }
}
