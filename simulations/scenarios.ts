/**
 * Scenarios: converge (how fast the mesh learns a capability), load (latency and
 * balance of M jobs from random nodes) and churn (providers killed under load;
 * every job must reach a terminal state).
 */

import { performance } from 'node:perf_hooks'
import type { JobReport } from '../src/jobs/job-handle.ts'
import { buildMesh, type SimMesh, type SimMeshOptions } from './sim-mesh.ts'
import type { SimNode } from './sim-node.ts'
import { percentiles } from './stats.ts'

export interface ScenarioOptions extends SimMeshOptions {
  jobs: number
  concurrency: number
  kill: number
  /** converge: providers started one after another once the mesh has formed. */
  joins: number
  /** converge: wait after formation before the joins. */
  settleMs: number
  /** seed-restart: how long the seeds stay down (default: until the others have dropped their adverts). */
  outageMs?: number
  /** late-seed: how long the other nodes run, redialling, before the seeds start. */
  seedDelayMs?: number
}

export type ScenarioResult = Record<string, unknown>

async function until(ok: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) return false
    await new Promise((r) => setTimeout(r, 5))
  }
  return true
}

const knowsAll = (n: SimNode, providers: SimNode[]): boolean => providers.every((p) => p === n || n.learnedAt(p.peerId) !== undefined)

/**
 * Time for each node to know every provider, from mesh start; then, once the mesh has formed,
 * for each of `joins` newly started providers to reach every node. Times come from the node
 * that learned (the registry's `added` event), not from this loop's polling.
 */
export async function converge(opts: ScenarioOptions): Promise<ScenarioResult> {
  const t0 = Date.now()
  const mesh = await buildMesh(opts)
  const built = Date.now() - t0
  try {
    const formedAll = await formed(mesh)
    const formedMs = mesh.nodes
      .filter((n) => knowsAll(n, mesh.providers))
      .map((n) => Math.max(0, ...mesh.providers.filter((p) => p !== n).map((p) => n.learnedAt(p.peerId)! - t0)))
    // Let the connection top-ups that follow formation finish (each node dials up to mesh.minPeers
    // peers on its heartbeat) so that the joins below measure a formed mesh, not its construction.
    await new Promise((r) => setTimeout(r, opts.settleMs))
    // The figure that matters once the mesh exists: a new capability provider appears; how long until everyone can route to it?
    const elu0 = performance.eventLoopUtilization()
    const reached: number[] = []
    const joinMs: number[] = []
    let missed = 0
    for (let j = 0; j < opts.joins; j++) {
      const before = mesh.nodes.slice()
      const t1 = Date.now()
      const fresh = await mesh.addNode({ provider: true })
      joinMs.push(Date.now() - t1)
      await until(() => before.every((n) => n.learnedAt(fresh.peerId) !== undefined), 30_000)
      for (const n of before) {
        const at = n.learnedAt(fresh.peerId)
        if (at === undefined) missed++
        else reached.push(at - fresh.startedAt)
      }
      await new Promise((r) => setTimeout(r, 1000))
    }
    const busy = performance.eventLoopUtilization(elu0).utilization
    return {
      scenario: 'converge',
      nodes: opts.nodes,
      providers: mesh.providers.length - opts.joins,
      buildMs: built,
      formed: formedAll,
      formedMs: percentiles(formedMs),
      // Creating each new provider (key, certificate, process spawn, start, seed dials), as the harness saw it.
      newProviderStartMs: percentiles(joinMs),
      // From each new provider's node start (libp2p start, dials, membership, first advert) until each node knew it.
      newProviderMs: percentiles(reached),
      newProviderMissed: missed,
      // How busy this process's event loop was during the joins: in one-process mode every node shares it.
      harnessEventLoopBusy: Math.round(busy * 100) / 100,
    }
  } finally {
    await mesh.stop()
  }
}

/** A job's report, with the provider that ran it (a local run is the submitting node) and its place in the run. */
interface Ran {
  report: JobReport
  provider: string | undefined
  index: number
}

