/**
 * The job store: every job this node submitted (its options, kept input, state transitions,
 * attempts, route, result) and every job it served, in one SQLite file in WAL mode.
 *
 * Writes are batched: a job's changes are held in memory and posted to the store's own thread
 * (job-store-connection.ts) a few milliseconds later (`flushIntervalMs`), which commits them in
 * one transaction, so a busy node commits once for many jobs and a job that starts and ends inside
 * one window costs one row write. What must be on disk before the caller hears of it (a durable
 * submit, a durable job's end) asks for the next tick instead and waits for that commit.
 *
 * A job stays in memory (`live`) until its end is on disk; reads post what is pending, then ask
 * the thread over the same ordered port, so they see every change made before them.
 */
import { EventEmitter } from 'node:events'
import { statSync } from 'node:fs'
import type { Logger } from 'pino'
import type { StoreConfig } from '../config.ts'
import { CrankError, ErrorCodes, type ErrorInfo, type TerminalState } from '../errors.ts'
import { IdIndex } from './id-index.ts'
import type { JobReport, RouteReason } from './job-handle.ts'
import { type JobInput, toByteStream } from './job-input.ts'
import { InputSpool } from './job-input-spool.ts'
import type { JobRecorder, NewJob, ServedAnswer, ServedEntry, ServedRecorder, StoredJob, SubmitRecord } from './job-recorder.ts'
import { StoreConnection, storeError } from './job-store-connection.ts'
import {
  type InputKind,
  insertArgs,
  JOB_COLUMNS,
  type JobRow,
  type LiveJob,
  liveOf,
  recordOf,
  replayableKind,
  reportOf,
  type ServedRow,
  servedArgs,
  summaryOf,
  updateArgs,
  whereOf,
} from './job-store-rows.ts'
import { answerKeyHash, RowKind, type SqlValue, type WriteReply } from './job-store-wire.ts'
import {
  isTerminal,
  type JobChange,
  type JobEventRecord,
  type JobFilter,
  type JobRecord,
  type JobSummary,
  type ServedSummary,
  type StoredOptions,
} from './jobs-api.ts'
import { StoreErrorCodes } from './store-errors.ts'

/** The store's settings as the node's `store` config gives them, with where its files go. */
export interface JobStoreOptions
  extends Pick<StoreConfig, 'flushIntervalMs' | 'synchronous' | 'inlineInputBytes' | 'maxInputBytes' | 'maxDiskBytes' | 'maxOutputBytes'> {
  /** The SQLite file. */
  path: string
  /** Where inputs too large for a row are kept. */
  inputDir: string
  log: Logger
}

export class JobStore extends EventEmitter<{ change: [JobChange] }> implements JobRecorder, ServedRecorder {
  readonly path: string
  readonly spool: InputSpool
  readonly maxOutputBytes: number
  /** Told how long each batched write took (metrics); unset, nothing is timed. */
  onWrite: ((seconds: number) => void) | undefined = undefined
  private readonly opts: JobStoreOptions
  private readonly db: StoreConnection
  private readonly live = new IdIndex<LiveJob>()
  /** Batches posted to the store's thread and not yet answered, oldest first. */
  private readonly inFlight: Batch[] = []
  private seq = 0
  /** Hashes of the (caller, key) pairs this node holds an answer for: most keyed jobs are new, and need no lookup. */
  private readonly answerKeys = new Set<number>()
  /** Rows in the batches in flight: past MAX_ROWS_IN_FLIGHT, ending jobs wait for the thread. */
  private rowsInFlight = 0
  /** Kept input and output bytes in the batches in flight (each batch is a copy): bounded as rows are. */
  private bytesInFlight = 0
  /** Ended jobs waiting on the next flush. */
  private endsWaiting = 0
  private dirty: LiveJob[] = []
  private servedQueue: ServedEntry[] = []
  private timer: NodeJS.Timeout | undefined
  private immediate: NodeJS.Immediate | undefined
  private flushWaiters: FlushWaiters | undefined
  /** Callers of `report`/`wait` per job id, told once its end is on disk. */
  private readonly endWaiters = new Map<string, Array<() => void>>()
  private closed = false

