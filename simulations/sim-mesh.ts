/**
 * Builds a simulated mesh: N real Crank nodes (real libp2p, TLS, yamux,
 * gossipsub, membership certificates) either all in this process (memory or
 * loopback TCP transport) or in other OS processes on loopback TCP, one or more
 * nodes per process. The first `seeds` nodes (default 1)
 * are the seeds, each with a data dir (its address book) and in its own process; every
 * other node bootstraps from the seeds and one random earlier node, so the topology is
 * connected without being a star. With `lateSeeds` the other nodes start first, bootstrapping
 * from the seeds alone, and the seeds come up only when `startSeeds()` is called.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { EphemeralCA } from '../src/trust/ephemeral-ca.ts'
import { sampleProcess } from './meter.ts'
import { type HostSample, NodeHost } from './node-host.ts'
import { driveLoad, type LoadOutcome, type LoadPlan } from './sim-load.ts'
import { inProcessSimNode, type LocalSimNode, type SimNode, type SimNodeSettings, type SimTransport } from './sim-node.ts'

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
  /** Seed (bootstrap) nodes, the first ones built; they also serve sim.work. Default 1 (and then node 0 serves only if planned). */
  seeds?: number
  /** Start every other node first; the seeds start on `startSeeds()`. */
  lateSeeds?: boolean
  /** Hears the count of started nodes after each batch (process mode): how far a build cut short got. */
  onStarted?: (nodes: number) => void
}

export interface SimMesh {
  nodes: SimNode[]
  providers: SimNode[]
  /** The seeds, once started (they replace their old selves in `nodes` and `providers` on restart). */
  seeds: SimNode[]
  addNode(opts: { provider: boolean }): Promise<SimNode>
  /** Starts (or restarts) every seed at its planned address, with its identity and data dir. */
  startSeeds(): Promise<void>
  /** Stops every seed cleanly. */
  stopSeeds(): Promise<void>
  /** Every process that hosts nodes (this one, in one-process mode), sampled at once. */
  sample(): Promise<MeshSample>
  /** Runs `plan` on every node, each host driving its own nodes; the outcomes merged. */
  load(plan: LoadPlan): Promise<LoadOutcome>
  stop(): Promise<void>
}

/** One entry per host process; `seed` marks a seed's own process (process mode). */
export type MeshSample = Array<HostSample & { seed: boolean }>

/** Nodes in other processes start in parallel (a new process spends most of a second loading code); in-process nodes one by one. */
const PROCESS_START_BATCH = 8

let meshCounter = 0

