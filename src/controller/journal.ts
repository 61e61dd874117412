/**
 * The job journal: a bounded record of the jobs this node served and how each
 * ended, with an event per terminal state. Operators read it in logs; tests and
 * embedders wait on it to see the provider's side of a job.
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
  private readonly entries = new Map<string, JournalEntry>()
  private readonly capacity: number

  constructor(capacity = 1000) {
    super()
    this.capacity = capacity
  }

  record(entry: JournalEntry): void {
    this.entries.set(entry.jobId, entry)
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string)
    this.emit('end', entry)
  }

  get(jobId: string): JournalEntry | undefined {
    return this.entries.get(jobId)
  }

  recent(): JournalEntry[] {
    return [...this.entries.values()]
  }

  /** Resolves when `jobId` has ended here (at once if it already has). */
  waitFor(jobId: string, signal?: AbortSignal): Promise<JournalEntry> {
    const known = this.entries.get(jobId)
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
