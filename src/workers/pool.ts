/**
 * A pool of out-of-thread workers (threads or sandboxed processes) for one
 * capability. Each worker runs one job at a time, so a crash, a memory blow-up or
 * a handler that will not stop costs exactly the job it held. The pool keeps its
 * workers alive: readiness on start, pings while idle, RSS sampling against the
 * manifest's memory cap, restart with exponential backoff after a crash, and a
 * grace period after cancel before a stuck handler's worker is killed and replaced.
 */
import type { Logger } from 'pino'
import type { AnyCapability } from '../capability.ts'
import { abortOutcome, cancelledError, deadlineError, type ExecuteRequest, type JobOutcome } from '../controller/executor.ts'
import { CrankError, ErrorCodes, toErrorInfo } from '../errors.ts'
import { WorkerErrorCodes } from './errors.ts'
import type { WorkerExit, WorkerHandle } from './handle.ts'
import { type ControlMessage, INPUT_WINDOW, type WorkerMessage } from './protocol.ts'

export interface PoolTuning {
  /** Time a new worker has to import its capability and say it is ready. */
  bootTimeoutMs?: number
  /** How often idle workers are pinged and process workers' RSS is sampled. */
  healthIntervalMs?: number
  /** An idle worker that leaves a ping unanswered this long is replaced. Busy ones are not: CPU-bound handlers block pongs. */
  pingTimeoutMs?: number
  /** After cancel or deadline, how long a handler may keep its worker before the worker is killed. */
  cancelGraceMs?: number
  /** Restart delay after the first crash; doubles with each crash in a row, up to `backoffMaxMs`. */
  backoffBaseMs?: number
  backoffMaxMs?: number
  /** A worker up this long without crashing resets its backoff. */
  backoffResetMs?: number
  /** Crashes before ready, in a row, after which a worker slot counts as broken. All broken → `worker_unavailable`. */
  maxBootFailures?: number
  /** RSS above which a process worker is killed (default: memoryMb + 64 MiB of Node's own). */
  rssLimitBytes?: number
}

export type PoolEvent =
  | { type: 'ready'; slot: number; pid: number; threadId: number }
  | { type: 'exit'; slot: number; pid: number; reason: ExitReason; code: number | null; signal: string | null; detail: string }
  | { type: 'restart'; slot: number; delayMs: number; failures: number }

export type ExitReason = 'crashed' | 'memory' | 'cancel-grace' | 'unresponsive' | 'boot-failed' | 'boot-timeout' | 'closed'

export interface PoolOptions extends PoolTuning {
  kind: 'thread' | 'process'
  capability: AnyCapability
  size: number
  launch: () => WorkerHandle
  log: Logger
  onEvent?: (event: PoolEvent) => void
}

export interface WorkerInfo {
  state: SlotState
  pid: number
  threadId: number
  rssBytes?: number
  failures: number
}

export interface PoolStats {
  kind: 'thread' | 'process'
  size: number
  idle: number
  busy: number
  starting: number
  backoff: number
  /** Jobs running or waiting for a free worker. */
  inFlight: number
  waiting: number
  restarts: number
  crashes: number
  memoryKills: number
  graceKills: number
  unavailable: boolean
  workers: WorkerInfo[]
}

type SlotState = 'starting' | 'idle' | 'busy' | 'backoff' | 'closed'

interface Slot {
  index: number
  state: SlotState
  handle?: WorkerHandle | undefined
  job?: PoolJob | undefined
  pid: number
  threadId: number
  readyAt: number
  failures: number
  bootFailures: number
  pingSentAt?: number | undefined
  seq: number
  rss?: number | undefined
  exitReason?: ExitReason | undefined
  bootTimer?: NodeJS.Timeout
  graceTimer?: NodeJS.Timeout
  restartTimer?: NodeJS.Timeout
}

interface PoolJob {
  req: ExecuteRequest
  done: boolean
  resolve: (outcome: JobOutcome) => void
  slot?: Slot | undefined
  credits: number
  wakeInput?: (() => void) | undefined
  output: Promise<void>
  cleanup: () => void
}

const LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
}

export class WorkerPool {
  private readonly opts: PoolOptions
  private readonly tuning: Required<Omit<PoolTuning, 'rssLimitBytes'>> & { rssLimitBytes?: number }
  private readonly slots: Slot[]
  private readonly waiting: PoolJob[] = []
  private health: NodeJS.Timeout | undefined
  private started = false
  private closed = false
  private unavailable = false
  private counters = { restarts: 0, crashes: 0, memoryKills: 0, graceKills: 0 }
  private changed: Array<() => boolean> = []

  constructor(opts: PoolOptions) {
    this.opts = opts
    const memoryMb = opts.capability.resources?.memoryMb
    const rssLimitBytes = opts.rssLimitBytes ?? (memoryMb === undefined ? undefined : (memoryMb + 64) * 1024 * 1024)
    this.tuning = {
      bootTimeoutMs: opts.bootTimeoutMs ?? 15_000,
      healthIntervalMs: opts.healthIntervalMs ?? 500,
      pingTimeoutMs: opts.pingTimeoutMs ?? 5_000,
      cancelGraceMs: opts.cancelGraceMs ?? 2_000,
      backoffBaseMs: opts.backoffBaseMs ?? 100,
      backoffMaxMs: opts.backoffMaxMs ?? 10_000,
      backoffResetMs: opts.backoffResetMs ?? 30_000,
      maxBootFailures: opts.maxBootFailures ?? 5,
      ...(rssLimitBytes === undefined ? {} : { rssLimitBytes }),
    }
    this.slots = Array.from({ length: opts.size }, (_, index) => ({
      index,
      state: 'backoff',
      pid: 0,
      threadId: 0,
      readyAt: 0,
      failures: 0,
      bootFailures: 0,
      seq: 0,
    }))
  }

  /** Starts every worker; resolves once each has said it is ready, rejects if none can start. */
  async start(): Promise<void> {
    this.ensureStarted()
    await this.until(() => {
      if (this.unavailable)
        throw new CrankError(WorkerErrorCodes.workerUnavailable, `no ${this.opts.kind} worker of ${this.opts.capability.id} could start`, {
          retryable: true,
        })
      return this.slots.every((s) => s.state === 'idle' || s.state === 'busy')
    })
  }

  run(req: ExecuteRequest): Promise<JobOutcome> {
    if (this.closed) return Promise.resolve(failed(ErrorCodes.shuttingDown, 'worker pool is closed'))
    if (req.signal?.aborted === true) return Promise.resolve(abortOutcome(req.signal.reason ?? cancelledError()))
    if (req.deadline !== undefined && req.deadline <= Date.now()) return Promise.resolve(abortOutcome(deadlineError()))
    if (this.unavailable)
      return Promise.resolve(
        failed(WorkerErrorCodes.workerUnavailable, `no ${this.opts.kind} worker of ${this.opts.capability.id} could start`),
      )
    this.ensureStarted()
    return new Promise<JobOutcome>((resolve) => {
      const job: PoolJob = { req, done: false, resolve, credits: INPUT_WINDOW, output: Promise.resolve(), cleanup: () => {} }
      const onAbort = (): void => this.abort(job, req.signal?.reason ?? cancelledError())
      req.signal?.addEventListener('abort', onAbort, { once: true })
      const timer = req.deadline === undefined ? undefined : setTimeout(() => this.abort(job, deadlineError()), req.deadline - Date.now())
      job.cleanup = () => {
        clearTimeout(timer)
        req.signal?.removeEventListener('abort', onAbort)
      }
      this.waiting.push(job)
      this.dispatch()
    })
  }

