/**
 * Scenarios: converge (how fast the mesh learns a capability), load (latency and
 * balance of M jobs from random nodes) and churn (providers killed under load;
 * every job must reach a terminal state).
 */

import type { JobReport } from '../src/jobs/job-handle.ts'
import type { CrankNode } from '../src/node.ts'
import { buildMesh, type SimMeshOptions } from './sim-mesh.ts'
import { percentiles } from './stats.ts'

export interface ScenarioOptions extends SimMeshOptions {
  jobs: number
  concurrency: number
  kill: number
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

/** Time for each node to know every provider, from mesh start; then for a newly started provider to reach every node. */
export async function converge(opts: ScenarioOptions): Promise<ScenarioResult> {
  const t0 = Date.now()
  const mesh = await buildMesh(opts)
  const built = Date.now() - t0
  try {
    const known = (n: CrankNode): boolean => mesh.providers.every((p) => p === n || n.mesh.get(p.peerId.toString()) !== undefined)
    const formedAt = new Map<CrankNode, number>()
    await until(() => {
      for (const n of mesh.nodes) if (!formedAt.has(n) && known(n)) formedAt.set(n, Date.now() - t0)
      return formedAt.size === mesh.nodes.length
    }, 60_000)
    // The figure that matters once the mesh exists: a new capability provider appears; how long until everyone can route to it?
    const before = mesh.nodes.slice()
    const t1 = Date.now()
    const fresh = await mesh.addNode({ provider: true })
    const joinedMs = Date.now() - t1
    const peer = fresh.peerId.toString()
    const reachedAt = new Map<CrankNode, number>()
    const complete = await until(() => {
      for (const n of before) if (!reachedAt.has(n) && n.mesh.get(peer) !== undefined) reachedAt.set(n, Date.now() - t1)
      return reachedAt.size === before.length
    }, 30_000)
    return {
      scenario: 'converge',
      nodes: opts.nodes,
      providers: mesh.providers.length - 1,
      buildMs: built,
      formedMs: percentiles([...formedAt.values()]),
      // From the new provider's start; its own start-up (enrol, dial the seeds) takes joinMs of that.
      newProviderJoinMs: joinedMs,
      newProviderMs: percentiles([...reachedAt.values()]),
      newProviderReachedAll: complete,
    }
  } finally {
    await mesh.stop()
  }
}

async function runJobs(nodes: CrankNode[], opts: ScenarioOptions, during?: (done: () => number) => Promise<void>) {
  const reports: JobReport[] = []
  let started = 0
  let ended = 0
  const pending = new Set<Promise<unknown>>()
  const t0 = Date.now()
  const worker = async (): Promise<void> => {
    while (started < opts.jobs) {
      started++
      const node = nodes[Math.floor(Math.random() * nodes.length)]!
      const p = node.submit({ capability: 'sim.work', params: { ms: opts.workMs }, route: 'any', deadlineMs: 30_000 }).outcome
      pending.add(p)
      const r = await p
      pending.delete(p)
      reports.push(r)
      ended++
    }
  }
  const workers = Array.from({ length: opts.concurrency }, worker)
  if (during !== undefined) await during(() => ended)
  await Promise.race([Promise.all(workers), new Promise((r) => setTimeout(r, 120_000))])
  return { reports, started, ended, lost: started - ended, seconds: (Date.now() - t0) / 1000 }
}

function summarise(reports: JobReport[]) {
  const byState: Record<string, number> = {}
  const byCode: Record<string, number> = {}
  for (const r of reports) {
    byState[r.state] = (byState[r.state] ?? 0) + 1
    if (r.error !== undefined) byCode[r.error.code] = (byCode[r.error.code] ?? 0) + 1
  }
  const share: Record<string, number> = {}
  for (const r of reports) if (r.state === 'succeeded' && r.route !== undefined) share[r.route.peer] = (share[r.route.peer] ?? 0) + 1
  const ok = reports.filter((r) => r.state === 'succeeded').length
  const shares = Object.values(share).map((n) => n / Math.max(1, ok))
  return {
    byState,
    byCode,
    latencyMs: percentiles(reports.filter((r) => r.state === 'succeeded').map((r) => r.durationMs)),
    balance: { providersUsed: shares.length, maxShare: Math.max(0, ...shares), minShare: shares.length ? Math.min(...shares) : 0 },
    retried: reports.filter((r) => r.attempts > 1).length,
  }
}

async function formed(mesh: { nodes: CrankNode[]; providers: CrankNode[] }): Promise<boolean> {
  return until(() => mesh.nodes.every((n) => mesh.providers.every((p) => p === n || n.mesh.get(p.peerId.toString()) !== undefined)), 60_000)
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
      ...summarise(run.reports),
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
      // Kill once a quarter of the jobs are through, without draining: as abrupt as an in-process kill gets.
      await until(() => done() >= opts.jobs / 4, 60_000)
      await Promise.all(victims.map((v) => v.libp2p.stop()))
    })
    return {
      scenario: 'churn',
      nodes: opts.nodes,
      providers: mesh.providers.length,
      killed: victims.length,
      jobs: run.started,
      ended: run.ended,
      lost: run.lost,
      ...summarise(run.reports),
    }
  } finally {
    await mesh.stop()
  }
}
