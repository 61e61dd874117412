/**
 * The changes `GET /v1/events` streams: job state changes and peers joining or leaving the
 * mesh registry, numbered for `Last-Event-ID` and kept in a bounded buffer (a client that was
 * away longer is told what it missed with a `gap`, then re-reads the lists). Snapshots (mesh,
 * stats) are not kept here: they are state, sent fresh on each tick.
 */
import type { ErrorInfo } from '../errors.ts'

export type LiveEvent =
  /** A job's new state. `capability` is absent when the job store reported it (fetch the job). */
  | {
      event: 'job'
      data: { id: string; state: string; at: number; capability?: string; durationMs?: number; error?: ErrorInfo; peer?: string }
    }
  /** A peer's advert appeared in, or left, the mesh registry. */
  | { event: 'peer'; data: { peer: string; change: 'added' | 'removed'; at: number } }
  /** The job store's change feed fell behind and was restarted: re-read the job list. */
  | { event: 'resync'; data: { at: number; reason: string } }

export type NumberedLiveEvent = LiveEvent & { id: number }

export class LiveFeed {
  readonly #max: number
  readonly #events: NumberedLiveEvent[] = []
  #id = 0
  #waiters: Array<() => void> = []

  constructor(maxEvents: number) {
    this.#max = maxEvents
  }

  get lastId(): number {
    return this.#id
  }

  publish(e: LiveEvent): void {
    this.#events.push({ ...e, id: ++this.#id } as NumberedLiveEvent)
    if (this.#events.length > this.#max) this.#events.shift()
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }

  since(afterId: number): { events: NumberedLiveEvent[]; missed?: { from: number; to: number } } {
    // An id from before a restart (larger than any we issued) resumes from now.
    const after = Math.min(afterId, this.#id)
    const first = this.#events[0]?.id ?? this.#id + 1
    const events = this.#events.filter((e) => e.id > after)
    return first > after + 1 ? { events, missed: { from: after + 1, to: first - 1 } } : { events }
  }

  /** Resolves at the next event, or when `signal` aborts. */
  changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve()
      const done = (): void => {
        signal.removeEventListener('abort', done)
        this.#waiters = this.#waiters.filter((w) => w !== done)
        resolve()
      }
      this.#waiters.push(done)
      signal.addEventListener('abort', done, { once: true })
    })
  }
}
