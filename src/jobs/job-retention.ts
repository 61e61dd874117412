/**
 * Retention: ended jobs (submitted and served) older than `maxAgeMs` are deleted, and past
 * `maxJobs` of either kind the oldest ended ones go too, with their kept input. Jobs that have
 * not ended are never pruned. It runs once at start and then in the background on an unref'd
 * timer, deleting in chunks so that no prune holds the event loop for long.
 */
import type { Logger } from 'pino'
import type { JobStore } from './job-store.ts'

export interface RetentionOptions {
  maxAgeMs: number
  maxJobs: number
  intervalMs: number
  log: Logger
}

export interface PruneReport {
  jobs: number
  served: number
}

/** Rows deleted per statement; each chunk is its own short transaction. */
const CHUNK = 1000

export class JobRetention {
  private readonly store: JobStore
  private readonly opts: RetentionOptions
  private timer: NodeJS.Timeout | undefined

  constructor(store: JobStore, opts: RetentionOptions) {
    this.store = store
    this.opts = opts
  }

  start(): void {
    if (this.timer !== undefined) return
    this.timer = setInterval(() => {
      try {
        this.prune()
      } catch (err) {
        this.opts.log.warn({ err: (err as Error).message }, 'job store retention failed; next run will try again')
      }
    }, this.opts.intervalMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  /** Deletes what retention no longer keeps; returns how many of each kind went. */
  prune(now = Date.now()): PruneReport {
    const cutoff = now - this.opts.maxAgeMs
    const report = { jobs: 0, served: 0 }
    const { store } = this
    store.flushNow()
    // Submitted jobs: by age, then by count. Selected first so their input files go with them.
    for (;;) {
      const rows = store.all<{ id: string; input_kind: 'file' }>(
        'SELECT id, input_kind FROM jobs WHERE ended_at IS NOT NULL AND ended_at < ? ORDER BY ended_at LIMIT ?',
        cutoff,
        CHUNK,
      )
      if (rows.length === 0) break
      const n = store.deleteJobs(rows)
      report.jobs += n
      if (n === 0) break
    }
    const ended = store.all<{ n: number }>('SELECT count(*) AS n FROM jobs WHERE ended_at IS NOT NULL')[0]?.n ?? 0
    let excess = ended - this.opts.maxJobs
    while (excess > 0) {
      const rows = store.all<{ id: string; input_kind: 'file' }>(
        'SELECT id, input_kind FROM jobs WHERE ended_at IS NOT NULL ORDER BY ended_at LIMIT ?',
        Math.min(excess, CHUNK),
      )
      if (rows.length === 0) break
      const n = store.deleteJobs(rows)
      report.jobs += n
      excess -= rows.length
      if (n === 0) break
    }
    // Served jobs keep no files: plain deletes, chunked by rowid.
    for (;;) {
      const n = store.run(
        'DELETE FROM served WHERE rowid IN (SELECT rowid FROM served WHERE ended_at < ? ORDER BY ended_at LIMIT ?)',
        cutoff,
        CHUNK,
      )
      report.served += n
      if (n < CHUNK) break
    }
    const served = store.all<{ n: number }>('SELECT count(*) AS n FROM served')[0]?.n ?? 0
    let servedExcess = served - this.opts.maxJobs
    while (servedExcess > 0) {
      const n = store.run(
        'DELETE FROM served WHERE rowid IN (SELECT rowid FROM served ORDER BY ended_at LIMIT ?)',
        Math.min(servedExcess, CHUNK),
      )
      report.served += n
      servedExcess -= n
      if (n === 0) break
    }
    if (report.jobs + report.served > 0) this.opts.log.info(report, 'job store pruned')
    return report
  }
}