export async function buildMesh(opts: SimMeshOptions): Promise<SimMesh> {
  const id = `${process.pid}-${++meshCounter}`
  const processes = opts.nodesPerProcess > 0
  const transport: SimTransport = processes ? 'tcp' : opts.transport
  const hosts: NodeHost[] = []
  /** Each seed's own process (process mode), the restarted ones included. */
  const seedHosts: NodeHost[] = []
  const local: LocalSimNode[] = []
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
  const settingsFor = async (i: number, provider: boolean, seeds: string[], listen: string): Promise<SimNodeSettings> => {
    const privateKey = await generateKeyPair('Ed25519')
    const issued = await ca.ca.issueMembership({ peerId: peerIdFromPrivateKey(privateKey).toString(), name: `sim-${i}` })
    return {
      name: `sim-${i}`,
      listen,
      seeds,
      provider,
      heartbeatMs: opts.heartbeatMs,
      dht: opts.dht,
      privateKey,
      membership: { ca: ca.ca.certificatePem, certificate: issued.pem },
    }
  }
  const launch = async (settings: SimNodeSettings, ownProcess: boolean): Promise<SimNode> => {
    if (!processes) {
      const node = await inProcessSimNode(settings, transport)
      local.push(node)
      return node
    }
    if (!ownProcess) return hostFor().start(settings)
    const host = new NodeHost()
    seedHosts.push(host)
    return host.start(settings)
  }
  const listenFor = (i: number): string => (transport === 'tcp' ? '/ip4/127.0.0.1/tcp/0' : `/memory/sim-${id}-${i}`)

  // Seeds are planned before anything starts: their keys, data dirs and addresses are fixed, so
  // that nodes started before them (lateSeeds) can name them, and a restart comes back the same.
  const seedCount = Math.max(1, opts.seeds ?? 1)
  const dirs: string[] = []
  const seedPlans: Array<{ settings: SimNodeSettings; addr: string; host?: NodeHost }> = []
  for (let i = 0; i < seedCount; i++) {
    const dataDir = await mkdtemp(join(tmpdir(), 'crank-sim-seed-'))
    dirs.push(dataDir)
    const listen = transport === 'tcp' ? `/ip4/127.0.0.1/tcp/${await freePort()}` : listenFor(i)
    const provider = opts.seeds !== undefined
    const settings = { ...(await settingsFor(i, provider, [], listen)), dataDir }
    seedPlans.push({ settings, addr: `${listen}/p2p/${peerIdFromPrivateKey(settings.privateKey)}` })
  }
  created = seedCount
  const seedAddrs = seedPlans.map((p) => p.addr)
  const seeds: SimNode[] = []
  const replace = (list: SimNode[], old: SimNode | undefined, fresh: SimNode): void => {
    const at = old === undefined ? -1 : list.indexOf(old)
    if (at === -1) list.push(fresh)
    else list[at] = fresh
  }
  const startSeeds = async (): Promise<void> => {
    await Promise.all(
      seedPlans.map(async (plan, k) => {
        // Seeds know each other: each lists the others as its bootstrap peers.
        const fresh = await launch({ ...plan.settings, seeds: seedAddrs.filter((a) => a !== plan.addr) }, true)
        const old = seeds[k]
        replace(nodes, old, fresh)
        if (plan.settings.provider) replace(providers, old, fresh)
        seeds[k] = fresh
      }),
    )
  }
  const stopSeeds = async (): Promise<void> => {
    await Promise.all(seeds.map((s) => s.stop()))
  }

  const addNode = async ({ provider }: { provider: boolean }): Promise<SimNode> => {
    const i = created++
    const others = nodes.filter((n) => !seeds.includes(n))
    const seedsOf = opts.lateSeeds
      ? seedAddrs
      : [...new Set([...seedAddrs, ...(others.length === 0 ? [] : [others[Math.floor(Math.random() * others.length)]!.addr])])]
    const node = await launch(await settingsFor(i, provider, seedsOf, listenFor(i)), false)
    nodes.push(node)
    if (provider) providers.push(node)
    return node
  }
  // Providers are spread through the mesh rather than all next to the seed.
  const every = Math.max(1, Math.floor(opts.nodes / Math.max(1, opts.providers)))
  let planned = 0
  const isProvider = (i: number): boolean => planned < opts.providers && i % every === every - 1 && ++planned > 0
  // A single seed serves sim.work only if the provider plan says so (as node 0 always has).
  if (opts.seeds === undefined) seedPlans[0]!.settings.provider = isProvider(0)
  if (!opts.lateSeeds) await startSeeds()
  if (processes) {
    for (let i = seedCount; i < opts.nodes; i += PROCESS_START_BATCH) {
      const batch = Array.from({ length: Math.min(PROCESS_START_BATCH, opts.nodes - i) }, (_, k) => ({ provider: isProvider(i + k) }))
      await Promise.all(batch.map((b) => addNode(b)))
      opts.onStarted?.(nodes.length)
    }
  } else {
    for (let i = seedCount; i < opts.nodes; i++) await addNode({ provider: isProvider(i) })
  }
  return {
    nodes,
    providers,
    seeds,
    addNode,
    startSeeds,
    stopSeeds,
    sample: async () => {
      if (!processes) {
        const live = local.filter((n) => n.crank.libp2p.status === 'started')
        return [{ seed: false, process: sampleProcess(live.length), nodes: live.map((n) => n.sample()) }]
      }
      const all = [...seedHosts.map((h) => ({ h, seed: true })), ...hosts.map((h) => ({ h, seed: false }))]
      const samples = await Promise.all(all.map(async ({ h, seed }) => ({ seed, s: await h.sample() })))
      return samples.flatMap(({ seed, s }) => (s === undefined ? [] : [{ ...s, seed }]))
    },
    load: async (plan) => {
      const outcomes = processes
        ? await Promise.all([...seedHosts, ...hosts].map((h) => h.load(plan)))
        : [
            await driveLoad(
              local.filter((n) => n.crank.libp2p.status === 'started').map((n) => n.crank),
              plan,
            ),
          ]
      const merged: LoadOutcome = { submitted: 0, byState: {}, byCode: {}, remote: 0, latencies: [] }
      for (const o of outcomes) {
        if (o === undefined) continue
        merged.submitted += o.submitted
        merged.remote += o.remote
        merged.latencies.push(...o.latencies)
        for (const [k, n] of Object.entries(o.byState)) merged.byState[k] = (merged.byState[k] ?? 0) + n
        for (const [k, n] of Object.entries(o.byCode)) merged.byCode[k] = (merged.byCode[k] ?? 0) + n
      }
      return merged
    },
    stop: async () => {
      await Promise.allSettled(processes ? [...hosts.map((h) => h.stop()), ...seeds.map((s) => s.stop())] : nodes.map((n) => n.stop()))
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
    },
  }
}

/** A loopback TCP port nobody listens on now (the seed binds it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}