async function runJobs(nodes: SimNode[], opts: ScenarioOptions, during?: (done: () => number) => Promise<void>) {
  const reports: Ran[] = []
  let started = 0
  let ended = 0
  const pending = new Set<Promise<unknown>>()
  const t0 = Date.now()
  const worker = async (): Promise<void> => {
    while (started < opts.jobs) {
      const index = started++
      const node = nodes[Math.floor(Math.random() * nodes.length)]!
      const p = node.submit({ workMs: opts.workMs, deadlineMs: 30_000 })
      pending.add(p)
      const report = await p
      pending.delete(p)
      reports.push({ report, index, provider: report.route?.peer === 'local' ? node.peerId : report.route?.peer })
      ended++
    }
  }
  const workers = Array.from({ length: opts.concurrency }, worker)
  if (during !== undefined) await during(() => ended)
  await Promise.race([Promise.all(workers), new Promise((r) => setTimeout(r, 120_000))])
  return { reports, started, ended, lost: started - ended, seconds: (Date.now() - t0) / 1000 }
}

function summarise(ran: Ran[], jobs: number) {
  const reports = ran.map((r) => r.report)
  const byState: Record<string, number> = {}
  const byCode: Record<string, number> = {}
  for (const r of reports) {
    byState[r.state] = (byState[r.state] ?? 0) + 1
    if (r.error !== undefined) byCode[r.error.code] = (byCode[r.error.code] ?? 0) + 1
  }
  const share: Record<string, number> = {}
  for (const r of ran) if (r.report.state === 'succeeded' && r.provider !== undefined) share[r.provider] = (share[r.provider] ?? 0) + 1
  const ok = reports.filter((r) => r.state === 'succeeded').length
  const succeeded = (from: number) => ran.filter((r) => r.index >= from && r.report.state === 'succeeded').map((r) => r.report.durationMs)
  const shares = Object.values(share).map((n) => n / Math.max(1, ok))
  return {
    byState,
    byCode,
    latencyMs: percentiles(succeeded(0)),
    // The second half of the run: most routes already have a connection (the first job on a
    // pair pays for the dial, TLS and membership handshakes).
    warmLatencyMs: percentiles(succeeded(Math.floor(jobs / 2))),
    balance: { providersUsed: shares.length, maxShare: Math.max(0, ...shares), minShare: shares.length ? Math.min(...shares) : 0 },
    retried: reports.filter((r) => r.attempts > 1).length,
  }
}

export function formed(mesh: SimMesh): Promise<boolean> {
  return until(() => mesh.nodes.every((n) => knowsAll(n, mesh.providers)), 60_000)
}

export async function load(opts: ScenarioOptions): Promise<ScenarioResult> {
  const mesh = await buildMesh(opts)
  try {
    await formed(mesh)
    const run = await runJobs(mesh.nodes, opts)
    return {
      scenario: 'load',
      nodes: opts.nodes,
      providers: mesh.providers.length,
      jobs: run.started,
      lost: run.lost,
      jobsPerSec: run.started / run.seconds,
      ...summarise(run.reports, opts.jobs),
    }
  } finally {
    await mesh.stop()
  }
}

export async function churn(opts: ScenarioOptions): Promise<ScenarioResult> {
  const mesh = await buildMesh(opts)
  try {
    await formed(mesh)
    const victims = mesh.providers.slice(0, Math.max(1, Math.round(opts.kill * mesh.providers.length)))
    const survivors = mesh.nodes.filter((n) => !victims.includes(n))
    const run = await runJobs(survivors, opts, async (done) => {
      // Kill once a quarter of the jobs are through, without draining (in process mode, SIGKILL).
      await until(() => done() >= opts.jobs / 4, 60_000)
      await Promise.all(victims.map((v) => v.kill()))
    })
    return {
      scenario: 'churn',
      nodes: opts.nodes,
      providers: mesh.providers.length,
      killed: victims.length,
      jobs: run.started,
      ended: run.ended,
      lost: run.lost,
      ...summarise(run.reports, opts.jobs),
    }
  } finally {
    await mesh.stop()
  }
}

/**
 * From `since`, how long until each node knew every provider: per node, the latest first-learned
 * time among the providers, as the node itself timed it (0 for what it already knew). Nodes that
 * still miss a provider are counted, not timed.
 */