  /** Opens the store; a corrupt, locked or unusable file is a typed CrankError and is left as it was. */
  constructor(opts: JobStoreOptions) {
    super()
    this.opts = opts
    this.path = opts.path
    this.maxOutputBytes = opts.maxOutputBytes
    this.db = new StoreConnection(opts.path, opts.synchronous)
    this.db.onWritten = (reply) => this.written(reply)
    for (const h of this.db.answerKeys()) this.answerKeys.add(h)
    try {
      this.spool = new InputSpool({ dir: opts.inputDir, maxInputBytes: opts.maxInputBytes, maxDiskBytes: opts.maxDiskBytes })
    } catch (err) {
      this.db.close()
      throw new CrankError(StoreErrorCodes.storeUnavailable, `job store input directory ${opts.inputDir}: ${(err as Error).message}`)
    }
  }

  // ---- the submitting side (JobRecorder) -----------------------------------------------------

  submitted(job: NewJob, onInputFull: (err: CrankError) => void): SubmitRecord {
    if (job.chosenId === true && (this.live.has(job.id) || this.db.get(SQL.exists, job.id) !== undefined)) {
      throw new CrankError(
        ErrorCodes.invalidOption,
        `jobId ${JSON.stringify(job.id)} is already in this node's job store; give a new one`,
        {
          details: { field: 'jobId' },
        },
      )
    }
    const now = Date.now()
    const live: LiveJob = {
      id: job.id,
      capability: job.capability,
      versionRange: job.versionRange,
      params: JSON.stringify(job.params ?? {}),
      options: isEmpty(job.options) ? '{}' : JSON.stringify(job.options),
      durable: job.durable,
      key: job.idempotencyKey ?? null,
      state: 'queued',
      attempts: 0,
      peer: null,
      reason: null,
      version: null,
      error: null,
      result: null,
      output: null,
      outputBytes: null,
      inputKind: job.input === undefined ? 'none' : 'not_kept',
      input: null,
      inputBytes: 0,
      events: [`{"seq":1,"at":${now},"type":"queued"}`],
      createdAt: now,
      startedAt: null,
      endedAt: null,
      inserted: false,
      dirty: false,
    }
    let input = job.input
    let pendingFile: Uint8Array | undefined
    if (job.durable && input !== undefined) {
      if (typeof input === 'string' || input instanceof Uint8Array) {
        const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input
        input = bytes
        live.inputBytes = bytes.byteLength
        if (bytes.byteLength <= this.opts.inlineInputBytes) {
          live.inputKind = 'inline'
          live.input = bytes
        } else if (bytes.byteLength <= this.opts.maxInputBytes) {
          // Written before the job is acknowledged; replayable once it is.
          pendingFile = bytes
        }
      } else {
        input = this.spool.tee(job.id, toByteStream(input), (r) => {
          live.inputBytes = r.bytes
          if (r.kept) live.inputKind = 'file'
          this.touch(live)
        })
        input = failOnFull(input, onInputFull)
      }
    }
    if (live.key !== null) {
      // The key is claimed now, in its own statement: the UNIQUE index decides, whoever else writes.
      this.flushNow()
      const existing = this.claim(live)
      if (existing !== undefined) return { existing }
    }
    this.live.set(live.id, live)
    if (this.listenerCount('change') > 0) this.emitChange(live, { seq: 1, at: now, type: 'queued' })
    if (!job.durable) {
      this.touch(live)
      return { input, stored: undefined }
    }
    if (pendingFile === undefined) return { input, stored: this.touch(live, true) }
    const runAfter = this.spool.write(live.id, pendingFile)
    const stored = runAfter.then(() => {
      live.inputKind = 'file'
      return this.touch(live, true)
    })
    stored.catch(() => {})
    this.touch(live)
    return { input, stored, runAfter }
  }

  resumed(id: string, attempt: number, why: 'restart' | 'retry'): void {
    const live = this.live.get(id)
    if (live === undefined) return
    live.state = 'queued'
    this.append(live, { seq: live.events.length + 1, at: Date.now(), type: 'resumed', attempt, why })
  }

  routed(id: string, attempt: number, peer: string, reason: RouteReason): void {
    const live = this.live.get(id)
    if (live === undefined) return
    live.state = 'routed'
    live.attempts = attempt
    live.peer = peer
    live.reason = reason
    // The hot events are written as text directly: no object to build and encode per job.
    this.appendText(
      live,
      `{"seq":${live.events.length + 1},"at":${Date.now()},"type":"routed","attempt":${attempt},"peer":${JSON.stringify(peer)},"reason":"${reason}"}`,
    )
  }

