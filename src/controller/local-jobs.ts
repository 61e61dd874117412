/**
 * This node's own capabilities and the jobs it runs on them, whoever asked: the
 * local API or a remote peer through the job server. Rejections happen here,
 * before a job starts, so both paths reject for the same reasons with the same
 * codes: unknown capability, invalid params, then admission (queue full,
 * draining). Admitted jobs run in the capability's runtime (inline, thread or
 * process), one runtime per capability version.
 */
import type { Logger } from 'pino'
import type { AnyCapability, Caller } from '../capability.ts'
import type { CrankError } from '../errors.ts'
import type { ServedJobObserver } from '../metrics/node-metrics.ts'
import type { PoolEvent } from '../workers/pool.ts'
import { createRuntime, type JobRuntime } from '../workers/runtime.ts'
import { checkParams, type JobEventSink, type JobOutcome } from './executor.ts'
import type { JobJournal } from './journal.ts'
import type { ProviderQuery } from './mesh-registry.ts'
import { CapabilityRegistry, concurrencyOf, unknownCapabilityError } from './registry.ts'
import type { Priority, Scheduler } from './scheduler.ts'

export interface LocalJobRequest {
  jobId: string
  capability: string
  /** Semver range; empty means any version. */
  versionRange: string
  params: unknown
  input: AsyncIterable<Uint8Array>
  deadline?: number | undefined
  priority?: Priority | undefined
  /**
   * The job's one cancel switch, shared with whoever submitted it: the caller's cancel, the
   * deadline, a drain and an output overflow all abort it, and every layer reads its signal.
   */
  control: AbortController
  sink: JobEventSink
  /** `local`, or the remote caller's peer id. */
  caller: string
  /** What membership proved about the caller, handed to the handler as `ctx.caller`. */
  identity?: Caller | undefined
}

export type Admission = { accepted: false; error: CrankError } | { accepted: true; capability: AnyCapability; outcome: Promise<JobOutcome> }

export interface LocalJobsOptions {
  capabilities: AnyCapability[]
  scheduler: Scheduler
  validateOutput: boolean
  journal: JobJournal
  log: Logger
  /** Told how each job ran, of each refusal, and of worker restarts (metrics); absent, no such work is done. */
  observer?: ServedJobObserver | undefined
}

export class LocalJobs {
  readonly registry: CapabilityRegistry
  private readonly opts: LocalJobsOptions
  private readonly runtimes = new Map<string, JobRuntime>()

  constructor(opts: LocalJobsOptions) {
    this.opts = opts
    this.registry = new CapabilityRegistry(opts.capabilities)
    for (const cap of this.registry.list()) {
      const observer = opts.observer
      const onEvent =
        observer === undefined
          ? undefined
          : (e: PoolEvent): void => {
              if (e.type === 'restart') observer.workerRestarted(cap.id, cap.runtime ?? 'inline')
            }
      this.runtimes.set(`${cap.id}@${cap.version}`, createRuntime(cap, { log: opts.log, ...(onEvent === undefined ? {} : { onEvent }) }))
      // One admission lane per routing key: versions of one major share the slots.
      if (opts.scheduler.load(cap.key) === undefined) {
        opts.scheduler.register(cap.key, {
          concurrency: concurrencyOf(cap),
          ...(cap.queue?.limit === undefined ? {} : { queueLimit: cap.queue.limit }),
          ...(cap.queue?.timeoutMs === undefined ? {} : { queueTimeoutMs: cap.queue.timeoutMs }),
        })
      }
    }
  }

  /** Starts every runtime's workers; resolves when they are ready. */
  async start(): Promise<void> {
    await Promise.all([...this.runtimes.values()].map((r) => r.start()))
  }

  /** Stops every runtime's workers; never rejects. */
  async close(): Promise<void> {
    await Promise.all([...this.runtimes.values()].map((r) => r.close().catch(() => {})))
  }

  /** Whether this node serves a version matching the query, with its GPU and tag constraints. */
  serves(q: ProviderQuery): boolean {
    const cap = this.registry.resolve(q.id, q.range)
    if (cap === undefined) return false
    if (q.gpu === true && cap.resources?.gpu !== true) return false
    return (q.tags ?? []).every((t) => (cap.tags ?? []).includes(t))
  }

  /** Whether a job of `id` would start now rather than queue. */
  hasCapacity(id: string): boolean {
    const cap = this.registry.resolve(id)
    const load = cap === undefined ? undefined : this.opts.scheduler.load(cap.key)
    return load !== undefined && load.inFlight < load.capacity
  }

  admit(req: LocalJobRequest): Admission {
    const admission = this.tryAdmit(req)
    if (!admission.accepted) this.opts.observer?.rejected(admission.error.code)
    return admission
  }

  private tryAdmit(req: LocalJobRequest): Admission {
    const { registry, runtimes } = this
    const cap = registry.resolve(req.capability, req.versionRange)
    if (cap === undefined) return { accepted: false, error: unknownCapabilityError(registry, req.capability, req.versionRange) }
    const invalid = checkParams(cap, req.params)
    if (invalid !== undefined) return { accepted: false, error: invalid }
    const runtime = runtimes.get(`${cap.id}@${cap.version}`)
    if (runtime === undefined) return { accepted: false, error: unknownCapabilityError(registry, req.capability, req.versionRange) }
    const startedAt = Date.now()
    const { log, validateOutput, observer } = this.opts
    let ranAt = startedAt
    const admission = this.opts.scheduler.submit({
      jobId: req.jobId,
      capability: cap.key,
      priority: req.priority,
      deadline: req.deadline,
      signal: req.control.signal,
      control: req.control,
      run: (signal) => {
        if (observer !== undefined) ranAt = Date.now()
        return runtime.run({
          jobId: req.jobId,
          capability: cap,
          params: req.params,
          input: req.input,
          deadline: req.deadline,
          signal,
          control: req.control,
          sink: req.sink,
          validateOutput,
          log,
          caller: req.identity,
        })
      },
    })
    if (!admission.accepted) return admission
    const outcome = admission.outcome.then((outcome) => {
      observer?.served(cap.id, outcome.state, (ranAt - startedAt) / 1000, (Date.now() - ranAt) / 1000)
      return this.ended(req, cap, startedAt, outcome)
    })
    return { accepted: true, capability: cap, outcome }
  }

  private ended(req: LocalJobRequest, cap: AnyCapability, startedAt: number, outcome: JobOutcome): JobOutcome {
    const endedAt = Date.now()
    const { log, journal } = this.opts
    if (log.isLevelEnabled('info')) {
      const code = outcome.state === 'succeeded' ? undefined : outcome.error.code
      log.info({ job: req.jobId, capability: cap.id, caller: req.caller, state: outcome.state, code, ms: endedAt - startedAt }, 'job ended')
    }
    journal.record({
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
  }
}