export function wholeTimes(mesh: SimMesh, since: number): { times: number[]; incomplete: number } {
  const complete = mesh.nodes.filter((n) => knowsAll(n, mesh.providers))
  return {
    times: complete.map((n) => Math.max(0, ...mesh.providers.filter((p) => p !== n).map((p) => n.learnedAt(p.peerId)! - since))),
    incomplete: mesh.nodes.length - complete.length,
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/**
 * The seeds (bootstrap peers, which also serve) stop cleanly while the mesh runs, stay down long
 * enough for everyone to drop their adverts, and come back with their identities, addresses and
 * data dirs. Reports whether the rest of the mesh held together meanwhile, and the time from the
 * seeds' restart until every node knows every provider again.
 */
export async function seedRestart(opts: ScenarioOptions): Promise<ScenarioResult> {
  const seeds = opts.seeds ?? 2
  const mesh = await buildMesh({ ...opts, seeds })
  try {
    const formedAll = await formed(mesh)
    const outageMs = opts.outageMs ?? 4 * opts.heartbeatMs + 1000
    const oldSeeds = mesh.seeds.slice()
    const rest = mesh.nodes.filter((n) => !oldSeeds.includes(n))
    const restProviders = mesh.providers.filter((p) => !oldSeeds.includes(p))
    await mesh.stopSeeds()
    await sleep(outageMs)
    const restWhole = rest.every((n) => knowsAll(n, restProviders))
    const droppedSeeds = rest.filter((n) => oldSeeds.every((s) => n.learnedAt(s.peerId) === undefined)).length
    const t1 = Date.now()
    await mesh.startSeeds()
    const seedStartMs = Date.now() - t1
    const whole = await until(() => mesh.nodes.every((n) => knowsAll(n, mesh.providers)), 60_000)
    const { times, incomplete } = wholeTimes(mesh, t1)
    return {
      scenario: 'seed-restart',
      nodes: opts.nodes,
      seeds,
      providers: mesh.providers.length,
      formed: formedAll,
      outageMs,
      // During the outage: the other nodes still knew each other's providers (the mesh did not split),
      // and how many of them had dropped the seeds' adverts by the time the seeds came back.
      restWholeDuringOutage: restWhole,
      droppedSeedAdverts: droppedSeeds,
      seedStartMs,
      whole,
      // From the seeds' restart until each node knew every provider again (the seeds included).
      wholeAgainMs: percentiles(times),
      incompleteNodes: incomplete,
    }
  } finally {
    await mesh.stop()
  }
}

/**
 * Every node starts before its seeds, bootstrapping from the seeds alone, and keeps redialling
 * them; the seeds start `seedDelayMs` later. Reports the time from the seeds' start until every
 * node knows every provider.
 */
export async function lateSeed(opts: ScenarioOptions): Promise<ScenarioResult> {
  const seeds = opts.seeds ?? 1
  const mesh = await buildMesh({ ...opts, seeds, lateSeeds: true })
  try {
    const seedDelayMs = opts.seedDelayMs ?? 2 * opts.heartbeatMs
    await sleep(seedDelayMs)
    const knewNothing = mesh.nodes.filter((n) => mesh.providers.every((p) => p === n || n.learnedAt(p.peerId) === undefined)).length
    const t1 = Date.now()
    await mesh.startSeeds()
    const seedStartMs = Date.now() - t1
    const whole = await until(() => mesh.nodes.every((n) => knowsAll(n, mesh.providers)), 60_000)
    const { times, incomplete } = wholeTimes(mesh, t1)
    return {
      scenario: 'late-seed',
      nodes: opts.nodes,
      seeds,
      providers: mesh.providers.length,
      seedDelayMs,
      // Nodes that knew no provider at all when the seeds started (all of them, unless they met otherwise).
      isolatedBeforeSeeds: knewNothing,
      seedStartMs,
      whole,
      // From the seeds' start until each node knew every provider.
      wholeMs: percentiles(times),
      incompleteNodes: incomplete,
    }
  } finally {
    await mesh.stop()
  }
}
