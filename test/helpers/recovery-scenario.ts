/**
 * The kill -9 scenarios of the job store, shared by test/job-store-recovery.test.ts (100 jobs)
 * and bench/store-recovery.bench.ts (1,000): real nodes, real SQLite files, the killed node in a
 * child process.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TerminalState } from '../../src/errors.ts'
import type { JobState } from '../../src/jobs/jobs-api.ts'
import { createNode } from '../../src/node.ts'
import { slowCapability } from './capabilities.ts'
import { storeOf } from './node-store.ts'
import { childIdentity, count, startStoreNode } from './store-process.ts'
import { enrol } from './trust.ts'
import { until } from './wait.ts'

export interface FinalJob {
  id: string
  state: TerminalState
  attempts: number
  code?: string
}

export interface KillReport {
  final: FinalJob[]
  /** Handler runs that completed, per job id, on the provider(s). */
  completions: Map<string, number>
  /** Milliseconds: all submitted and on disk; from the kill to the restarted node's report. */
  timings: { storedMs: number; killToFinalMs: number }
}

const tempDir = (name: string): string => mkdtempSync(join(tmpdir(), `crank-recovery-${name}-`))

/** `n` job durations from 100 ms to about 1.5 s, spread so the kill finds some done, some running. */
export const spreadMs = (n: number): number[] => Array.from({ length: n }, (_, i) => 100 + ((i * 7919) % 1400))

/**
 * A submitting node (child process) sends `ms.length` durable jobs to a provider (this process,
 * with a store); once `killAfter` of them have completed on the provider, the submitter is killed
 * with SIGKILL and started again from its data dir, and reports how every job ended.
 */
export async function killSubmitter(ms: number[], killAfter: number): Promise<KillReport> {
  const completions = new Map<string, number>()
  const providerDir = tempDir('provider')
  const submitterDir = tempDir('submitter')
  const provider = await createNode({
    ...(await enrol({ name: 'provider' })),
    dataDir: providerDir,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    logLevel: 'silent',
    mesh: { dht: false },
    capabilities: [
      slowCapability('test.slow', { concurrency: 10_000, onDone: (id) => completions.set(id, (completions.get(id) ?? 0) + 1) }),
    ],
  })
  await provider.start()
  const bootstrap = [`${provider.multiaddrs[0]!.toString()}`]
  const identity = await childIdentity('submitter')
  try {
    const t0 = performance.now()
    const first = startStoreNode({ mode: 'submit', dataDir: submitterDir, ...identity, bootstrap, jobs: ms })
    try {
      await first.until((ls) => ls.some((l) => 'allStored' in l))
      const storedMs = performance.now() - t0
      let done = 0
      await until(
        `${killAfter} jobs completed on the provider`,
        () => {
          done = [...completions.values()].reduce((a, b) => a + b, 0)
          return done >= killAfter
        },
        120_000,
      )
      await first.kill()
      const killed = performance.now()
      const second = startStoreNode({ mode: 'resume', dataDir: submitterDir, ...identity, bootstrap })
      try {
        const lines = await second.until((ls) => ls.some((l) => 'final' in l))
        const final = (lines.find((l) => 'final' in l) as { final: FinalJob[] }).final
        return { final, completions, timings: { storedMs, killToFinalMs: performance.now() - killed } }
      } finally {
        await second.kill()
      }
    } finally {
      await first.kill()
    }
  } finally {
    await provider.stop()
    rmSync(providerDir, { recursive: true, force: true })
    rmSync(submitterDir, { recursive: true, force: true })
  }
}

export interface ProviderKillReport {
  outcomes: Array<{ id: string; state: JobState; attempts: number; peer?: string }>
  /** Completions on the provider that was killed (from its output, up to the kill). */
  killedCompletions: number
  /** Completions per job id on the provider that took over. */
  completions: Map<string, number>
  /** Events of one job, to show the retry. */
  sampleEvents: string[]
  timings: { killToAllEndedMs: number }
  peers: { killed: string; survivor: string }
}

/**
 * The submitter (this process, durable jobs) sends `n` jobs that take long to a provider in a
 * child process; once all of them run there, a second provider (this process) joins and the first
 * is killed with SIGKILL. Every job is retried on the survivor.
 */
export async function killProvider(n: number): Promise<ProviderKillReport> {
  const dirs = [tempDir('submitter'), tempDir('survivor'), tempDir('doomed')]
  const completions = new Map<string, number>()
  const doomed = startStoreNode({ mode: 'provide', dataDir: dirs[2]!, ...(await childIdentity('doomed')) })
  const common = { listen: ['/ip4/127.0.0.1/tcp/0'], logLevel: 'silent' as const, mesh: { dht: false } }
  const submitter = await createNode({ ...common, ...(await enrol({ name: 'submitter' })), dataDir: dirs[0]! })
  const survivor = await createNode({
    ...common,
    ...(await enrol({ name: 'survivor' })),
    dataDir: dirs[1]!,
    // The jobs ask for a minute; the survivor answers them at once.
    capabilities: [
      slowCapability('test.slow', { maxMs: 50, concurrency: 10_000, onDone: (id) => completions.set(id, (completions.get(id) ?? 0) + 1) }),
    ],
  })
  try {
    const started = (await doomed.until((ls) => ls.some((l) => 'started' in l))).find((l) => 'started' in l) as {
      started: { peerId: string; addr: string }
    }
    await submitter.start()
    await submitter.connect(started.started.addr)
    await until('the submitter knows the doomed provider', () => submitter.mesh.all().length === 1)
    const handles = Array.from({ length: n }, () => submitter.submit({ capability: 'test.slow', params: { ms: 60_000 }, durable: true }))
    await Promise.all(handles.map((h) => h.stored))
    await doomed.until((ls) => count(ls, 'start') >= n)
    await survivor.start()
    await submitter.connect(survivor.multiaddrs[0]!)
    await until('the submitter knows both providers', () => submitter.mesh.all().length === 2)
    await doomed.kill()
    const killed = performance.now()
    const reports = await Promise.all(handles.map((h) => h.outcome))
    const killToAllEndedMs = performance.now() - killed
    const outcomes = await Promise.all(
      reports.map(async (r) => {
        const rec = await storeOf(submitter).get(r.jobId)
        return { id: r.jobId, state: rec.state, attempts: rec.attempts, ...(rec.peer === undefined ? {} : { peer: rec.peer }) }
      }),
    )
    const sampleEvents = (await storeOf(submitter).events(handles[0]!.id)).map((e) =>
      e.type === 'routed' || e.type === 'retrying' ? `${e.type}@${e.peer === started.started.peerId ? 'doomed' : 'survivor'}` : e.type,
    )
    return {
      outcomes,
      killedCompletions: count(doomed.lines, 'done'),
      completions,
      sampleEvents,
      timings: { killToAllEndedMs },
      peers: { killed: started.started.peerId, survivor: survivor.peerId.toString() },
    }
  } finally {
    await doomed.kill()
    await submitter.stop()
    await survivor.stop()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
}
