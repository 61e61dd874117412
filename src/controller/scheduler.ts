/**
 * Admission control per capability: a fixed number of concurrency slots and a
 * bounded queue in front of them, served high → normal → low and FIFO within a
 * priority. A full queue rejects at once (the caller can go elsewhere), a job
 * that waits past its queue timeout or deadline ends `expired`, and `drain()`
 * shuts the door, lets running work finish until a deadline, then cancels the rest.
 * The in-flight, queued and capacity figures are what the adverts carry.
 */
import { CrankError, ErrorCodes } from '../errors.ts'
import { type DeadlineTimer, setDeadlineTimer } from '../jobs/deadline-timer.ts'
import { Roster } from '../jobs/roster.ts'
import { abortOutcome, cancelledError, deadlineError, type JobOutcome } from './executor.ts'

export const SchedulerErrorCodes = {
  /** Every slot is busy and the queue is at its bound; retry later or on another provider. */
  queueFull: 'queue_full',
  /** The job waited in the queue longer than the capability's queue timeout. */
  queueTimeout: 'queue_timeout',
} as const

export type Priority = 'high' | 'normal' | 'low'
const PRIORITIES: readonly Priority[] = ['high', 'normal', 'low']

export interface AdmissionLimits {
  /** Jobs that run at once. */
  concurrency: number
  /** Jobs that may wait for a slot; 0 means none wait. */
  queueLimit: number
  /** Longest a job may wait for a slot before it ends `expired`. */
  queueTimeoutMs: number
}

export const DEFAULT_LIMITS: AdmissionLimits = { concurrency: 4, queueLimit: 64, queueTimeoutMs: 30_000 }

export interface ScheduleRequest {
  jobId: string
  /** Routing key of a registered capability (`id@major`). */
  capability: string
  priority?: Priority | undefined
  /** Absolute deadline, epoch ms: also bounds the time spent queued. */
  deadline?: number | undefined
  /** The caller's cancel. */
  signal?: AbortSignal
  /**
   * The job's own controller, when the caller has one for the whole job path: the scheduler then
   * aborts it on a drain instead of making another one per job. `signal` must then be its signal.
   */
  control?: AbortController
  /** Runs the admitted job; the signal fires on the caller's cancel or when a drain runs out of time. */
  run: (signal: AbortSignal) => Promise<JobOutcome>
  /**
   * Called with the job's outcome however it ends (ran, expired or cancelled in the queue), after
   * its slot is freed; what it returns is the admission's outcome. A hook rather than a `then` on
   * the outcome: one promise and one microtask turn fewer per job.
   */
  ended?: (outcome: JobOutcome) => JobOutcome
}

export type Admission = { accepted: true; outcome: Promise<JobOutcome> } | { accepted: false; error: CrankError }

export interface Load {
  inFlight: number
  queued: number
  /** Concurrency slots. */
  capacity: number
  queueLimit: number
}

export interface DrainReport {
  /** Jobs that ended on their own while draining. */
  finished: number
  /** Jobs (running or still queued) cancelled at the drain deadline. */
  cancelled: number
}

interface Queued {
  req: ScheduleRequest
  resolve: (outcome: JobOutcome | Promise<JobOutcome>) => void
  timer: DeadlineTimer
  onAbort: () => void
}

interface Lane {
  limits: AdmissionLimits
  /** A Roster, not a Set: see roster.ts for what a Set's churn at a job's rate costs. */
  running: Roster<AbortController>
  queues: Record<Priority, Queued[]>
}

export interface SchedulerOptions {
  defaults?: Partial<AdmissionLimits>
  /** Called after any change to the figures (admit, start, finish, reject): the advert's "on change". */
  onChange?: () => void
}

export class Scheduler {
  private readonly lanes = new Map<string, Lane>()
  private readonly defaults: AdmissionLimits
  private readonly onChange: (() => void) | undefined
  private draining = false
  private settled: Array<() => void> = []
  private finishedWhileDraining = 0

  constructor(opts: SchedulerOptions = {}) {
    this.defaults = { ...DEFAULT_LIMITS, ...opts.defaults }
    this.onChange = opts.onChange
  }

  get isDraining(): boolean {
    return this.draining
  }

