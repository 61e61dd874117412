/**
 * The jobs submitted through this gateway, as it follows them: each job's handle is drained into
 * its JobLog (events for SSE, output for readers) so the job never waits on an HTTP client, and
 * its state is kept for `GET /v1/jobs`. Bounded: at most `maxJobs` remembered (the oldest ended
 * ones are forgotten first, and a submission past that many unended ones is refused), at most
 * `maxOutputBytes` of output per job and `outputBudgetBytes` over all of them.
 *
 * With a job store on the node, the store is the record of jobs (it survives restarts); this
 * is still what streams a job's output and events to HTTP clients while it runs.
 */
import { EventEmitter } from 'node:events'
import { CrankError, ErrorCodes, type ErrorInfo, type TerminalState } from '../errors.ts'
import type { JobEvent, JobHandle } from '../jobs/job-handle.ts'
import type { SubmitOptions } from '../jobs/submit-options.ts'
import { JobLog, type TerminalReport } from './job-log.ts'
import { GatewayErrorCodes } from './problems.ts'

export type GatewayJobState = 'queued' | 'running' | 'retrying' | TerminalState

const TERMINAL = new Set<string>(['succeeded', 'failed', 'cancelled', 'expired'])

export interface GatewayJobsLimits {
  maxJobs: number
  maxEventsPerJob: number
  maxOutputBytes: number
  outputBudgetBytes: number
}

/** What submits: the node. */
export interface Submitter {
  submit(opts: SubmitOptions): JobHandle
}

/** Payload of `change`: a job's new state. */
export interface JobChangeNotice {
  id: string
  capability: string
  state: GatewayJobState
  at: number
  /** Submit to end, once ended. */
  durationMs?: number
  error?: ErrorInfo
  peer?: string
}

export interface GatewayJobFilter {
  state?: string[]
  capability?: string
  since?: number
  before?: number
  limit: number
}

export class GatewayJob {
  readonly id: string
  readonly capability: string
  readonly createdAt = Date.now()
  readonly handle: JobHandle
  readonly log: JobLog
  readonly idempotencyKey: string | undefined
  /** What the request asked for, so that a reused Idempotency-Key with another request is told apart. */
  readonly fingerprint: string | undefined
  /** Settles at the job's first sign of life (an event or its end). */
  readonly admitted: Promise<void>
  /** When `admitted` settled (epoch ms), and whether the job's end was its first sign of life (it never started). */
  admittedAt: number | undefined
  admittedByEnd = false
  /** Settles once the job has ended and its end is logged (state, report and the `end` event all set). */
  readonly whenEnded: Promise<void>
  state: GatewayJobState = 'queued'
  startedAt: number | undefined
  endedAt: number | undefined
  peer: string | undefined
  version: string | undefined
  report: TerminalReport | undefined
  #admit!: () => void
  #ended!: () => void

  constructor(handle: JobHandle, capability: string, maxEvents: number, key?: string, fingerprint?: string) {
    this.id = handle.id
    this.handle = handle
    this.capability = capability
    this.log = new JobLog(maxEvents)
    this.idempotencyKey = key
    this.fingerprint = fingerprint
    this.admitted = new Promise((resolve) => {
      this.#admit = resolve
    })
    this.whenEnded = new Promise((resolve) => {
      this.#ended = resolve
    })
  }

  /** Whether `admitted` has settled, so a caller can skip waiting on it. */
  get isAdmitted(): boolean {
    return this.admittedAt !== undefined
  }

  get ended(): boolean {
    return TERMINAL.has(this.state)
  }

  admit(): void {
    if (this.isAdmitted) return
    this.admittedAt = Date.now()
    // The end is logged before the follower admits the job, so a logged end here means it came first.
    this.admittedByEnd = this.log.ended
    this.#admit()
  }

  /** Called once, after the `end` event is logged. */
  markEnded(): void {
    this.#ended()
  }

