/**
 * What the job path tells a job store, as two small interfaces handed to the parts that run
 * jobs: the Dispatcher records the jobs this node submits (JobRecorder), LocalJobs the jobs it
 * serves (ServedRecorder). A node without a store passes neither, and those parts then do
 * exactly what they did before there was a store.
 */
import type { CrankError, ErrorInfo, TerminalState } from '../errors.ts'
import type { JobReport, RouteReason } from './job-handle.ts'
import type { JobInput } from './job-input.ts'
import type { StoredOptions } from './jobs-api.ts'

export interface NewJob {
  id: string
  /** Capability id, without the range. */
  capability: string
  versionRange: string
  params: unknown
  options: StoredOptions
  durable: boolean
  idempotencyKey?: string | undefined
  input: JobInput | undefined
  /** The caller chose the id: it must not be one the store already holds. */
  chosenId?: boolean
}

/** A job that was recorded before and is taken up again (recovery, retry). */
export interface StoredJob {
  id: string
  capability: string
  versionRange: string
  params: unknown
  options: StoredOptions
  durable: boolean
  /** Attempts made before this one. */
  attempts: number
  /** Where the last attempt went, if anywhere. */
  peer?: string
  /** The kept input, read back. */
  input: JobInput | undefined
}

export type SubmitRecord =
  /** The idempotency key was recorded before, by this job: the new submit follows it. */
  | { existing: string }
  | {
      existing?: undefined
      /** The input to run with: the caller's, or a stream that is kept as it is read. */
      input: JobInput | undefined
      /** For a durable job: settles once the job (and its input) is on disk; rejects `store_full`. */
      stored: Promise<void> | undefined
      /**
       * What the job must wait for before it is routed: the write of an input kept as a file, so
       * that an input too large for the disk fails the job before it runs. A job without one runs
       * while its row is written; its end is written after that row, so its result still comes
       * after `stored`.
       */
      runAfter?: Promise<void>
    }

export interface JobRecorder {
  /**
   * Records a new job. A key seen before returns that job's id, and nothing is recorded: the
   * check and the insert are one statement against a UNIQUE index. `onInputFull` hears a kept
   * stream's `store_full`, so the job can be failed with it.
   */
  submitted(job: NewJob, onInputFull: (err: CrankError) => void): SubmitRecord
  /** A recorded job is run again (after a restart, or by `retry`), starting at `attempt`. */
  resumed(id: string, attempt: number, why: 'restart' | 'retry'): void
  routed(id: string, attempt: number, peer: string, reason: RouteReason): void
  running(id: string, peer: string, version: string): void
  retrying(id: string, attempt: number, peer: string, error: ErrorInfo): void
  /** Records the end; resolves once it is on disk (never rejects: a failed write is logged). */
  ended(id: string, report: JobReport): Promise<void>
  /** The node is stopping while the job runs: it stays unfinished, to be resumed at the next start. */
  suspended(id: string, reason: string): Promise<void>
  /** Resolves with the job's report once it has ended (at once if it has). */
  report(id: string, signal?: AbortSignal): Promise<JobReport>
}

/** One job this node ran for a caller, as it ended. */
export interface ServedEntry {
  jobId: string
  caller: string
  capability: string
  version: string
  state: TerminalState
  error?: ErrorInfo | undefined
  /** Sent by the caller for a durable job: a repeat with the same key gets this answer. */
  idempotencyKey?: string | undefined
  result?: unknown
  /** Collected output, when kept (keyed jobs only, up to the store's output limit). */
  output?: Uint8Array | undefined
  outputBytes?: number | undefined
  startedAt: number
  endedAt: number
}

/** What a provider kept of a keyed job that succeeded, to answer its repeat without running it. */
export interface ServedAnswer {
  version: string
  result: unknown
  /** Undefined when the output was larger than the store keeps. */
  output: Uint8Array | undefined
  outputBytes: number
}

export interface ServedRecorder {
  served(entry: ServedEntry): void
  /** The kept answer for a caller's key, if a job with it succeeded here. */
  answer(caller: string, key: string): ServedAnswer | undefined
  /** Output bytes kept per served job at most. */
  readonly maxOutputBytes: number
}
