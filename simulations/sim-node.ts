/**
 * One simulated node as the scenarios see it, whether it lives in this process
 * or in its own OS process: what it knows of the mesh (and since when), a way to
 * submit a job, and two ways to end (a clean stop, or an abrupt kill).
 */
import type { PrivateKey } from '@libp2p/interface'
import type { JobReport } from '../src/jobs/job-handle.ts'
import { type CrankNode, createNode, type NodeInit } from '../src/node.ts'
import { attachNodeMeter, installProcessMeter, type NodeSample } from './meter.ts'
import { simWork } from './sim-work.ts'

export type SimTransport = 'memory' | 'tcp'

/** The job every scenario sends. */
export interface SimJob {
  workMs: number
  deadlineMs: number
}

export interface SimNode {
  readonly peerId: string
  readonly addr: string
  readonly provider: boolean
  /** When (epoch ms) the node began to start: its libp2p start, seed dials and first advert all come after. */
  readonly startedAt: number
  /** When (epoch ms, this host's clock) this node first learned `peer`'s advert; undefined if it holds none now. */
  learnedAt(peer: string): number | undefined
  submit(job: SimJob): Promise<JobReport>
  /** As abrupt as the mode allows: the transport stops (in-process) or the process is SIGKILLed. */
  kill(): Promise<void>
  stop(): Promise<void>
}

export interface SimNodeSettings {
  name: string
  listen: string
  seeds: string[]
  provider: boolean
  heartbeatMs: number
  dht: boolean
  privateKey: PrivateKey
  membership: { ca: string; certificate: string }
  /** A data dir (seeds): the node keeps its address book there, as a real seed does across restarts. */
  dataDir?: string
}

/** The node config both modes use, so that they simulate the same product. */
export function simNodeConfig(s: SimNodeSettings): NodeInit {
  return {
    name: s.name,
    listen: [s.listen],
    bootstrap: s.seeds,
    capabilities: s.provider ? [simWork] : [],
    // CRANK_SIM_LOG=info (or debug) shows every node's log on stderr.
    logLevel: (process.env.CRANK_SIM_LOG as NodeInit['logLevel']) ?? 'silent',
    privateKey: s.privateKey,
    membership: s.membership,
    ...(s.dataDir === undefined ? {} : { dataDir: s.dataDir }),
    maxConnections: 1000,
    mesh: { heartbeatMs: s.heartbeatMs, dht: s.dht, attempts: 3, banBaseMs: 2000 },
    jobs: { cancelGraceMs: 1000, drainTimeoutMs: 0 },
  }
}

/** Where a node reports what it learns: registry changes, timed by this host's clock. */
export interface MeshWatcher {
  added(peer: string, at: number): void
  removed(peer: string): void
}

/** A node in this process, with what the scale figures read from it. */
export interface LocalSimNode extends SimNode {
  readonly crank: CrankNode
  sample(): NodeSample
}

/**
 * Starts a node and dials its seeds; `watch` hears every registry change from before the start on.
 * The meters (meter.ts) count from before the start too.
 */
export async function startSimNode(
  s: SimNodeSettings,
  watch: MeshWatcher,
): Promise<{ node: CrankNode; startedAt: number; sample: () => NodeSample }> {
  installProcessMeter()
  const node = await createNode(simNodeConfig(s))
  const sample = attachNodeMeter(node)
  node.mesh.on('added', (peer) => watch.added(peer, Date.now()))
  node.mesh.on('removed', (peer) => watch.removed(peer))
  const startedAt = Date.now()
  await node.start()
  // The node dials its seeds itself (and keeps redialling them while below mesh.minPeers); the
  // harness also waits for the first dials, so that a node is "ready" once it is in the mesh.
  // Seeds that are not up yet (late-seed) fail at once and are left to the node's redials.
  await Promise.allSettled(s.seeds.map((seed) => node.connect(seed)))
  return { node, startedAt, sample }
}

export function submitSimJob(node: CrankNode, job: SimJob): Promise<JobReport> {
  return node.submit({ capability: 'sim.work', params: { ms: job.workMs }, route: 'any', deadlineMs: job.deadlineMs, output: 'collect' })
    .outcome
}

export function dialAddr(node: CrankNode, transport: SimTransport): string {
  const ma = node.multiaddrs.find((a) => a.toString().includes(transport === 'tcp' ? '/tcp/' : '/memory/'))
  return `${ma!.toString().replace(/\/p2p\/.*$/, '')}/p2p/${node.peerId}`
}

export async function inProcessSimNode(s: SimNodeSettings, transport: SimTransport): Promise<LocalSimNode> {
  const learned = new Map<string, number>()
  const { node, startedAt, sample } = await startSimNode(s, {
    added: (peer, at) => learned.set(peer, at),
    removed: (peer) => learned.delete(peer),
  })
  return {
    crank: node,
    sample,
    startedAt,
    peerId: node.peerId.toString(),
    addr: dialAddr(node, transport),
    provider: s.provider,
    learnedAt: (peer) => learned.get(peer),
    submit: (job) => submitSimJob(node, job),
    kill: async () => {
      await node.libp2p.stop()
    },
    stop: () => node.stop({ drainTimeoutMs: 0 }),
  }
}