  register(capability: string, limits: Partial<AdmissionLimits> = {}): void {
    const merged = { ...this.defaults, ...dropUndefined(limits) }
    if (!Number.isInteger(merged.concurrency) || merged.concurrency < 1) {
      throw new CrankError(ErrorCodes.invalidConfig, `${capability}: concurrency must be a positive integer`)
    }
    if (!Number.isInteger(merged.queueLimit) || merged.queueLimit < 0)
      throw new CrankError(ErrorCodes.invalidConfig, `${capability}: queueLimit must be >= 0`)
    const lane = this.lanes.get(capability)
    if (lane !== undefined) {
      lane.limits = merged
      this.pump(lane)
      return
    }
    this.lanes.set(capability, { limits: merged, running: new Roster(), queues: { high: [], normal: [], low: [] } })
    this.onChange?.()
  }

  submit(req: ScheduleRequest): Admission {
    const lane = this.lanes.get(req.capability)
    if (lane === undefined) return reject(ErrorCodes.unknownCapability, `no local capability ${req.capability}`, false)
    if (this.draining) return reject(ErrorCodes.shuttingDown, 'node is draining and takes no new jobs', true)
    if (req.signal?.aborted === true)
      return { accepted: true, outcome: Promise.resolve(concluded(req, abortOutcome(req.signal.reason ?? cancelledError()))) }
    if (lane.running.size < lane.limits.concurrency && queued(lane) === 0) {
      return { accepted: true, outcome: this.start(lane, req) }
    }
    if (queued(lane) >= lane.limits.queueLimit) {
      return reject(
        SchedulerErrorCodes.queueFull,
        `${req.capability}: ${lane.running.size} running and ${queued(lane)} queued, the queue is full`,
        true,
      )
    }
    const outcome = new Promise<JobOutcome>((resolve) => {
      const priority = req.priority ?? 'normal'
      const wait = Math.min(lane.limits.queueTimeoutMs, (req.deadline ?? Number.POSITIVE_INFINITY) - Date.now())
      const byDeadline = req.deadline !== undefined && req.deadline - Date.now() <= lane.limits.queueTimeoutMs
      const entry: Queued = {
        req,
        resolve,
        timer: setDeadlineTimer(
          () => {
            const error = byDeadline
              ? deadlineError()
              : new CrankError(SchedulerErrorCodes.queueTimeout, `${req.capability}: waited ${lane.limits.queueTimeoutMs} ms for a slot`, {
                  retryable: true,
                })
            this.dequeue(lane, entry, { state: 'expired', error: error.toJSON() })
          },
          Math.max(0, wait),
        ),
        onAbort: () => this.dequeue(lane, entry, abortOutcome(req.signal?.reason ?? cancelledError())),
      }
      req.signal?.addEventListener('abort', entry.onAbort, { once: true })
      lane.queues[priority].push(entry)
    })
    this.onChange?.()
    return { accepted: true, outcome }
  }

  load(capability: string): Load | undefined {
    const lane = this.lanes.get(capability)
    return lane === undefined ? undefined : laneLoad(lane)
  }

  loads(): Record<string, Load> {
    return Object.fromEntries([...this.lanes].map(([key, lane]) => [key, laneLoad(lane)]))
  }

  totals(): Load {
    // Summed in place, with no figures object per lane: the node asks twice for every job.
    const total: Load = { inFlight: 0, queued: 0, capacity: 0, queueLimit: 0 }
    for (const lane of this.lanes.values()) {
      total.inFlight += lane.running.size
      total.queued += queued(lane)
      total.capacity += lane.limits.concurrency
      total.queueLimit += lane.limits.queueLimit
    }
    return total
  }