  /** The job as `GET /v1/jobs` lists it. */
  summary(): Record<string, unknown> {
    // Built field by field rather than from spreads: this runs for every answer; the order is the one clients see.
    const r = this.report
    const o: Record<string, unknown> = {
      id: this.id,
      capability: this.capability,
      state: this.state,
      attempts: r?.attempts ?? this.handle.attempts,
    }
    if (this.peer !== undefined) o.peer = this.peer
    o.durable = false
    if (this.idempotencyKey !== undefined) o.idempotencyKey = this.idempotencyKey
    if (r?.error !== undefined) o.error = r.error
    o.createdAt = this.createdAt
    if (this.startedAt !== undefined) o.startedAt = this.startedAt
    if (this.endedAt !== undefined) o.endedAt = this.endedAt
    return o
  }

  /** The job as `GET /v1/jobs/:id` shows it. */
  view(): Record<string, unknown> {
    const r = this.report
    const o = this.summary()
    if (this.version !== undefined) o.version = this.version
    if (r?.route !== undefined) o.route = r.route
    if (r !== undefined && r.state === 'succeeded') o.result = r.result
    o.outputBytes = this.log.outputBytes
    o.outputKept = this.log.outputKept
    if (r !== undefined) o.durationMs = r.durationMs
    o.eventCount = this.log.lastSeq
    return o
  }
}

export class GatewayJobs extends EventEmitter<{ change: [JobChangeNotice] }> {
  readonly #submitter: Submitter
  readonly #limits: GatewayJobsLimits
  /** Insertion order is age: the first ended ones are the first forgotten. */
  readonly #jobs = new Map<string, GatewayJob>()
  readonly #byKey = new Map<string, GatewayJob>()
  #active = 0
  #keptBytes = 0

  constructor(submitter: Submitter, limits: GatewayJobsLimits) {
    super()
    this.#submitter = submitter
    this.#limits = limits
  }

  get active(): number {
    return this.#active
  }

  get size(): number {
    return this.#jobs.size
  }

  /** Output bytes held across all jobs. */
  get keptBytes(): number {
    return this.#keptBytes
  }

  get(id: string): GatewayJob | undefined {
    return this.#jobs.get(id)
  }

  byIdempotencyKey(key: string): GatewayJob | undefined {
    return this.#byKey.get(key)
  }

  /**
   * Submits and follows a job. `opts.output` is always `stream`: the gateway keeps the output
   * itself, within its budget. Throws `too_many_jobs` when `maxJobs` jobs have not ended.
   */
  submit(opts: SubmitOptions, meta: { idempotencyKey?: string; fingerprint?: string } = {}): { job: GatewayJob; replayed: boolean } {
    if (this.#active >= this.#limits.maxJobs)
      throw new CrankError(GatewayErrorCodes.tooManyJobs, `the gateway follows ${this.#active} unended jobs already (gateway.maxJobs)`, {
        retryable: true,
      })
    const handle = this.#submitter.submit({ ...opts, output: 'stream' })
    const known = this.#jobs.get(handle.id)
    // The node's job store deduplicates by idempotency key: the id it answers with may be one we follow already.
    if (known !== undefined) return { job: known, replayed: handle.replayed }
    const at = opts.capability.indexOf('@')
    const job = new GatewayJob(
      handle,
      at === -1 ? opts.capability : opts.capability.slice(0, at),
      this.#limits.maxEventsPerJob,
      meta.idempotencyKey,
      meta.fingerprint,
    )
    this.#jobs.set(job.id, job)
    if (job.idempotencyKey !== undefined) this.#byKey.set(job.idempotencyKey, job)
    this.#active++
    this.#forgetOld()
    this.#notify(job)
    void this.#follow(job)
    return { job, replayed: handle.replayed }
  }

  /** Newest first. */
  list(filter: GatewayJobFilter): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = []
    const jobs = [...this.#jobs.values()]
    for (let i = jobs.length - 1; i >= 0 && out.length < filter.limit; i--) {
      const j = jobs[i]!
      if (filter.state !== undefined && !filter.state.includes(j.state)) continue
      if (filter.capability !== undefined && j.capability !== filter.capability) continue
      if (filter.since !== undefined && j.createdAt < filter.since) continue
      if (filter.before !== undefined && j.createdAt >= filter.before) continue
      out.push(j.summary())
    }
    return out
  }

  async #follow(job: GatewayJob): Promise<void> {
    for await (const event of job.handle) this.#record(job, event)
    const report = await job.handle.outcome
    job.report = {
      state: report.state,
      ...(report.state === 'succeeded' ? { result: report.value } : {}),
      ...(report.error === undefined ? {} : { error: report.error }),
      attempts: report.attempts,
      durationMs: report.durationMs,
      ...(report.route === undefined ? {} : { route: report.route }),
      outputBytes: job.log.outputBytes,
    }
    job.state = report.state
    job.endedAt = Date.now()
    job.peer ??= report.route?.peer
    job.log.append({ type: 'end', ...job.report })
    job.admit()
    job.markEnded()
    this.#active--
    this.#notify(job)
    this.#forgetOld()
  }

