/**
 * Admits and runs jobs on this node's own capabilities, whoever asked: the local
 * API or a remote peer through the job server. Rejections happen here, before a
 * job starts, so both paths reject for the same reasons with the same codes:
 * unknown capability, invalid params, then admission (queue full, draining).
 * Admitted jobs run in the capability's runtime (inline, thread or process).
 */
import type { Logger } from 'pino'
import type { AnyCapability, Caller } from '../capability.ts'
import type { CrankError } from '../errors.ts'
import type { JobRuntime } from '../workers/runtime.ts'
import { checkParams, type JobEventSink, type JobOutcome } from './executor.ts'
import type { JobJournal } from './journal.ts'
import { type CapabilityRegistry, unknownCapabilityError } from './registry.ts'
import type { Priority, Scheduler } from './scheduler.ts'

export interface LocalJobRequest {
  jobId: string
  capability: string
  /** Semver range; empty means any version. */
  versionRange: string
  params: unknown
  input: AsyncIterable<Uint8Array>
  deadline?: number
  priority?: Priority
  signal: AbortSignal
  sink: JobEventSink
  /** `local`, or the remote caller's peer id. */
  caller: string
  /** What membership proved about the caller, handed to the handler as `ctx.caller`. */
  identity?: Caller
}

export type Admission = { accepted: false; error: CrankError } | { accepted: true; capability: AnyCapability; outcome: Promise<JobOutcome> }

export interface LocalJobsOptions {
  registry: CapabilityRegistry
  scheduler: Scheduler
  /** One runtime per capability, keyed by `id@version`. */
  runtimes: Map<string, JobRuntime>
  validateOutput: boolean
  journal: JobJournal
  log: Logger
}

export class LocalJobs {
  private readonly opts: LocalJobsOptions

  constructor(opts: LocalJobsOptions) {
    this.opts = opts
  }

  /** Whether a job of `id` would start now rather than queue. */
  hasCapacity(id: string): boolean {
    const cap = this.opts.registry.resolve(id)
    const load = cap === undefined ? undefined : this.opts.scheduler.load(cap.key)
    return load !== undefined && load.inFlight < load.capacity
  }

  admit(req: LocalJobRequest): Admission {
    const { registry, scheduler, runtimes } = this.opts
    const cap = registry.resolve(req.capability, req.versionRange)
    if (cap === undefined) return { accepted: false, error: unknownCapabilityError(registry, req.capability, req.versionRange) }
    const invalid = checkParams(cap, req.params)
    if (invalid !== undefined) return { accepted: false, error: invalid }
    const runtime = runtimes.get(`${cap.id}@${cap.version}`)
    if (runtime === undefined) return { accepted: false, error: unknownCapabilityError(registry, req.capability, req.versionRange) }
    const startedAt = Date.now()
    const log = this.opts.log
    const admission = scheduler.submit({
      jobId: req.jobId,
      capability: cap.key,
      ...(req.priority === undefined ? {} : { priority: req.priority }),
      ...(req.deadline === undefined ? {} : { deadline: req.deadline }),
      signal: req.signal,
      run: (signal) =>
        runtime.run({
          jobId: req.jobId,
          capability: cap,
          params: req.params,
          input: req.input,
          ...(req.deadline === undefined ? {} : { deadline: req.deadline }),
          signal,
          sink: req.sink,
          validateOutput: this.opts.validateOutput,
          log,
          ...(req.identity === undefined ? {} : { caller: req.identity }),
        }),
    })
    if (!admission.accepted) return admission
    const outcome = admission.outcome.then((outcome) => {
      const endedAt = Date.now()
      if (log.isLevelEnabled('info')) {
        const code = outcome.state === 'succeeded' ? undefined : outcome.error.code
        log.info(
          { job: req.jobId, capability: cap.id, caller: req.caller, state: outcome.state, code, ms: endedAt - startedAt },
          'job ended',
        )
      }
      this.opts.journal.record({
        jobId: req.jobId,
        capability: cap.id,
        version: cap.version,
        caller: req.caller,
        state: outcome.state,
        ...(outcome.state === 'succeeded' ? {} : { error: outcome.error }),
        startedAt,
        endedAt,
      })
      return outcome
    })
    return { accepted: true, capability: cap, outcome }
  }
}
