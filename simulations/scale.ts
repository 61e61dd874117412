/**
 * The scale scenario: what one node costs, in figures that extrapolate to larger meshes. The mesh
 * forms and settles; then one window with nothing but heartbeats and gossip (idle), and one with a
 * job load stated per node. For each window: CPU seconds per second and network bytes per second
 * per node, how many times each advert's signature is verified across the mesh, and the gossip
 * traffic that makes up the bytes (copies, IHAVE/IWANT ids, mesh degree).
 *
 * Method. CPU is process.cpuUsage() of each host process over the window, divided by the live
 * nodes in it (so a process's own overhead, its GC and idle V8, is shared by its nodes). Bytes are
 * the bytesRead/bytesWritten of every TCP socket the process opened or accepted (TLS, yamux and
 * all). Signature checks are calls to Ed25519 verify over gossipsub's signing prefix. See meter.ts.
 */
import { cpus, loadavg } from 'node:os'
import type { ProcessSample } from './meter.ts'
import { formed, type ScenarioOptions, type ScenarioResult, wholeTimes } from './scenarios.ts'
import { buildMesh, type MeshSample } from './sim-mesh.ts'
import { percentiles } from './stats.ts'

export interface ScaleOptions extends ScenarioOptions {
  /** Length of the idle window. */
  idleMs: number
  /** Length of the load window (its trailing jobs are waited for, and the window stretched to cover them). */
  loadMs: number
  /** Jobs each node submits per second during the load window. */
  ratePerNode: number
  /** Hears each phase's figures as soon as they exist (a run cut short still leaves them). */
  progress?: (phase: string, figures: unknown) => void
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export async function scale(opts: ScaleOptions): Promise<ScenarioResult> {
  // The byte counters see TCP sockets only: on the memory transport the byte figures are null.
  const tcp = opts.nodesPerProcess > 0 || opts.transport === 'tcp'
  const t0 = Date.now()
  let reported = 0
  const mesh = await buildMesh({
    ...opts,
    onStarted: (n) => {
      // Every 25 nodes: enough to see where a slow build stands without flooding the log.
      if (n - reported < 25) return
      reported = n
      opts.progress?.('building', { nodes: n, ms: Date.now() - t0, loadavg1: loadavg()[0] })
    },
  })
  const buildMs = Date.now() - t0
  try {
    const whole = await formed(mesh)
    const { times, incomplete } = wholeTimes(mesh, t0)
    const atForm = shape(await mesh.sample())
    opts.progress?.('formed', { buildMs, formed: whole, formMs: percentiles(times), atForm })
    await sleep(opts.settleMs)

    const idle0 = await mesh.sample()
    const idleLoad = loadavg()[0]!
    await sleep(opts.idleMs)
    const idle1 = await mesh.sample()
    opts.progress?.('idle', window(idle0, idle1, tcp))

    const load0 = await mesh.sample()
    const busyLoad = loadavg()[0]!
    const outcome = await mesh.load({ ratePerNode: opts.ratePerNode, durationMs: opts.loadMs, workMs: opts.workMs, deadlineMs: 30_000 })
    const load1 = await mesh.sample()

    const idle = window(idle0, idle1, tcp)
    const loaded = window(load0, load1, tcp)
    const nodes = idle.nodes
    const jobsPerSec = outcome.submitted / (opts.loadMs / 1000)
    return {
      scenario: 'scale',
      nodes: opts.nodes,
      providers: mesh.providers.length,
      processes: idle1.length,
      cores: cpus().length,
      formed: whole,
      incompleteNodes: incomplete,
      buildMs,
      // From the harness's start until each node knew every provider (each node's own clock).
      formMs: percentiles(times),
      atForm,
      idle: { loadavg1: idleLoad, ...idle },
      load: {
        loadavg1: busyLoad,
        offeredPerNode: opts.ratePerNode,
        achievedPerNode: jobsPerSec / Math.max(1, nodes),
        workMs: opts.workMs,
        submitted: outcome.submitted,
        byState: outcome.byState,
        byCode: outcome.byCode,
        remoteShare: outcome.remote / Math.max(1, outcome.byState.succeeded ?? 0),
        latencyMs: percentiles(outcome.latencies),
        ...loaded,
      },
      // What a job adds, mesh-wide: the loaded window's cost over the idle one, per job.
      perJob: {
        cpuMs: ((loaded.cpuSecPerSecPerNode - idle.cpuSecPerSecPerNode) * nodes * 1000) / Math.max(1e-9, jobsPerSec),
        bytes:
          loaded.bytesInPerSecPerNode === null || idle.bytesInPerSecPerNode === null
            ? null
            : ((loaded.bytesInPerSecPerNode - idle.bytesInPerSecPerNode) * nodes) / Math.max(1e-9, jobsPerSec),
      },
    }
  } finally {
    await mesh.stop()
  }
}

interface Delta {
  seconds: number
  nodes: number
  seed: boolean
  cpuSec: number
  loopBusy: number
  bytesIn: number
  bytesOut: number
  sig: ProcessSample['sig']
  certChecks: number
  published: number
  accepted: number
  messages: number
  messageBytes: number
  rpcBytes: number
  ihaveIds: number
  iwantIds: number
  idontwantIds: number
  grafts: number
  prunes: number
  refused: number
  closed: number
}

const sum = <T>(xs: T[], f: (x: T) => number): number => xs.reduce((a, x) => a + f(x), 0)

/** Per-process differences between two samples of the same processes (matched by pid). */
function deltas(a: MeshSample, b: MeshSample): Delta[] {
  const out: Delta[] = []
  for (const after of b) {
    const before = a.find((x) => x.process.pid === after.process.pid)
    if (before === undefined) continue
    const p0 = before.process
    const p1 = after.process
    const nodeSum = (s: typeof after, f: (n: (typeof after.nodes)[number]) => number): number => sum(s.nodes, f)
    const d = (f: (n: (typeof after.nodes)[number]) => number): number => nodeSum(after, f) - nodeSum(before, f)
    out.push({
      seconds: (p1.atMs - p0.atMs) / 1000,
      nodes: p1.nodes,
      seed: after.seed,
      cpuSec: (p1.cpuUs - p0.cpuUs) / 1e6,
      loopBusy: (p1.loopActiveMs - p0.loopActiveMs) / Math.max(1, p1.atMs - p0.atMs),
      bytesIn: p1.bytesIn - p0.bytesIn,
      bytesOut: p1.bytesOut - p0.bytesOut,
      sig: { gossip: p1.sig.gossip - p0.sig.gossip, tls: p1.sig.tls - p0.sig.tls, other: p1.sig.other - p0.sig.other },
      certChecks: p1.certChecks - p0.certChecks,
      published: d((n) => n.published),
      accepted: d((n) => n.accepted),
      messages: d((n) => n.messages),
      messageBytes: d((n) => n.messageBytes),
      rpcBytes: d((n) => n.rpcBytes),
      ihaveIds: d((n) => n.ihaveIds),
      iwantIds: d((n) => n.iwantIds),
      idontwantIds: d((n) => n.idontwantIds),
      grafts: d((n) => n.grafts),
      prunes: d((n) => n.prunes),
      refused: d((n) => n.refused),
      closed: d((n) => n.closed),
    })
  }
  return out
}

/** The figures of one window, per node and per second unless named otherwise. */
function window(a: MeshSample, b: MeshSample, tcp: boolean) {
  const ds = deltas(a, b)
  const nodes = sum(ds, (d) => d.nodes)
  const seconds = Math.max(...ds.map((d) => d.seconds))
  // Each process over its own window (they are sampled a few ms apart).
  const rate = (xs: Delta[], f: (d: Delta) => number): number =>
    sum(xs, (d) => f(d) / d.seconds) /
    Math.max(
      1,
      sum(xs, (d) => d.nodes),
    )
  const bytes = (xs: Delta[], f: (d: Delta) => number): number | null => (tcp ? rate(xs, f) : null)
  const seeds = ds.filter((d) => d.seed)
  const rest = ds.filter((d) => !d.seed)
  const published = sum(ds, (d) => d.published)
  const perAdvert = (f: (d: Delta) => number): number => sum(ds, f) / Math.max(1, published)
  return {
    seconds,
    nodes,
    cpuSecPerSecPerNode: rate(ds, (d) => d.cpuSec),
    bytesInPerSecPerNode: bytes(ds, (d) => d.bytesIn),
    bytesOutPerSecPerNode: bytes(ds, (d) => d.bytesOut),
    // Seeds are dialled by every newcomer and hold more connections than the rest: shown apart.
    nonSeed: {
      cpuSecPerSecPerNode: rate(rest, (d) => d.cpuSec),
      bytesInPerSecPerNode: bytes(rest, (d) => d.bytesIn),
      bytesOutPerSecPerNode: bytes(rest, (d) => d.bytesOut),
    },
    seed: seeds.length === 0 ? undefined : { cpuSecPerSec: rate(seeds, (d) => d.cpuSec), bytesInPerSec: bytes(seeds, (d) => d.bytesIn) },
    // Whether the figures are the nodes' demand or the machine's limit: CPU used of the cores, busiest event loop.
    coresUsed: sum(ds, (d) => d.cpuSec / d.seconds),
    busiestLoop: Math.max(...ds.map((d) => d.loopBusy)),
    // Per host process: [nodes, CPU s/s, event-loop busy fraction].
    perProcess: ds.map((d) => [d.nodes, d.cpuSec / d.seconds, d.loopBusy]),
    advertsPublished: published,
    advertsPerSecPerNode: published / seconds / Math.max(1, nodes),
    // Across the mesh, per advert published: signature verifications, accepted deliveries, full copies received.
    sigChecksPerAdvert: perAdvert((d) => d.sig.gossip),
    acceptedPerAdvert: perAdvert((d) => d.accepted),
    copiesPerAdvert: perAdvert((d) => d.messages),
    advertBytes:
      sum(ds, (d) => d.messageBytes) /
      Math.max(
        1,
        sum(ds, (d) => d.messages),
      ),
    gossip: {
      rpcBytesInPerSecPerNode: rate(ds, (d) => d.rpcBytes),
      ihaveIdsPerSecPerNode: rate(ds, (d) => d.ihaveIds),
      iwantIdsPerSecPerNode: rate(ds, (d) => d.iwantIds),
      idontwantIdsPerSecPerNode: rate(ds, (d) => d.idontwantIds),
      graftPrunePerSecPerNode: rate(ds, (d) => d.grafts + d.prunes),
    },
    // Handshake-time checks in the window (new connections): TLS key signatures, membership certificates.
    tlsSigPerSecPerNode: rate(ds, (d) => d.sig.tls),
    certChecksPerSecPerNode: rate(ds, (d) => d.certChecks),
    // Mesh-wide counts in the window: peers refused by a membership check, connections closed.
    refused: sum(ds, (d) => d.refused),
    closed: sum(ds, (d) => d.closed),
    ...shape(b),
  }
}

/** How connected the nodes are: connections and gossip mesh peers, per node. */
function shape(s: MeshSample) {
  const nodes = s.flatMap((h) => h.nodes)
  return { connectionsPerNode: percentiles(nodes.map((n) => n.connections)), meshPeersPerNode: percentiles(nodes.map((n) => n.meshPeers)) }
}