  running(id: string, peer: string, version: string): void {
    const live = this.live.get(id)
    if (live === undefined) return
    live.state = 'running'
    live.version = version
    const at = Date.now()
    live.startedAt ??= at
    this.appendText(
      live,
      `{"seq":${live.events.length + 1},"at":${at},"type":"running","peer":${JSON.stringify(peer)},"version":${JSON.stringify(version)}}`,
    )
  }

  retrying(id: string, attempt: number, peer: string, error: ErrorInfo): void {
    const live = this.live.get(id)
    if (live === undefined) return
    live.state = 'retrying'
    this.append(live, { seq: live.events.length + 1, at: Date.now(), type: 'retrying', attempt, peer, error })
  }

  ended(id: string, report: JobReport): Promise<void> {
    const live = this.live.get(id)
    if (live === undefined || isTerminal(live.state)) return Promise.resolve()
    live.state = report.state
    live.attempts = Math.max(live.attempts, report.attempts)
    live.endedAt = Date.now()
    if (report.route !== undefined) {
      live.peer = report.route.peer
      live.reason = report.route.reason
    }
    live.error = report.error === undefined ? null : JSON.stringify(report.error)
    if (report.state === 'succeeded') live.result = JSON.stringify(report.value ?? null)
    if (report.output !== undefined) {
      live.outputBytes = report.output.byteLength
      live.output = report.output.byteLength <= this.maxOutputBytes ? report.output : null
    }
    const seq = live.events.length + 1
    const at = live.endedAt
    this.append(
      live,
      report.error === undefined ? { seq, at, type: report.state } : { seq, at, type: report.state, error: report.error },
      live.durable,
    )
    // A job that is not durable does not wait for its record, unless the thread has fallen this
    // far behind: then the jobs that end wait for it, so a node that outruns its disk slows down
    // instead of queueing without bound.
    if (!live.durable && !this.behind()) return RESOLVED
    const written = this.settledFlush()
    // A busy node's ended jobs would otherwise all wait on one commit, then all go on while the
    // thread idles: posting some at once lets the thread commit while the rest are still run.
    if (++this.endsWaiting >= EARLY_FLUSH_ENDS) this.flushNow()
    return written
  }

  suspended(id: string, reason: string): Promise<void> {
    const live = this.live.get(id)
    if (live === undefined || isTerminal(live.state)) return Promise.resolve()
    this.append(live, { seq: live.events.length + 1, at: Date.now(), type: 'suspended', reason }, true)
    return this.settledFlush()
  }

  report(id: string, signal?: AbortSignal): Promise<JobReport> {
    return this.whenEnded(id, signal).then((row) => reportOf(row, this.readOutput(id)))
  }

  // ---- the serving side (ServedRecorder) -----------------------------------------------------

  served(entry: ServedEntry): void {
    // A job this node ran for itself is already in `jobs`, with more detail.
    if (this.closed || entry.caller === 'local') return
    this.servedQueue.push(entry)
    if (entry.state === 'succeeded' && entry.idempotencyKey !== undefined)
      this.answerKeys.add(answerKeyHash(entry.caller, entry.idempotencyKey))
    this.schedule(false)
  }

  answer(caller: string, key: string): ServedAnswer | undefined {
    for (let i = this.servedQueue.length - 1; i >= 0; i--) {
      const e = this.servedQueue[i]!
      if (e.caller === caller && e.idempotencyKey === key && e.state === 'succeeded') {
        return { version: e.version, result: e.result, output: e.output, outputBytes: e.outputBytes ?? 0 }
      }
    }
    // Retention may have deleted a row whose hash stays: that costs a lookup that finds nothing.
    if (!this.answerKeys.has(answerKeyHash(caller, key))) return undefined
    const row = this.db.get<{ version: string; result: string | null; output: Uint8Array | null; output_bytes: number | null }>(
      SQL.answer,
      caller,
      key,
    )
    if (row === undefined) return undefined
    return {
      version: row.version,
      result: row.result === null ? null : JSON.parse(row.result),
      output: row.output === null ? (row.output_bytes ? undefined : new Uint8Array()) : row.output,
      outputBytes: row.output_bytes ?? 0,
    }
  }

  // ---- reads (JobsApi) -----------------------------------------------------------------------