  stats(): PoolStats {
    const count = (state: SlotState): number => this.slots.filter((s) => s.state === state).length
    return {
      kind: this.opts.kind,
      size: this.slots.length,
      idle: count('idle'),
      busy: count('busy'),
      starting: count('starting'),
      backoff: count('backoff'),
      inFlight: this.slots.filter((s) => s.job !== undefined && !s.job.done).length + this.waiting.length,
      waiting: this.waiting.length,
      ...this.counters,
      unavailable: this.unavailable,
      workers: this.slots.map((s) => {
        const rss = s.handle?.rssBytes() ?? s.rss
        return { state: s.state, pid: s.pid, threadId: s.threadId, failures: s.failures, ...(rss === undefined ? {} : { rssBytes: rss }) }
      }),
    }
  }

  /** Ends every worker; jobs still held end `cancelled/shutting_down` (retryable). */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearInterval(this.health)
    const reason = new CrankError(ErrorCodes.shuttingDown, 'worker pool closed', { retryable: true })
    for (const job of this.waiting.splice(0)) this.abort(job, reason)
    for (const slot of this.slots) {
      if (slot.job !== undefined) this.abort(slot.job, reason)
      clearTimeout(slot.restartTimer)
      if (slot.handle === undefined) slot.state = 'closed'
      else this.kill(slot, 'closed')
    }
    await this.until(() => this.slots.every((s) => s.handle === undefined))
  }

  private ensureStarted(): void {
    if (this.started) return
    this.started = true
    for (const slot of this.slots) this.launch(slot)
    this.health = setInterval(() => this.checkHealth(), this.tuning.healthIntervalMs)
    this.health.unref()
  }

  private until(ready: () => boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = (): boolean => {
        try {
          if (!ready()) return false
          resolve()
        } catch (err) {
          reject(err)
        }
        return true
      }
      if (!check()) this.changed.push(check)
    })
  }

  private notify(): void {
    this.changed = this.changed.filter((check) => !check())
  }

  private launch(slot: Slot): void {
    slot.state = 'starting'
    slot.readyAt = 0
    slot.pingSentAt = undefined
    let handle: WorkerHandle
    try {
      handle = this.opts.launch()
    } catch (err) {
      this.opts.log.error({ err, capability: this.opts.capability.id }, 'worker failed to launch')
      this.afterExit(slot, 'boot-failed', undefined)
      return
    }
    slot.handle = handle
    slot.pid = handle.pid
    handle.onMessage((msg) => {
      if (slot.handle === handle) this.onMessage(slot, msg)
    })
    handle.onExit((exit) => {
      if (slot.handle === handle) this.onExit(slot, exit)
    })
    slot.bootTimer = setTimeout(() => this.kill(slot, 'boot-timeout'), this.tuning.bootTimeoutMs)
  }

  private kill(slot: Slot, reason: ExitReason): void {
    slot.exitReason ??= reason
    slot.handle?.kill()
  }

  private send(slot: Slot, msg: ControlMessage): void {
    slot.handle?.send(msg)
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const slot = this.slots.find((s) => s.state === 'idle')
      if (slot === undefined) return
      const job = this.waiting.shift()!
      slot.state = 'busy'
      slot.job = job
      job.slot = slot
      const { req } = job
      this.send(slot, {
        t: 'start',
        jobId: req.jobId,
        params: req.params,
        ...(req.deadline === undefined ? {} : { deadline: req.deadline }),
        validateOutput: req.validateOutput,
        logLevel: req.log.level,
        ...(req.caller === undefined ? {} : { caller: req.caller }),
      })
      void this.pumpInput(slot, job)
    }
  }

  /** Sends input while the worker has granted credit for it. */
  private async pumpInput(slot: Slot, job: PoolJob): Promise<void> {
    const { jobId } = job.req
    const it = job.req.input[Symbol.asyncIterator]()
    const holds = (): boolean => !job.done && slot.job === job
    try {
      while (holds()) {
        while (job.credits <= 0 && holds()) await new Promise<void>((resolve) => (job.wakeInput = resolve))
        if (!holds()) break
        const next = await it.next()
        if (!holds()) break
        if (next.done === true) {
          this.send(slot, { t: 'input-end', jobId })
          return
        }
        job.credits--
        this.send(slot, { t: 'input', jobId, chunk: next.value })
      }
      await it.return?.()
    } catch (err) {
      if (holds()) this.send(slot, { t: 'input-error', jobId, error: toErrorInfo(err) })
    }
  }

  private onMessage(slot: Slot, msg: WorkerMessage): void {
    const job = slot.job !== undefined && 'jobId' in msg && slot.job.req.jobId === msg.jobId ? slot.job : undefined
    switch (msg.t) {
      case 'ready':
        clearTimeout(slot.bootTimer)
        slot.state = 'idle'
        slot.readyAt = Date.now()
        slot.bootFailures = 0
        slot.threadId = msg.threadId
        this.unavailable = false
        this.opts.onEvent?.({ type: 'ready', slot: slot.index, pid: msg.pid, threadId: msg.threadId })
        this.dispatch()
        this.notify()
        break
      case 'boot-failed':
        this.opts.log.error({ capability: this.opts.capability.id, error: msg.error }, 'worker could not load its capability')
        this.kill(slot, 'boot-failed')
        break
      case 'credit':
        if (job === undefined) break
        job.credits += msg.n
        job.wakeInput?.()
        break
      case 'output': {
        if (job === undefined) break
        const { sink } = job.req
        job.output = job.output
          .then(() => (job.done ? undefined : sink.output(msg.chunk)))
          .then(
            () => this.send(slot, { t: 'output-ack', jobId: msg.jobId, n: 1 }),
            (err: unknown) => {
              if (job.done) return
              const error = toErrorInfo(err)
              this.send(slot, { t: 'cancel', jobId: msg.jobId, reason: error })
              this.finish(job, { state: 'failed', error })
            },
          )
        break
      }
      case 'progress':
        if (job !== undefined && !job.done) job.req.sink.progress(msg.update)
        break
      case 'done':
        if (job === undefined) break
        if (msg.outcome.state === 'succeeded') slot.failures = 0
        void job.output.then(() => this.finish(job, msg.outcome))
        break
      case 'released':
        if (job === undefined) break
        clearTimeout(slot.graceTimer)
        slot.job = undefined
        slot.state = 'idle'
        // Releasing proves the worker is alive: a ping left unanswered while it was busy no longer counts.
        slot.pingSentAt = undefined
        this.dispatch()
        this.notify()
        break
      case 'pong':
        slot.pingSentAt = undefined
        slot.rss = msg.rss
        break
      case 'log':
        this.relayLog(msg.line)
        break
    }
  }

  private finish(job: PoolJob, outcome: JobOutcome): void {
    if (job.done) return
    job.done = true
    job.cleanup()
    job.wakeInput?.()
    job.resolve(outcome)
    const slot = job.slot
    if (slot !== undefined && slot.job === job) {
      // The handler still holds its worker (it ignored the signal, or is finishing up).
      slot.graceTimer = setTimeout(() => {
        if (slot.job === job) this.kill(slot, 'cancel-grace')
      }, this.tuning.cancelGraceMs)
    }
  }

  private abort(job: PoolJob, reason: unknown): void {
    if (job.done) return
    const queued = this.waiting.indexOf(job)
    if (queued >= 0) this.waiting.splice(queued, 1)
    else if (job.slot !== undefined && job.slot.job === job) {
      this.send(job.slot, { t: 'cancel', jobId: job.req.jobId, reason: toErrorInfo(reason, ErrorCodes.cancelled) })
    }
    this.finish(job, abortOutcome(reason))
  }

  private onExit(slot: Slot, exit: WorkerExit): void {
    slot.handle = undefined
    clearTimeout(slot.bootTimer)
    clearTimeout(slot.graceTimer)
    let reason: ExitReason = slot.exitReason ?? (exit.outOfMemory ? 'memory' : slot.readyAt === 0 ? 'boot-failed' : 'crashed')
    if (exit.outOfMemory) reason = 'memory'
    slot.exitReason = undefined
    this.opts.onEvent?.({
      type: 'exit',
      slot: slot.index,
      pid: slot.pid,
      reason,
      code: exit.code,
      signal: exit.signal,
      detail: exit.detail,
    })
    if (reason !== 'closed')
      this.opts.log.warn(
        { capability: this.opts.capability.id, pid: slot.pid, reason, code: exit.code, signal: exit.signal, detail: exit.detail },
        'worker exited',
      )
    const job = slot.job
    slot.job = undefined
    if (job !== undefined && !job.done) {
      const memory = reason === 'memory'
      const limit = this.opts.capability.resources?.memoryMb
      this.finish(
        job,
        memory
          ? failed(
              WorkerErrorCodes.workerMemoryExceeded,
              `${this.opts.kind} worker of ${this.opts.capability.id} went over its ${limit ?? '?'} MB memory cap`,
            )
          : failed(WorkerErrorCodes.workerCrashed, `${this.opts.kind} worker of ${this.opts.capability.id} died (${describeExit(exit)})`),
      )
    }
    this.afterExit(slot, reason, exit)
  }

  private afterExit(slot: Slot, reason: ExitReason, _exit: WorkerExit | undefined): void {
    if (this.closed) {
      slot.state = 'closed'
      this.notify()
      return
    }
    if (reason === 'crashed' || reason === 'memory') this.counters.crashes++
    if (reason === 'memory') this.counters.memoryKills++
    if (reason === 'cancel-grace') this.counters.graceKills++
    let delayMs = 0
    // Killing a handler that ignored its cancel is policy, not a fault of the worker.
    if (reason !== 'cancel-grace') {
      slot.failures++
      delayMs = Math.min(this.tuning.backoffBaseMs * 2 ** (slot.failures - 1), this.tuning.backoffMaxMs)
    }
    if (reason === 'boot-failed' || reason === 'boot-timeout') slot.bootFailures++
    if (this.slots.every((s) => s.bootFailures >= this.tuning.maxBootFailures)) this.becomeUnavailable()
    slot.state = 'backoff'
    this.counters.restarts++
    this.opts.onEvent?.({ type: 'restart', slot: slot.index, delayMs, failures: slot.failures })
    slot.restartTimer = setTimeout(() => {
      if (!this.closed) this.launch(slot)
    }, delayMs)
    this.notify()
  }

  private becomeUnavailable(): void {
    if (this.unavailable) return
    this.unavailable = true
    const error = failed(WorkerErrorCodes.workerUnavailable, `no ${this.opts.kind} worker of ${this.opts.capability.id} could start`)
    for (const job of this.waiting.splice(0)) this.finish(job, error)
  }

  private checkHealth(): void {
    const now = Date.now()
    for (const slot of this.slots) {
      if (slot.handle === undefined || (slot.state !== 'idle' && slot.state !== 'busy')) continue
      const rss = slot.handle.rssBytes()
      if (rss !== undefined) slot.rss = rss
      if (this.tuning.rssLimitBytes !== undefined && rss !== undefined && rss > this.tuning.rssLimitBytes) {
        this.kill(slot, 'memory')
        continue
      }
      if (slot.failures > 0 && now - slot.readyAt > this.tuning.backoffResetMs) slot.failures = 0
      if (slot.pingSentAt !== undefined) {
        if (slot.state === 'idle' && now - slot.pingSentAt > this.tuning.pingTimeoutMs) this.kill(slot, 'unresponsive')
        continue
      }
      slot.pingSentAt = now
      this.send(slot, { t: 'ping', seq: ++slot.seq })
    }
  }

  private relayLog(line: string): void {
    try {
      const { level, msg, time: _time, pid: _pid, hostname: _hostname, ...rest } = JSON.parse(line) as Record<string, unknown>
      const method = LEVELS[Number(level)] ?? 'info'
      this.opts.log[method](rest, typeof msg === 'string' ? msg : '')
    } catch {
      this.opts.log.info({ line }, 'worker log')
    }
  }
}

function failed(code: string, message: string): JobOutcome {
  return { state: 'failed', error: { code, message, retryable: true } }
}

function describeExit(exit: WorkerExit): string {
  const how = exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code}`
  return exit.detail === '' ? how : `${how}: ${exit.detail}`
}
