/**
 * What `node.submit()` returns: a promise of the result, an async iterator of
 * events, and `cancel()`. Modelled on BullMQ's job handle, with streams.
 */
import type { ProgressUpdate } from '../capability.ts'
import type { JobEventSink, JobOutcome } from '../controller/executor.ts'
import { CrankError, ErrorCodes, type ErrorInfo, JobFailedError, type TerminalState } from '../errors.ts'
import { AsyncQueue } from './async-queue.ts'
import { JobController } from './job-controller.ts'
import { StoreErrorCodes } from './store-errors.ts'

/**
 * Why a job went where it did. `resumed`: a durable job taken up again after a restart goes
 * first to the provider that last ran it, which may have finished it and keeps its answer.
 */
export type RouteReason = 'local' | 'pinned' | 'no-local-satisfier' | 'local-saturated' | 'resumed'

export interface RouteInfo {
  /** `local`, or the peer id that ran the job. */
  peer: string
  reason: RouteReason
}

export type JobEvent =
  | { type: 'accepted'; peer: string; version: string }
  | ({ type: 'progress' } & ProgressUpdate)
  | { type: 'output'; data: Uint8Array }
  | { type: 'retry'; attempt: number; peer: string; error: ErrorInfo }

export interface JobReport {
  jobId: string
  state: TerminalState
  /** The handler's JSON result, when `succeeded`. */
  value?: unknown
  error?: ErrorInfo
  /** Output bytes, in `collect` mode. */
  output?: Uint8Array
  route?: RouteInfo
  attempts: number
  durationMs: number
}

export interface JobResult extends JobReport {
  state: 'succeeded'
  value: unknown
}

export type OutputMode = 'collect' | 'stream'

const MAX_BUFFERED_EVENTS = 1024

/** What `stored` is for a job that waits on no store: nothing to wait for. */
const NOTHING_TO_STORE: Promise<void> = Promise.resolve()

/** Codes of errors the node raises itself when it aborts a job: they end it `failed`, not `cancelled`. */
const NODE_ABORTS: ReadonlySet<string> = new Set([ErrorCodes.outputTooLarge, StoreErrorCodes.storeFull])

function eventSize(e: JobEvent): number {
  return e.type === 'output' ? e.data.byteLength : 1
}

export class JobHandle implements AsyncIterable<JobEvent> {
  readonly id: string
  readonly outputMode: OutputMode
  /** Settles once with the terminal report; never rejects. */
  readonly outcome: Promise<JobReport>
  /** Made when someone iterates, or output is streamed; until then events wait in `early`. */
  private queue: AsyncQueue<JobEvent> | undefined
  private early: JobEvent[] | undefined
  private ended = false
  private readonly streamHighWaterMark: number
  private readonly chunks: Uint8Array[] = []
  private collected = 0
  private readonly maxOutputBytes: number
  private readonly controller = new JobController()
  private resultPromise: Promise<JobResult> | undefined
  private resolveOutcome!: (report: JobReport) => void
  private readonly started = Date.now()
  route: RouteInfo | undefined
  attempts = 0
  /** An idempotency key named a job submitted before: this handle follows that job, and nothing new runs. */
  replayed = false
  /** Set by the dispatcher for a durable job: settles once the job is on disk. */
  private storedPromise: Promise<void> | undefined

  constructor(id: string, opts: { output: OutputMode; maxOutputBytes: number; streamHighWaterMark: number }) {
    this.id = id
    this.outputMode = opts.output
    this.maxOutputBytes = opts.maxOutputBytes
    this.streamHighWaterMark = opts.streamHighWaterMark
    this.outcome = new Promise((resolve) => {
      this.resolveOutcome = resolve
    })
  }

  /**
   * Settles once a durable job (and its input) is on disk: the moment a gateway may acknowledge
   * it. Rejects when it could not be stored (the job then ends failed, `store_full`). Resolved
   * at once for a job that is not durable.
   */
  get stored(): Promise<void> {
    return this.storedPromise ?? NOTHING_TO_STORE
  }

