/**
 * `node.jobs`: the JobsApi over this node's job store and its dispatcher. Reads come from the
 * store; retry and cancel act through the dispatcher, so a retried job runs exactly as a
 * submitted one does. Filters may come from a socket or a shell: each bad value is a typed
 * `invalid_option` naming the field.
 */
import type { Logger } from 'pino'
import type { StoreConfig } from '../config.ts'
import { CrankError, ErrorCodes, type TerminalState } from '../errors.ts'
import { AsyncQueue } from '../jobs/async-queue.ts'
import { JobRetention } from '../jobs/job-retention.ts'
import type { JobStore } from '../jobs/job-store.ts'
import {
  isTerminal,
  JOB_STATES,
  type JobChange,
  type JobEventRecord,
  type JobFilter,
  type JobRecord,
  type JobState,
  type JobSummary,
  type JobsApi,
  type ServedSummary,
} from '../jobs/jobs-api.ts'
import { StoreErrorCodes } from '../jobs/store-errors.ts'
import type { Dispatcher } from './dispatcher.ts'
import { recoverJobs } from './job-recovery.ts'

const DEFAULT_CHANGE_BUFFER = 10_000

export class NodeJobs implements JobsApi {
  private readonly store: JobStore
  private readonly dispatcher: Dispatcher
  private readonly retention: JobRetention
  private readonly log: Logger

  constructor(store: JobStore, dispatcher: Dispatcher, config: StoreConfig, log: Logger) {
    this.store = store
    this.dispatcher = dispatcher
    this.log = log
    this.retention = new JobRetention(store, {
      maxAgeMs: config.retentionMs,
      maxJobs: config.retentionJobs,
      intervalMs: config.pruneIntervalMs,
      log,
    })
  }

