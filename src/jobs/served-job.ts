/**
 * One job a remote caller submitted, as its provider serves it (on a job stream of its own or on
 * a lane): authorised, admitted, announced when it takes a while, its progress and output
 * written as frames, and its terminal frame written exactly once. One object with methods rather
 * than a dozen closures per job: this runs for every remote job.
 */
import type { Logger } from 'pino'
import type { Caller, ProgressUpdate } from '../capability.ts'
import type { JobEventSink, JobOutcome } from '../controller/executor.ts'
import type { Admission, LocalJobRequest } from '../controller/local-jobs.ts'
import type { Priority } from '../controller/scheduler.ts'
import { CrankError, ErrorCodes, toErrorInfo } from '../errors.ts'
import type { FrameWriter } from '../net/frame-stream.ts'
import type { AsyncQueue } from './async-queue.ts'
import { JobController } from './job-controller.ts'
import { encodeJson, encodeServerFrame } from './messages.ts'

export type Authorization = { allowed: true; caller: Caller } | { allowed: false; reason: string }

/** Who carries a job's frames: a job stream (one job at a time) or a lane (several). */
export interface JobCarrier {
  writer: FrameWriter
  log: Logger
  /** The job has left (admission refused, or it ended): its stream may take another. */
  done(job: ServedJob): void
  /** Whether the job's terminal frame should wait for the turn's batch (other jobs share the stream). */
  batched(): boolean
  /** The terminal frames now waiting to be written together, and their jobs (JobHost.finish keeps it). */
  batch?: { written: Promise<void>; jobs: ServedJob[] } | undefined
}

/** The job server, as its jobs see it. */
export interface JobHost {
  admit(req: LocalJobRequest): Admission
  authorize?:
    | ((req: { peer: string; jobId: string; capability: string; params: unknown }) => Authorization | Promise<Authorization>)
    | undefined
  /** Calls `job.announceIfRunning()` once the job has run for a while. */
  acceptLater(job: ServedJob): void
  /** Writes the terminal frame, then calls `job.markEnded()` once it is written (or could not be). */
  finish(carrier: JobCarrier, frame: Uint8Array, job: ServedJob): void
}

/** What the Submit said, checked. */
export interface ServedSubmit {
  jobId: string
  capability: string
  versionRange: string
  params: unknown
  deadlineMs: number
  priority: Priority | undefined
  replayKey: string | undefined
}

const ENDED: Promise<void> = Promise.resolve()

export class ServedJob implements JobEventSink {
  readonly jobId: string
  readonly input: AsyncQueue<Uint8Array>
  readonly abort = new JobController()
  private readonly host: JobHost
  private readonly carrier: JobCarrier
  private readonly caller: string
  private readonly submit: ServedSubmit
  /** The version admission chose; empty until then. */
  private version = ''
  private announced = false
  private finished = false
  private isEnded = false
  /** Made only when someone waits for the end (a closing stream): most jobs end unwatched. */
  private endedPromise: Promise<void> | undefined
  private resolveEnded: (() => void) | undefined
  private latestProgress: ProgressUpdate | undefined

  constructor(host: JobHost, carrier: JobCarrier, caller: string, submit: ServedSubmit, input: AsyncQueue<Uint8Array>) {
    this.host = host
    this.carrier = carrier
    this.caller = caller
    this.submit = submit
    this.jobId = submit.jobId
    this.input = input
  }

  /** Settles once the job's terminal frame has been written (or could not be). */
  get ended(): Promise<void> {
    if (this.isEnded) return ENDED
    this.endedPromise ??= new Promise<void>((resolve) => {
      this.resolveEnded = resolve
    })
    return this.endedPromise
  }

  markEnded(): void {
    if (this.isEnded) return
    this.isEnded = true
    this.resolveEnded?.()
  }

  /**
   * Authorises and runs the job after the carrier has registered it as its current job: input
   * frames that follow are queued for it rather than dropped, and a refusal's done() clears the
   * right job.
   */
  begin(): void {
    queueMicrotask(() => this.authorize())
  }

  private authorize(): void {
    const authorize = this.host.authorize
    if (authorize === undefined) {
      this.run(undefined)
      return
    }
    const { jobId, capability, params } = this.submit
    try {
      const d = authorize({ peer: this.caller, jobId, capability, params })
      if (d instanceof Promise)
        d.then(
          (decision) => this.decide(decision),
          (err: unknown) => this.decide({ allowed: false, reason: (err as Error).message }),
        )
      else this.decide(d)
    } catch (err) {
      this.decide({ allowed: false, reason: (err as Error).message })
    }
  }

  private decide(d: Authorization): void {
    if (d.allowed) this.run(d.caller)
    else this.refuse(new CrankError(ErrorCodes.forbidden, d.reason))
  }