  /** Jobs newest first. */
  list(filter: JobFilter = {}): JobSummary[] {
    this.flushNow()
    const { where, args } = whereOf(filter)
    const limit = filter.limit ?? 100
    const rows = this.db.all<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs ${where} ORDER BY rowid DESC LIMIT ?`, ...args, limit)
    return rows.map(summaryOf)
  }

  get(id: string): JobRecord | undefined {
    this.flushNow()
    const row = this.db.get<JobRow>(SQL.get, id)
    return row === undefined ? undefined : recordOf(row)
  }

  /** Throws `unknown_job`. */
  require(id: string): JobRecord {
    const r = this.get(id)
    if (r === undefined) throw unknownJob(id)
    return r
  }

  readOutput(id: string): Uint8Array | undefined {
    const row = this.db.get<{ output: Uint8Array | null }>('SELECT output FROM jobs WHERE id = ?', id)
    return row?.output ?? undefined
  }

  /** Ids of jobs that match, oldest first, for bulk operations. */
  ids(filter: JobFilter): string[] {
    this.flushNow()
    const { where, args } = whereOf(filter)
    const limit = filter.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(filter.limit))}`
    return this.db.all<{ id: string }>(`SELECT id FROM jobs ${where} ORDER BY rowid${limit}`, ...args).map((r) => r.id)
  }

  servedJobs(filter: Omit<JobFilter, 'state'> & { state?: TerminalState | TerminalState[] } = {}): ServedSummary[] {
    this.flushNow()
    const { where, args } = whereOf(filter, false, 'ended_at')
    const rows = this.db.all<ServedRow>(
      `SELECT caller, job_id, capability, version, state, error, idempotency_key, started_at, ended_at FROM served ${where}
        ORDER BY ended_at DESC LIMIT ?`,
      ...args,
      filter.limit ?? 100,
    )
    return rows.map((r) => ({
      jobId: r.job_id,
      caller: r.caller,
      capability: r.capability,
      version: r.version,
      state: r.state,
      ...(r.error === null ? {} : { error: JSON.parse(r.error) as ErrorInfo }),
      ...(r.idempotency_key === null ? {} : { idempotencyKey: r.idempotency_key }),
      startedAt: r.started_at,
      endedAt: r.ended_at,
    }))
  }

  /** A job's events, oldest first. */
  events(id: string): JobEventRecord[] {
    this.flushNow()
    const row = this.db.get<{ events: string }>('SELECT events FROM jobs WHERE id = ?', id)
    if (row === undefined) throw unknownJob(id)
    return JSON.parse(row.events) as JobEventRecord[]
  }

