/**
 * One gateway job's history, for SSE replay and output readers: a bounded buffer of its events,
 * numbered from 1 with no gaps (the SSE event ids, so `Last-Event-ID` resumes), and the output
 * bytes it produced, kept until the gateway's output budget needs them back. Readers wait on it;
 * nothing here blocks the job.
 */
import type { ErrorInfo, TerminalState } from '../errors.ts'
import type { RouteInfo } from '../jobs/job-handle.ts'

/** The report a terminal event carries. */
export interface TerminalReport {
  state: TerminalState
  result?: unknown
  error?: ErrorInfo
  attempts: number
  durationMs: number
  route?: RouteInfo
  outputBytes: number
}

/** Payloads by event type; `seq` and `at` (epoch ms) are added when logged. */
export type JobLogEvent =
  /** A provider took the job: `local` or its peer id, and the version that runs it. */
  | { type: 'accepted'; peer: string; version: string }
  | { type: 'progress'; done: number; total?: number; message?: string }
  /** An attempt failed retryably on `peer`; the job moves on to another provider. */
  | { type: 'retry'; attempt: number; peer: string; error: ErrorInfo }
  /** `bytes` output bytes at `offset`; the bytes themselves are read from the log's output. */
  | { type: 'output'; offset: number; bytes: number; chunk: number }
  /** Exactly one, last. */
  | ({ type: 'end' } & TerminalReport)

export type LoggedEvent = JobLogEvent & { seq: number; at: number }

export interface Replay {
  events: LoggedEvent[]
  /** Events after the reader's position that were dropped from the buffer before it read them. */
  missed?: { from: number; to: number }
}

export class JobLog {
  readonly #maxEvents: number
  readonly #events: LoggedEvent[] = []
  #seq = 0
  #waiters: Array<() => void> = []
  /** Output chunks in order; undefined once dropped. */
  #chunks: Uint8Array[] | undefined = []
  #outputBytes = 0
  #ended = false

  constructor(maxEvents: number) {
    this.#maxEvents = maxEvents
  }

  get ended(): boolean {
    return this.#ended
  }

  get lastSeq(): number {
    return this.#seq
  }

  /** Output bytes produced, whether or not they are still kept. */
  get outputBytes(): number {
    return this.#outputBytes
  }

  /** Output bytes held now. */
  get keptBytes(): number {
    return this.#chunks === undefined ? 0 : this.#outputBytes
  }

  get outputKept(): boolean {
    return this.#chunks !== undefined
  }

  append(event: JobLogEvent): LoggedEvent {
    if (this.#ended) throw new Error('job log already ended')
    const logged = { ...event, seq: ++this.#seq, at: Date.now() } as LoggedEvent
    this.#events.push(logged)
    if (this.#events.length > this.#maxEvents) this.#events.shift()
    if (event.type === 'end') this.#ended = true
    this.#wake()
    return logged
  }

  /** Keeps an output chunk and logs its event. */
  output(data: Uint8Array): void {
    const chunk = this.#chunks === undefined ? -1 : this.#chunks.push(data) - 1
    this.append({ type: 'output', offset: this.#outputBytes, bytes: data.byteLength, chunk })
    this.#outputBytes += data.byteLength
  }

  /** Lets the output go (the gateway's output budget); readers of it then fail. */
  dropOutput(): void {
    this.#chunks = undefined
    this.#wake()
  }

  /** The bytes of an output event, if still kept. */
  chunkOf(event: LoggedEvent & { type: 'output' }): Uint8Array | undefined {
    return event.chunk < 0 ? undefined : this.#chunks?.[event.chunk]
  }

  /** Events after `afterSeq`, oldest first, and what was lost before them. */
  since(afterSeq: number): Replay {
    const first = this.#events[0]?.seq ?? this.#seq + 1
    const events = this.#events.filter((e) => e.seq > afterSeq)
    return first > afterSeq + 1 ? { events, missed: { from: afterSeq + 1, to: first - 1 } } : { events }
  }

  /** Output chunk `index`: the bytes, `null` when the output has ended before it, undefined while it may yet come. */
  chunkAt(index: number): Uint8Array | null | undefined {
    const chunks = this.#chunks
    if (chunks === undefined) throw new OutputDroppedError()
    if (index < chunks.length) return chunks[index]
    return this.#ended ? null : undefined
  }

  /** Resolves at the next change (event, end, drop) or when `signal` aborts. */
  changed(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted === true) return resolve()
      const done = (): void => {
        signal?.removeEventListener('abort', done)
        this.#waiters = this.#waiters.filter((w) => w !== done)
        resolve()
      }
      this.#waiters.push(done)
      signal?.addEventListener('abort', done, { once: true })
    })
  }

  #wake(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }
}

export class OutputDroppedError extends Error {
  override name = 'OutputDroppedError'
}