  /** The promise given must already be observed (a caller who never looks at it gets no unhandled rejection). */
  set stored(p: Promise<void>) {
    this.storedPromise = p
  }

  /** The event queue, made on first use: most jobs are awaited, never iterated, and need none. */
  private get events(): AsyncQueue<JobEvent> {
    if (this.queue === undefined) {
      const queue = new AsyncQueue<JobEvent>({ highWaterMark: this.streamHighWaterMark, size: eventSize })
      if (this.early !== undefined) for (const e of this.early) void queue.push(e)
      this.early = undefined
      if (this.ended) queue.end()
      this.queue = queue
    }
    return this.queue
  }

  /** Fires when the caller cancels; routes pass it to whatever runs the job. */
  get signal(): AbortSignal {
    return this.controller.signal
  }

  /** The job's one controller: a local run shares it through scheduler and executor rather than make its own. */
  get control(): AbortController {
    return this.controller
  }

  /** The result on success; rejects with a JobFailedError otherwise. Created on first use, so an unobserved failure is not an unhandled rejection. */
  get result(): Promise<JobResult> {
    this.resultPromise ??= this.outcome.then((report) => {
      if (report.state === 'succeeded') return report as JobResult
      throw new JobFailedError(
        this.id,
        report.state,
        report.error ?? { code: ErrorCodes.internal, message: 'no error recorded', retryable: false },
      )
    })
    return this.resultPromise
  }

  cancel(reason = 'job cancelled by caller'): void {
    if (!this.controller.signal.aborted) this.controller.abort(new CrankError(ErrorCodes.cancelled, reason))
  }

  [Symbol.asyncIterator](): AsyncIterator<JobEvent> {
    return this.events[Symbol.asyncIterator]()
  }

  /** The sink a route writes this job's events into. */
  readonly sink: JobEventSink = {
    progress: (update) => this.emit({ type: 'progress', ...update }),
    output: async (data) => {
      if (this.outputMode === 'stream') {
        await this.events.push({ type: 'output', data })
        return
      }
      this.collected += data.byteLength
      if (this.collected > this.maxOutputBytes) {
        const err = new CrankError(ErrorCodes.outputTooLarge, `output exceeds ${this.maxOutputBytes} bytes; use output: 'stream'`)
        this.controller.abort(err)
        throw err
      }
      this.chunks.push(data)
    },
  }

  /** Non-output events never block the job: past the buffer, old events are dropped rather than stalling the run. */
  emit(event: Exclude<JobEvent, { type: 'output' }>): void {
    if (this.queue === undefined) {
      this.early ??= []
      if (this.early.length < MAX_BUFFERED_EVENTS) this.early.push(event)
    } else if (this.queue.length < MAX_BUFFERED_EVENTS) void this.queue.push(event)
  }

  /** Called once by the node with the final outcome of the last attempt. */
  finish(outcome: JobOutcome): void {
    this.settle(this.report(outcome))
  }

  /** The terminal report for `outcome`, without settling (a store records it first). */
  report(outcome: JobOutcome): JobReport {
    const report: JobReport = {
      jobId: this.id,
      state: outcome.state,
      attempts: this.attempts,
      durationMs: Date.now() - this.started,
      ...(this.route === undefined ? {} : { route: this.route }),
    }
    if (outcome.state === 'succeeded') {
      report.value = outcome.result
      if (this.outputMode === 'collect') report.output = Buffer.concat(this.chunks)
    } else {
      // An abort the node raised itself (output overflow, a full store) explains the end better than "cancelled".
      const reason = this.controller.signal.reason
      report.error = reason instanceof CrankError && NODE_ABORTS.has(reason.code) ? reason.toJSON() : outcome.error
      if (NODE_ABORTS.has(report.error.code)) report.state = 'failed'
    }
    return report
  }

  /** Ends the handle with `report`: the result promise and the event iterator settle. */
  settle(report: JobReport): void {
    this.ended = true
    this.queue?.end()
    this.resolveOutcome(report)
  }
}