  /** Resolves with the record once the job's end is on disk. */
  whenEnded(id: string, signal?: AbortSignal): Promise<JobRecord> {
    const now = this.require(id)
    if (isTerminal(now.state)) return Promise.resolve(now)
    return new Promise((resolve, reject) => {
      const list = this.endWaiters.get(id) ?? []
      const onAbort = (): void => {
        const i = list.indexOf(done)
        if (i !== -1) list.splice(i, 1)
        reject(signal?.reason)
      }
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort)
        try {
          resolve(this.require(id))
        } catch (err) {
          reject(err)
        }
      }
      if (signal?.aborted === true) {
        reject(signal.reason)
        return
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      list.push(done)
      this.endWaiters.set(id, list)
    })
  }

  /**
   * A recorded job, to be run again (recovery, retry): it is live again, queued, with its
   * kept input. Undefined when its input was not kept.
   */
  reopen(id: string): StoredJob | undefined {
    this.flushNow()
    const live = this.liveOrLoad(id)
    if (!replayableKind(live.inputKind)) return undefined
    let input: JobInput | undefined
    if (live.inputKind === 'inline')
      input = live.input ?? this.db.get<{ input: Uint8Array | null }>('SELECT input FROM jobs WHERE id = ?', id)?.input ?? new Uint8Array()
    else if (live.inputKind === 'file') input = this.spool.read(id)
    // A fresh run: what the last one left is not this one's.
    live.error = null
    live.result = null
    live.output = null
    live.outputBytes = null
    live.endedAt = null
    const options = JSON.parse(live.options) as StoredOptions
    return {
      id,
      capability: live.capability,
      versionRange: live.versionRange,
      params: JSON.parse(live.params),
      options,
      durable: live.durable,
      attempts: live.attempts,
      ...(live.peer === null ? {} : { peer: live.peer }),
      input,
    }
  }

  /** Ends a job that will not run again (recovery of one that cannot be replayed). */
  endUnrun(id: string, state: TerminalState, error: ErrorInfo): void {
    this.flushNow()
    const live = this.liveOrLoad(id)
    live.state = state
    live.error = JSON.stringify(error)
    live.endedAt = Date.now()
    this.append(live, { seq: live.events.length + 1, at: live.endedAt, type: state, error }, true)
  }

  /** Ids of jobs that had not ended when the node last stopped, oldest first, with whether each is durable. */
  unfinished(): Array<{ id: string; durable: boolean; replayable: boolean; inputKind: InputKind }> {
    this.flushNow()
    const rows = this.db.all<{ id: string; durable: number; input_kind: InputKind }>(
      "SELECT id, durable, input_kind FROM jobs WHERE ended_at IS NULL AND state NOT IN ('succeeded','failed','cancelled','expired') ORDER BY rowid",
    )
    return rows.map((r) => ({
      id: r.id,
      durable: r.durable === 1,
      replayable: replayableKind(r.input_kind) && (r.input_kind !== 'file' || this.spool.has(r.id)),
      inputKind: r.input_kind,
    }))
  }

  /** Deletes ended jobs matching `filter` with their kept input; returns how many. */
  purge(filter: JobFilter): number {
    this.flushNow()
    const { where, args } = whereOf(filter, true)
    const rows = this.db.all<{ id: string; input_kind: InputKind }>(`SELECT id, input_kind FROM jobs ${where}`, ...args)
    return this.deleteJobs(rows)
  }

  /** Deletes these jobs (ended ones only) and their input files; returns how many rows went. */
  deleteJobs(rows: Array<{ id: string; input_kind: InputKind }>): number {
    const gone = rows.filter((r) => !this.live.has(r.id))
    const deleted = this.db.deleteEnded(gone.map((r) => r.id))
    for (const r of gone) if (r.input_kind === 'file') this.spool.remove(r.id)
    return deleted
  }

  /** Runs `sql` with `args` (retention's deletes). */
  run(sql: string, ...args: Array<string | number>): number {
    return this.db.run(sql, ...args)
  }

  all<T>(sql: string, ...args: Array<string | number>): T[] {
    return this.db.all<T>(sql, ...args)
  }

  /** Writes what is pending and closes the file. Later writes are dropped. */
  close(): void {
    if (this.closed) return
    this.flushNow()
    this.closed = true
    clearTimeout(this.timer)
    if (this.immediate !== undefined) clearImmediate(this.immediate)
    // Waits for the batches in flight, whose answers are taken (and their waiters told) on the way.
    this.db.close()
  }

  /** Bytes on disk: the database file, its write-ahead log, and kept input files. */
  sizeBytes(): { database: number; wal: number; input: number } {
    const size = (file: string): number => {
      try {
        return statSync(file).size
      } catch {
        return 0
      }
    }
    return { database: size(this.path), wal: size(`${this.path}-wal`), input: this.spool.usedBytes }
  }

  /** Resolves once everything recorded so far is on disk; rejects when that write failed. */
  flushed(): Promise<void> {
    this.flushWaiters ??= flushWaiters()
    this.schedule(true)
    return this.flushWaiters.promise
  }

  /** Settles (never rejects) once the next flush has been tried; a failed one is logged there. */
  private settledFlush(): Promise<void> {
    this.flushWaiters ??= flushWaiters()
    this.schedule(true)
    return this.flushWaiters.settled
  }

  /**
   * Posts everything pending to the store's thread, as one transaction; reads and writes made
   * after this see it. The batch's waiters are told when it has committed (`written`).
   */
  flushNow(): void {
    if (this.closed) return
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.immediate !== undefined) clearImmediate(this.immediate)
    this.immediate = undefined
    const jobs = this.dirty
    const served = this.servedQueue
    const waiters = this.flushWaiters
    this.endsWaiting = 0
    this.dirty = []
    this.servedQueue = []
    this.flushWaiters = undefined
    if (jobs.length === 0 && served.length === 0) {
      waiters?.resolve()
      return
    }
    const kinds = new Uint8Array(jobs.length + served.length)
    const args: SqlValue[] = []
    const inserts: LiveJob[] = []
    let k = 0
    let bytes = 0
    for (const j of jobs) {
      j.dirty = false
      bytes += j.output?.byteLength ?? 0
      if (j.inserted) {
        kinds[k++] = RowKind.update
        args.push(j.id, ...updateArgs(j))
      } else {
        kinds[k++] = RowKind.insert
        args.push(...insertArgs(j))
        bytes += j.input?.byteLength ?? 0
        // Its updates follow it on the same ordered port, so they are updates from now on.
        j.inserted = true
        inserts.push(j)
      }
    }
    for (const e of served) {
      kinds[k++] = RowKind.served
      args.push(...servedArgs(e))
      bytes += e.output?.byteLength ?? 0
    }
    const seq = ++this.seq
    this.inFlight.push({ seq, jobs, served, waiters, inserts, bytes })
    this.rowsInFlight += kinds.length
    this.bytesInFlight += bytes
    this.db.write(seq, kinds, args)
  }

  /** A batch's outcome: its ended jobs leave memory, its waiters are told. */
  private written(reply: WriteReply): void {
    const batch = this.inFlight.shift()
    if (batch !== undefined) {
      this.rowsInFlight -= batch.jobs.length + batch.served.length
      this.bytesInFlight -= batch.bytes
    }
    if (batch === undefined || batch.seq !== reply.seq) {
      this.opts.log.error({ seq: reply.seq, expected: batch?.seq }, 'job store answers arrived out of order')
      return
    }
    const { jobs, served, waiters, inserts } = batch
    if (reply.error !== undefined && reply.diskFull !== true) {
      // The thread is gone (or closed): nothing more can be written, and durable callers hear why.
      const error = storeError(this.path, reply.error)
      this.opts.log.error({ err: error.message, jobs: jobs.length, served: served.length }, 'job store could not write')
      waiters?.reject(error)
      return
    }
    if (reply.diskFull === true) {
      const error = storeError(this.path, reply.error)
      this.opts.log.error(
        { err: error.message, jobs: jobs.length, served: served.length },
        'job store is full; writes are kept for the next flush',
      )
      // Kept for the next flush: nothing is dropped because the disk was full for a moment.
      for (const j of inserts) j.inserted = false
      for (const j of jobs) {
        if (j.dirty) continue
        j.dirty = true
        this.dirty.push(j)
      }
      this.servedQueue = served.concat(this.servedQueue)
      waiters?.reject(error)
      return
    }
    if (reply.seconds !== undefined) this.onWrite?.(reply.seconds)
    for (const d of reply.dropped ?? []) {
      const job = jobs[d.index]
      if (job !== undefined && inserts.includes(job)) job.inserted = false
      const what = job === undefined ? `served job ${served[d.index - jobs.length]?.jobId}` : `job ${job.id}`
      this.opts.log.error({ err: d.error.message, what }, 'job store could not write a record; it is dropped')
    }
    for (const j of jobs) {
      if (!isTerminal(j.state) || j.dirty) continue
      this.live.delete(j.id)
      const waiting = this.endWaiters.get(j.id)
      if (waiting !== undefined) {
        this.endWaiters.delete(j.id)
        for (const w of waiting) w()
      }
    }
    waiters?.resolve()
  }

  // ---- internals ---------------------------------------------------------------------------

  /** The job's live record, loaded from its row (and kept live) when it has none; `unknown_job` otherwise. */
  private liveOrLoad(id: string): LiveJob {
    let live = this.live.get(id)
    if (live === undefined) {
      const row = this.db.get<JobRow & { input: Uint8Array | null }>('SELECT * FROM jobs WHERE id = ?', id)
      if (row === undefined) throw unknownJob(id)
      live = liveOf(row)
      this.live.set(id, live)
    }
    return live
  }

  /** Inserts a keyed job now; returns the id of the job that holds the key when it is not this one. */
  private claim(live: LiveJob): string | undefined {
    const claimed = this.db.claim(insertArgs(live))
    if (claimed.rowid !== undefined) {
      live.inserted = true
      return undefined
    }
    if (claimed.holder === undefined)
      throw new CrankError(StoreErrorCodes.storeUnavailable, `idempotency key ${live.key} conflicts but no job holds it`)
    return claimed.holder
  }

  /** Adds an event (its `seq` one past the job's last) to the job's row. */
  private append(live: LiveJob, event: JobEventRecord, urgent = false): void {
    live.events.push(JSON.stringify(event))
    this.touch(live, urgent)
    this.emitChange(live, event)
  }

  /** The same, for an event already written as JSON text. */
  private appendText(live: LiveJob, json: string): void {
    live.events.push(json)
    this.touch(live)
    if (this.listenerCount('change') > 0) this.emitChange(live, JSON.parse(json) as JobEventRecord)
  }

  private emitChange(live: LiveJob, event: JobEventRecord): void {
    if (this.listenerCount('change') > 0) this.emit('change', { id: live.id, state: live.state, event })
  }

  /** The store's thread has this much not yet committed: jobs that end wait for it. */
  private behind(): boolean {
    return this.rowsInFlight > MAX_ROWS_IN_FLIGHT || this.bytesInFlight > MAX_BYTES_IN_FLIGHT
  }

  /** Marks a job for the next flush; `urgent` asks for it on the next tick and returns its promise. */
  private touch(live: LiveJob, urgent: true): Promise<void>
  private touch(live: LiveJob, urgent?: boolean): undefined
  private touch(live: LiveJob, urgent = false): Promise<void> | undefined {
    if (this.closed) return urgent ? Promise.resolve() : undefined
    if (!live.dirty) {
      live.dirty = true
      this.dirty.push(live)
    }
    if (urgent) return this.flushed()
    // A loop that never yields to the event loop would otherwise hold every change in memory.
    if (this.dirty.length >= MAX_DIRTY_JOBS) this.flushNow()
    else this.schedule(false)
    return undefined
  }

  private schedule(urgent: boolean): void {
    if (this.immediate !== undefined || this.closed) return
    if (urgent) {
      clearTimeout(this.timer)
      this.timer = undefined
      this.immediate = setImmediate(() => {
        this.immediate = undefined
        this.flushNow()
      })
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined
        this.flushNow()
      }, this.opts.flushIntervalMs)
    }
  }
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false
  return true
}

