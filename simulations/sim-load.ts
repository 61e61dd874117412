/**
 * A steady job load stated per node: each node submits `ratePerNode` sim.work jobs a second, evenly
 * spaced from a random phase, for `durationMs` (open loop: a slow mesh does not lower the offered
 * load: submissions follow a fixed schedule, and a late timer catches up). Driven inside the
 * process that hosts the nodes, so that the harness adds no IPC per job to the CPU being measured.
 */
import type { CrankNode } from '../src/node.ts'
import { submitSimJob } from './sim-node.ts'

export interface LoadPlan {
  ratePerNode: number
  durationMs: number
  workMs: number
  /** Deadline of each job. */
  deadlineMs: number
}

export interface LoadOutcome {
  submitted: number
  byState: Record<string, number>
  /** Error codes of the jobs that did not succeed. */
  byCode: Record<string, number>
  /** Remote runs (the route named another node) among the succeeded. */
  remote: number
  /** Durations of the succeeded jobs, ms. */
  latencies: number[]
}

export async function driveLoad(nodes: CrankNode[], plan: LoadPlan): Promise<LoadOutcome> {
  const out: LoadOutcome = { submitted: 0, byState: {}, byCode: {}, remote: 0, latencies: [] }
  if (plan.ratePerNode <= 0 || nodes.length === 0) return out
  const gapMs = 1000 / plan.ratePerNode
  const end = Date.now() + plan.durationMs
  const jobs: Array<Promise<void>> = []
  const submit = (node: CrankNode): void => {
    out.submitted++
    jobs.push(
      submitSimJob(node, { workMs: plan.workMs, deadlineMs: plan.deadlineMs }).then((r) => {
        out.byState[r.state] = (out.byState[r.state] ?? 0) + 1
        if (r.error !== undefined) out.byCode[r.error.code] = (out.byCode[r.error.code] ?? 0) + 1
        if (r.state !== 'succeeded') return
        out.latencies.push(r.durationMs)
        if (r.route !== undefined && r.route.peer !== 'local') out.remote++
      }),
    )
  }
  await Promise.all(
    nodes.map(
      (node) =>
        new Promise<void>((resolve) => {
          let next = Date.now() + Math.random() * gapMs
          const tick = (): void => {
            while (next <= Date.now() && next < end) {
              submit(node)
              next += gapMs
            }
            if (next >= end) resolve()
            else setTimeout(tick, next - Date.now())
          }
          tick()
        }),
    ),
  )
  // The window lasts the whole duration even when the last submissions fall early in it.
  await new Promise((r) => setTimeout(r, Math.max(0, end - Date.now())))
  await Promise.all(jobs)
  return out
}
