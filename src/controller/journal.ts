/**
 * The job journal: a bounded record of the jobs this node served and how each
 * ended, with an event per terminal state. Operators read it in logs; tests and
 * embedders wait on it to see the provider's side of a job.
 *
 * Recording is on every job's path, so it is a slot written in a ring: no map
 * to rehash, and the event is emitted only when someone listens. Lookups, rare,
 * scan the ring.
 */
import { EventEmitter } from 'node:events'
import type { ErrorInfo, TerminalState } from '../errors.ts'

export interface JournalEntry {
  jobId: string
  capability: string
  version: string
  /** `local`, or the caller's peer id. */
  caller: string
  state: TerminalState
  error?: ErrorInfo
  startedAt: number
  endedAt: number
}

export class JobJournal extends EventEmitter<{ end: [JournalEntry] }> {
  private readonly ring: Array<JournalEntry | undefined>
  private next = 0

  constructor(capacity = 1000) {
    super()
    this.ring = new Array(capacity)
  }

  record(entry: JournalEntry): void {
    this.ring[this.next] = entry
    this.next = (this.next + 1) % this.ring.length
    if (this.listenerCount('end') > 0) this.emit('end', entry)
  }

  /** The newest entry for `jobId`. */
  get(jobId: string): JournalEntry | undefined {
    for (let i = 1; i <= this.ring.length; i++) {
      const e = this.ring[(this.next - i + this.ring.length) % this.ring.length]
      if (e === undefined) return undefined
      if (e.jobId === jobId) return e
    }
    return undefined
  }

  /** Entries oldest first. */
  recent(): JournalEntry[] {
    const older = this.ring.slice(this.next)
    const newer = this.ring.slice(0, this.next)
    return [...older, ...newer].filter((e): e is JournalEntry => e !== undefined)
  }

  /** Resolves when `jobId` has ended here (at once if it already has). */
  waitFor(jobId: string, signal?: AbortSignal): Promise<JournalEntry> {
    const known = this.get(jobId)
    if (known !== undefined) return Promise.resolve(known)
    return new Promise((resolve, reject) => {
      const onEnd = (e: JournalEntry): void => {
        if (e.jobId !== jobId) return
        this.off('end', onEnd)
        resolve(e)
      }
      this.on('end', onEnd)
      signal?.addEventListener('abort', () => {
        this.off('end', onEnd)
        reject(signal.reason)
      })
    })
  }
}