  private refuse(err: CrankError): void {
    this.carrier.done(this)
    this.input.abort()
    rejectJob(this.carrier.writer, this.jobId, err)
    this.markEnded()
  }

  private run(identity: Caller | undefined): void {
    const s = this.submit
    let admission: Admission
    try {
      admission = this.host.admit({
        jobId: s.jobId,
        idempotencyKey: s.replayKey,
        capability: s.capability,
        versionRange: s.versionRange,
        params: s.params,
        input: this.input,
        deadline: s.deadlineMs ? Date.now() + s.deadlineMs : undefined,
        priority: s.priority,
        control: this.abort,
        caller: this.caller,
        identity,
        sink: this,
      })
    } catch (err) {
      admission = { accepted: false, error: new CrankError(ErrorCodes.internal, `admission failed: ${(err as Error).message}`) }
    }
    if (!admission.accepted) {
      this.refuse(admission.error)
      return
    }
    this.version = admission.capability.version
    if (!this.announced) this.host.acceptLater(this)
    // One reaction for either settlement: no chain of promises per job.
    admission.outcome.then(
      (outcome) => this.end(outcome),
      (err: unknown) => this.end({ state: 'failed', error: toErrorInfo(err, ErrorCodes.internal) }),
    )
  }

  private end(outcome: JobOutcome): void {
    try {
      this.carrier.done(this)
      this.input.abort()
      this.finished = true
      const { log } = this.carrier
      if (log.isLevelEnabled('debug')) log.debug({ job: this.jobId, state: outcome.state }, 'job ended')
      this.host.finish(this.carrier, terminalFrame(this.jobId, this.version, outcome), this)
    } catch (err) {
      this.markEnded()
      throw err
    }
  }

  /** Accepted, once the job has run a while (see protocols/README.md); a job that has ended says its version in its terminal frame. */
  announceIfRunning(): void {
    if (!this.finished) this.announce()
  }

  /**
   * Accepted is news only before the first progress or output, or once the job has taken a while:
   * a fast job's terminal frame says which version ran instead.
   */
  private announce(): void {
    if (this.announced) return
    this.announced = true
    // Encoded when its turn comes: a handler may report progress before admit() has returned the version.
    void this.carrier.writer
      .write(() => encodeServerFrame({ accepted: { jobId: this.jobId, capabilityVersion: this.version } }))
      .catch(() => {})
  }

  progress(update: ProgressUpdate): void {
    this.announce()
    // Coalesce: only the newest update is sent when the writer gets to it.
    const queued = this.latestProgress !== undefined
    this.latestProgress = update
    if (queued) return
    void this.carrier.writer
      .write(() => {
        const p = this.latestProgress
        this.latestProgress = undefined
        return p === undefined
          ? undefined
          : encodeServerFrame({ progress: { jobId: this.jobId, done: p.done, total: p.total ?? 0, message: p.message ?? '' } })
      })
      .catch(() => {})
  }

  output(chunk: Uint8Array): Promise<void> {
    this.announce()
    return this.carrier.writer.write(encodeServerFrame({ outputChunk: { jobId: this.jobId, data: chunk } }))
  }
}

/** Refuses a job before it runs: a Rejected frame, best effort. */
export function rejectJob(writer: FrameWriter, jobId: string, err: CrankError): undefined {
  void writer
    .write(encodeServerFrame({ rejected: { jobId, code: err.code, message: err.message, retryable: err.retryable } }))
    .catch(() => {})
  return undefined
}

/** The Result or Error frame of an outcome. A result that JSON cannot carry within bounds fails the job instead. */
function terminalFrame(jobId: string, capabilityVersion: string, outcome: JobOutcome): Uint8Array {
  if (outcome.state === 'succeeded') {
    try {
      const resultJson = encodeJson(outcome.result, 'result', ErrorCodes.invalidOutput)
      return encodeServerFrame({ result: { jobId, resultJson, capabilityVersion } })
    } catch (err) {
      const error = toErrorInfo(err, ErrorCodes.invalidOutput)
      return encodeServerFrame({ error: { jobId, state: 'failed', ...error, retryable: false, capabilityVersion } })
    }
  }
  const { code, message, retryable } = outcome.error
  return encodeServerFrame({ error: { jobId, state: outcome.state, code, message, retryable, capabilityVersion } })
}

/** Stream failures caused by the peer, not by us. */
export const PEER_FAULTS = new Set<string>([
  ErrorCodes.connectionLost,
  ErrorCodes.malformedFrame,
  ErrorCodes.frameTooLarge,
  ErrorCodes.protocolError,
  ErrorCodes.bufferFull,
  ErrorCodes.notMember,
])