  /**
   * Stops admitting (new jobs get `shutting_down`, retryable), lets running and
   * already-queued jobs go on until `timeoutMs`, then cancels whatever is left with
   * `shutting_down` so that callers retry elsewhere.
   */
  async drain(timeoutMs: number): Promise<DrainReport> {
    this.draining = true
    this.finishedWhileDraining = 0
    this.onChange?.()
    const idle = (): boolean => this.totals().inFlight === 0 && this.totals().queued === 0
    let timer: NodeJS.Timeout | undefined
    await new Promise<void>((resolve) => {
      if (idle()) return resolve()
      timer = setTimeout(resolve, timeoutMs)
      this.settled.push(() => {
        if (idle()) resolve()
      })
    })
    clearTimeout(timer)
    this.settled = []
    const finished = this.finishedWhileDraining
    let cancelled = 0
    const reason = new CrankError(ErrorCodes.shuttingDown, `node shut down: job still running after the ${timeoutMs} ms drain`, {
      retryable: true,
    })
    const stopping: Promise<void>[] = []
    for (const lane of this.lanes.values()) {
      for (const p of PRIORITIES) {
        for (const entry of [...lane.queues[p]]) {
          cancelled++
          this.dequeue(lane, entry, abortOutcome(reason))
        }
      }
      if (lane.running.size > 0) stopping.push(new Promise((resolve) => this.settled.push(() => lane.running.size === 0 && resolve())))
      for (const controller of lane.running.values()) {
        cancelled++
        controller.abort(reason)
      }
    }
    await Promise.all(stopping)
    return { finished, cancelled }
  }

  private start(lane: Lane, req: ScheduleRequest): Promise<JobOutcome> {
    let controller = req.control
    let onAbort: (() => void) | undefined
    if (controller === undefined) {
      const own = new AbortController()
      onAbort = (): void => own.abort(req.signal?.reason ?? cancelledError())
      req.signal?.addEventListener('abort', onAbort, { once: true })
      controller = own
    }
    const running = controller
    const member = lane.running.add(running)
    this.onChange?.()
    const done = (): void => {
      if (onAbort !== undefined) req.signal?.removeEventListener('abort', onAbort)
      lane.running.remove(member)
      if (this.draining) this.finishedWhileDraining++
      this.pump(lane)
      this.onChange?.()
      for (const check of this.settled) check()
    }
    let outcome: Promise<JobOutcome>
    try {
      outcome = req.run(running.signal)
    } catch (err) {
      outcome = Promise.reject(err)
    }
    const ended = req.ended
    return outcome.then(
      (outcome) => {
        done()
        return ended === undefined ? outcome : ended(outcome)
      },
      (err: unknown) => {
        done()
        const message = err instanceof Error ? err.message : String(err)
        const failed: JobOutcome = { state: 'failed', error: { code: ErrorCodes.internal, message, retryable: true } }
        return ended === undefined ? failed : ended(failed)
      },
    )
  }

  private pump(lane: Lane): void {
    while (lane.running.size < lane.limits.concurrency) {
      const priority = PRIORITIES.find((p) => lane.queues[p].length > 0)
      if (priority === undefined) return
      const entry = lane.queues[priority].shift()!
      entry.timer.clear()
      entry.req.signal?.removeEventListener('abort', entry.onAbort)
      entry.resolve(this.start(lane, entry.req))
    }
  }

  private dequeue(lane: Lane, entry: Queued, outcome: JobOutcome): void {
    const queue = lane.queues[entry.req.priority ?? 'normal']
    const at = queue.indexOf(entry)
    if (at < 0) return
    queue.splice(at, 1)
    entry.timer.clear()
    entry.req.signal?.removeEventListener('abort', entry.onAbort)
    entry.resolve(concluded(entry.req, outcome))
    this.onChange?.()
    for (const check of this.settled) check()
  }
}

/** The admission's outcome for a job that ended without running: the request's `ended` hook applied; a throw in it rejects. */
function concluded(req: ScheduleRequest, outcome: JobOutcome): JobOutcome | Promise<JobOutcome> {
  if (req.ended === undefined) return outcome
  try {
    return req.ended(outcome)
  } catch (err) {
    return Promise.reject(err)
  }
}

function queued(lane: Lane): number {
  return lane.queues.high.length + lane.queues.normal.length + lane.queues.low.length
}

function laneLoad(lane: Lane): Load {
  return { inFlight: lane.running.size, queued: queued(lane), capacity: lane.limits.concurrency, queueLimit: lane.limits.queueLimit }
}

function reject(code: string, message: string, retryable: boolean): Admission {
  return { accepted: false, error: new CrankError(code, message, { retryable }) }
}

function dropUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>
}