  /** Prunes, starts background retention, and resumes the durable jobs a previous run left unfinished. */
  start(): void {
    try {
      this.retention.prune()
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'job store retention failed at start; it runs again later')
    }
    this.retention.start()
    recoverJobs(this.store, this.dispatcher, this.log)
  }

  /** After the node's jobs have settled: nothing writes to the store past this. */
  stop(): void {
    this.retention.stop()
    this.store.close()
  }

  async list(filter: JobFilter = {}): Promise<JobSummary[]> {
    return this.store.list(checkFilter(filter))
  }

  async get(id: string): Promise<JobRecord> {
    return this.store.require(checkId(id))
  }

  async events(id: string, afterSeq = 0): Promise<JobEventRecord[]> {
    if (!Number.isInteger(afterSeq) || afterSeq < 0) throw invalid('afterSeq', `must be a whole number ≥ 0, got ${String(afterSeq)}`)
    return this.store.events(checkId(id)).filter((e) => e.seq > afterSeq)
  }

  async output(id: string): Promise<Uint8Array | undefined> {
    const store = this.store
    store.require(checkId(id))
    return store.readOutput(id)
  }

  wait(id: string, signal?: AbortSignal): Promise<JobRecord> {
    try {
      return this.store.whenEnded(checkId(id), signal)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  async retry(target: string | JobFilter): Promise<string[]> {
    const store = this.store
    if (typeof target === 'string') {
      const job = store.require(checkId(target))
      if (!isTerminal(job.state))
        throw new CrankError(StoreErrorCodes.invalidState, `job ${job.id} is ${job.state}: only an ended job can be retried`)
      if (job.state === 'succeeded')
        throw new CrankError(StoreErrorCodes.invalidState, `job ${job.id} succeeded: there is nothing to retry`)
      const stored = store.reopen(job.id)
      if (stored === undefined) {
        throw new CrankError(
          ErrorCodes.notReplayable,
          `job ${job.id} cannot be run again: its input was streamed once and not kept (larger than store.maxInputBytes, or the job was not durable)`,
        )
      }
      this.dispatcher.resume(stored, 'retry')
      return [job.id]
    }
    const filter = checkFilter(target)
    const states = filter.state === undefined ? ['failed' as const] : Array.isArray(filter.state) ? filter.state : [filter.state]
    const wrong = states.find((s) => !isTerminal(s) || s === 'succeeded')
    if (wrong !== undefined) throw invalid('state', `retry applies to failed, cancelled or expired jobs, not ${wrong}`)
    const retried: string[] = []
    for (const id of store.ids({ ...filter, state: states })) {
      const stored = store.reopen(id)
      if (stored === undefined) continue
      this.dispatcher.resume(stored, 'retry')
      retried.push(id)
    }
    return retried
  }

  async cancel(id: string, reason = 'job cancelled by operator'): Promise<void> {
    const job = this.store.require(checkId(id))
    if (isTerminal(job.state)) throw new CrankError(StoreErrorCodes.invalidState, `job ${job.id} already ended ${job.state}`)
    if (!this.dispatcher.cancel(job.id, reason)) {
      throw new CrankError(StoreErrorCodes.invalidState, `job ${job.id} is ${job.state} in the store but not running on this node`)
    }
  }

  async purge(filter: JobFilter = {}): Promise<number> {
    const checked = checkFilter(filter)
    const states = checked.state === undefined ? [] : Array.isArray(checked.state) ? checked.state : [checked.state]
    const active = states.find((s) => !isTerminal(s))
    if (active !== undefined) throw invalid('state', `purge deletes ended jobs only, not ${active} ones`)
    return this.store.purge(checked)
  }

  async served(filter: Omit<JobFilter, 'state'> & { state?: TerminalState | TerminalState[] } = {}): Promise<ServedSummary[]> {
    const checked = checkFilter(filter as JobFilter)
    const states = checked.state === undefined ? [] : Array.isArray(checked.state) ? checked.state : [checked.state]
    const active = states.find((s) => !isTerminal(s))
    if (active !== undefined) throw invalid('state', `served jobs are listed once ended; ${active} is not an end state`)
    return this.store.servedJobs(checked as Omit<JobFilter, 'state'> & { state?: TerminalState[] })
  }

  changes(opts: { signal?: AbortSignal; bufferLimit?: number } = {}): AsyncIterable<JobChange> {
    const store = this.store
    const limit = opts.bufferLimit ?? DEFAULT_CHANGE_BUFFER
    if (!Number.isInteger(limit) || limit < 1) throw invalid('bufferLimit', `must be a whole number ≥ 1, got ${String(limit)}`)
    const queue = new AsyncQueue<JobChange>({ highWaterMark: Number.POSITIVE_INFINITY })
    const stop = (): void => {
      store.off('change', onChange)
      opts.signal?.removeEventListener('abort', stop)
      queue.end()
    }
    const onChange = (change: JobChange): void => {
      if (queue.length >= limit) {
        store.off('change', onChange)
        queue.end(
          new CrankError(ErrorCodes.bufferFull, `job changes: the reader fell ${limit} changes behind; re-read with list and events`),
        )
        return
      }
      void queue.push(change)
    }
    if (opts.signal?.aborted === true) queue.end()
    else {
      store.on('change', onChange)
      opts.signal?.addEventListener('abort', stop, { once: true })
    }
    return {
      [Symbol.asyncIterator]: () => {
        const it = queue[Symbol.asyncIterator]()
        return {
          next: () => it.next(),
          return: async () => {
            stop()
            return { done: true, value: undefined }
          },
        }
      },
    }
  }
}

function invalid(field: string, message: string): CrankError {
  return new CrankError(ErrorCodes.invalidOption, `${field} ${message}`, { details: { field } })
}

function checkId(id: unknown): string {
  if (typeof id !== 'string' || id === '') throw invalid('id', `must be a non-empty job id, got ${typeof id}`)
  return id
}

const isTime = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0

/** The filter as given, checked field by field. */
function checkFilter(filter: unknown): JobFilter {
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) throw invalid('filter', 'must be an object')
  const f = filter as Record<string, unknown>
  const known = new Set(['state', 'capability', 'since', 'before', 'limit'])
  const extra = Object.keys(f).find((k) => !known.has(k) && f[k] !== undefined)
  if (extra !== undefined) throw invalid(extra, `is not a job filter field (state, capability, since, before, limit)`)
  if (f.state !== undefined) {
    const states = Array.isArray(f.state) ? f.state : [f.state]
    const bad = states.find((s) => !JOB_STATES.includes(s as JobState))
    if (bad !== undefined || states.length === 0)
      throw invalid('state', `must be one or more of ${JOB_STATES.join(', ')}, got ${String(bad)}`)
  }
  if (f.capability !== undefined && (typeof f.capability !== 'string' || f.capability === ''))
    throw invalid('capability', 'must be a capability id')
  if (f.since !== undefined && !isTime(f.since)) throw invalid('since', 'must be a time in epoch milliseconds')
  if (f.before !== undefined && !isTime(f.before)) throw invalid('before', 'must be a time in epoch milliseconds')
  if (f.limit !== undefined && (!Number.isInteger(f.limit) || (f.limit as number) < 1))
    throw invalid('limit', `must be a whole number ≥ 1, got ${String(f.limit)}`)
  return f as JobFilter
}