  #record(job: GatewayJob, event: JobEvent): void {
    job.admit()
    switch (event.type) {
      case 'accepted':
        job.state = 'running'
        job.startedAt ??= Date.now()
        job.peer = event.peer
        job.version = event.version
        job.log.append({ type: 'accepted', peer: event.peer, version: event.version })
        this.#notify(job)
        return
      case 'progress':
        job.log.append({
          type: 'progress',
          done: event.done,
          ...(event.total === undefined ? {} : { total: event.total }),
          ...(event.message === undefined ? {} : { message: event.message }),
        })
        return
      case 'retry':
        job.state = 'retrying'
        job.log.append({ type: 'retry', attempt: event.attempt, peer: event.peer, error: event.error })
        this.#notify(job)
        return
      case 'output':
        this.#output(job, event.data)
        return
    }
  }

  #output(job: GatewayJob, data: Uint8Array): void {
    if (job.log.outputBytes + data.byteLength > this.#limits.maxOutputBytes) {
      this.#tooLarge(job, `output exceeds the ${this.#limits.maxOutputBytes} bytes the gateway keeps per job (gateway.maxOutputBytes)`)
      return
    }
    if (!job.log.outputKept) {
      job.log.output(data)
      return
    }
    this.#keptBytes += data.byteLength
    for (const old of this.#jobs.values()) {
      if (this.#keptBytes <= this.#limits.outputBudgetBytes) break
      if (old.ended && old.log.outputKept && old.log.keptBytes > 0) this.#drop(old)
    }
    if (this.#keptBytes > this.#limits.outputBudgetBytes) {
      this.#keptBytes -= data.byteLength
      this.#tooLarge(
        job,
        `the gateway's output budget (gateway.outputBudgetBytes, ${this.#limits.outputBudgetBytes} bytes) is spent by running jobs`,
      )
      return
    }
    job.log.output(data)
  }

  /** Ends the job as collect mode does past its limit: failed, `output_too_large`. */
  #tooLarge(job: GatewayJob, message: string): void {
    const control = job.handle.control
    if (!control.signal.aborted) control.abort(new CrankError(ErrorCodes.outputTooLarge, message))
  }

  #drop(job: GatewayJob): void {
    this.#keptBytes -= job.log.keptBytes
    job.log.dropOutput()
  }

  #forgetOld(): void {
    if (this.#jobs.size <= this.#limits.maxJobs) return
    for (const job of this.#jobs.values()) {
      if (this.#jobs.size <= this.#limits.maxJobs) break
      if (!job.ended) continue
      this.#drop(job)
      this.#jobs.delete(job.id)
      if (job.idempotencyKey !== undefined && this.#byKey.get(job.idempotencyKey) === job) this.#byKey.delete(job.idempotencyKey)
    }
  }

  #notify(job: GatewayJob): void {
    if (this.listenerCount('change') === 0) return
    // Three of these per job: built field by field, without spreads.
    const notice: JobChangeNotice = { id: job.id, capability: job.capability, state: job.state, at: Date.now() }
    const r = job.report
    if (r !== undefined) notice.durationMs = r.durationMs
    if (r?.error !== undefined) notice.error = r.error
    if (job.peer !== undefined) notice.peer = job.peer
    this.emit('change', notice)
  }
}