/** Promises shared by everyone waiting on the next flush: one pair per flush, not per job. */
interface FlushWaiters {
  /** Rejects when the flush failed. */
  promise: Promise<void>
  /** Resolves either way. */
  settled: Promise<void>
  resolve: () => void
  reject: (err: unknown) => void
}

const RESOLVED: Promise<void> = Promise.resolve()

/** Ended jobs waiting on a commit that are posted to the store's thread without waiting for the tick to end. */
const EARLY_FLUSH_ENDS = 32

/** Jobs with changes held for the next flush beyond which the flush does not wait for its timer. */
const MAX_DIRTY_JOBS = 1024

/** Rows posted to the store's thread and not yet committed beyond which ending jobs wait for it. */
const MAX_ROWS_IN_FLIGHT = 8192

/** Kept input and output bytes posted to the store's thread and not yet committed beyond which ending jobs wait for it. */
const MAX_BYTES_IN_FLIGHT = 64 * 1024 * 1024

/** A batch posted to the store's thread, with what to do when it is answered. */
interface Batch {
  seq: number
  jobs: LiveJob[]
  served: ServedEntry[]
  waiters: FlushWaiters | undefined
  /** Jobs whose row this batch inserts (an insert that fails is tried again as one). */
  inserts: LiveJob[]
  /** Its kept input and output bytes. */
  bytes: number
}

const SQL = {
  exists: 'SELECT 1 FROM jobs WHERE id = ?',
  answer: "SELECT version, result, output, output_bytes FROM served WHERE caller = ? AND idempotency_key = ? AND state = 'succeeded'",
  get: `SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`,
} as const

function flushWaiters(): FlushWaiters {
  const w = {} as FlushWaiters
  w.promise = new Promise<void>((resolve, reject) => {
    w.resolve = resolve
    w.reject = reject
  })
  // Also what keeps a flush nobody awaits from failing as an unhandled rejection.
  w.settled = w.promise.catch(() => {})
  return w
}

function unknownJob(id: string): CrankError {
  return new CrankError(StoreErrorCodes.unknownJob, `no job ${JSON.stringify(id)} in this node's job store`, { details: { id } })
}

/** A kept stream's `store_full` also reaches the job (so it ends failed with that code, not as a handler error). */
async function* failOnFull(source: AsyncIterable<Uint8Array>, onFull: (err: CrankError) => void): AsyncGenerator<Uint8Array> {
  try {
    yield* source
  } catch (err) {
    if (err instanceof CrankError && err.code === StoreErrorCodes.storeFull) onFull(err)
    throw err
  }
}
