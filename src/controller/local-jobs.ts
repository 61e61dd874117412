/**
 * Admits and runs jobs on this node's own capabilities, whoever asked: the local
 * API or a remote peer through the job server. Rejections happen here, before a
 * job starts, so both paths reject for the same reasons with the same codes.
 */
import type { Logger } from 'pino'
import type { AnyCapability } from '../capability.ts'
import type { CrankError } from '../errors.ts'
import { checkParams, executeJob, type JobEventSink, type JobOutcome } from './executor.ts'
import type { JobJournal } from './journal.ts'
import { type CapabilityRegistry, unknownCapabilityError } from './registry.ts'

export interface LocalJobRequest {
  jobId: string
  capability: string
  /** Semver range; empty means any version. */
  versionRange: string
  params: unknown
  input: AsyncIterable<Uint8Array>
  deadline?: number
  signal: AbortSignal
  sink: JobEventSink
  /** `local`, or the remote caller's peer id. */
  caller: string
}

export type Admission = { accepted: false; error: CrankError } | { accepted: true; capability: AnyCapability; outcome: Promise<JobOutcome> }

export interface LocalJobsOptions {
  registry: CapabilityRegistry
  validateOutput: boolean
  journal: JobJournal
  log: Logger
}

export class LocalJobs {
  private readonly opts: LocalJobsOptions
  private inFlight = 0

  constructor(opts: LocalJobsOptions) {
    this.opts = opts
  }

  get running(): number {
    return this.inFlight
  }

  admit(req: LocalJobRequest): Admission {
    const cap = this.opts.registry.resolve(req.capability, req.versionRange)
    if (cap === undefined) return { accepted: false, error: unknownCapabilityError(this.opts.registry, req.capability, req.versionRange) }
    const invalid = checkParams(cap, req.params)
    if (invalid !== undefined) return { accepted: false, error: invalid }
    this.inFlight++
    const startedAt = Date.now()
    const log = this.opts.log
    const outcome = executeJob({
      jobId: req.jobId,
      capability: cap,
      params: req.params,
      input: req.input,
      ...(req.deadline === undefined ? {} : { deadline: req.deadline }),
      signal: req.signal,
      sink: req.sink,
      validateOutput: this.opts.validateOutput,
      log,
    }).then((outcome) => {
      this.inFlight--
      const endedAt = Date.now()
      if (log.isLevelEnabled('info')) {
        const code = outcome.state === 'succeeded' ? undefined : outcome.error.code
        log.info({ job: req.jobId, capability: cap.id, caller: req.caller, state: outcome.state, code, ms: endedAt - startedAt }, 'job ended')
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
