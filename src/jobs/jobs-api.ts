/**
 * The jobs a node submitted, as its job store records them: the one interface behind
 * `node.jobs`, the CLI's `crank-node jobs …` (over the control socket) and the HTTP gateway's
 * job routes and SSE stream. Keep it stable: add, never change a shape.
 *
 * Every method is async, although the store answers from the same process today, so that a
 * caller on the far side of a socket sees the same contract. Unknown ids are a CrankError
 * `unknown_job`. A node without a store has no JobsApi (`node.jobs` is undefined).
 */
import type { ErrorInfo, TerminalState } from '../errors.ts'
import type { RouteReason } from './job-handle.ts'

/** Where a job stands. A job moves queued → routed → running (→ retrying → routed → running)* → one terminal state. */
export type JobState = 'queued' | 'routed' | 'running' | 'retrying' | TerminalState

export const TERMINAL_STATES: readonly TerminalState[] = ['succeeded', 'failed', 'cancelled', 'expired']
export const ACTIVE_STATES: readonly JobState[] = ['queued', 'routed', 'running', 'retrying']
export const JOB_STATES: readonly JobState[] = [...ACTIVE_STATES, ...TERMINAL_STATES]

export function isTerminal(state: JobState): state is TerminalState {
  return state === 'succeeded' || state === 'failed' || state === 'cancelled' || state === 'expired'
}

/** Which jobs a list, retry or purge applies to. Every field narrows; none given means all. */
export interface JobFilter {
  /** One state or any of several. */
  state?: JobState | JobState[]
  /** Capability id (`email.parse`), without a version. */
  capability?: string
  /** Submitted at or after this time (epoch ms). */
  since?: number
  /** Submitted before this time (epoch ms). */
  before?: number
  /** At most this many, newest first (list only; default 100). */
  limit?: number
}

/** How a job's input was kept for replay. */
export interface StoredInput {
  /** `none`: the job had no input. `inline`: kept in its row. `file`: kept under `<dataDir>/jobs/`. `stream`: not kept. */
  kind: 'none' | 'inline' | 'file' | 'stream'
  /** Bytes of input seen so far (streamed input: as far as it was read). */
  bytes: number
}

/** One line of `jobs ls`. */
export interface JobSummary {
  id: string
  /** Capability id as submitted, without the version range. */
  capability: string
  state: JobState
  /** Attempts made so far, across restarts and retries. */
  attempts: number
  /** Where the latest attempt went: `local`, or a peer id. */
  peer?: string
  durable: boolean
  idempotencyKey?: string
  /** Whether the job can be run again from what the store kept (its input). */
  replayable: boolean
  /** Why it did not succeed, when it ended otherwise. */
  error?: ErrorInfo
  /** Epoch ms. */
  createdAt: number
  /** When the first attempt started running. */
  startedAt?: number
  endedAt?: number
}

/** Everything the store kept about one job (`jobs show`). */
export interface JobRecord extends JobSummary {
  /** Semver range asked for; empty means any. */
  versionRange: string
  /** The version that ran (latest attempt). */
  version?: string
  route?: { peer: string; reason: RouteReason }
  params: unknown
  /** The submit options that shape a replay (route, attempts, priority, deadline, tags, gpu, output mode). */
  options: StoredOptions
  input: StoredInput
  /** The handler's JSON result, when it succeeded. */
  result?: unknown
  /** Output bytes the job produced (collect mode). */
  outputBytes?: number
  /** Whether those bytes were kept (`JobsApi.output`): only up to `store.maxOutputBytes`. */
  outputKept: boolean
  /** Milliseconds from submit to end. */
  durationMs?: number
  /** Events recorded so far (see `events`). */
  eventCount: number
}

/** The submit options a replay needs, as recorded. */
export interface StoredOptions {
  route?: string
  gpu?: boolean
  tags?: string[]
  attempts?: number
  priority?: 'high' | 'normal' | 'low'
  /** Absolute deadline, epoch ms (a job resumed after a restart keeps it). */
  deadline?: number
  /** The deadline as the caller gave it, from submit (a retried job gets this span again). */
  deadlineMs?: number
  output?: 'collect' | 'stream'
}

/** One recorded step of a job; `seq` counts from 1 per job, with no gaps. */
export type JobEventRecord = { seq: number; at: number } & (
  | { type: 'queued' }
  | { type: 'routed'; attempt: number; peer: string; reason: RouteReason }
  | { type: 'running'; peer: string; version: string }
  | { type: 'retrying'; attempt: number; peer: string; error: ErrorInfo }
  /** The job was taken up again: after a restart (`restart`) or by `retry` (`retry`). */
  | { type: 'resumed'; attempt: number; why: 'restart' | 'retry' }
  /** The node stopped while the job ran; it is resumed at the next start. */
  | { type: 'suspended'; reason: string }
  | { type: TerminalState; error?: ErrorInfo }
)

/** What `changes()` yields: a job's new event and the state it left the job in. */
export interface JobChange {
  id: string
  state: JobState
  event: JobEventRecord
}

/** A job this node ran for a caller (the provider's side), as `served()` lists it. */
export interface ServedSummary {
  jobId: string
  /** `local`, or the caller's peer id. */
  caller: string
  capability: string
  version: string
  state: TerminalState
  error?: ErrorInfo
  /** A durable job's replay key, when the caller sent one. */
  idempotencyKey?: string
  startedAt: number
  endedAt: number
}

export interface JobsApi {
  /** Jobs this node submitted, newest first. */
  list(filter?: JobFilter): Promise<JobSummary[]>
  /** One job; `unknown_job` when there is none. */
  get(id: string): Promise<JobRecord>
  /** A job's events after `afterSeq` (default 0: all), oldest first. */
  events(id: string, afterSeq?: number): Promise<JobEventRecord[]>
  /** The output bytes kept with an ended job, or undefined when none were kept. */
  output(id: string): Promise<Uint8Array | undefined>
  /** Resolves with the record once the job has ended (at once if it has); rejects with the signal's reason on abort. */
  wait(id: string, signal?: AbortSignal): Promise<JobRecord>
  /**
   * Runs ended jobs that did not succeed again, under their own ids (attempts keep counting).
   * By id: that job, or a typed error saying why it cannot be (`invalid_state`, `not_replayable`).
   * By filter (default state `failed`): every matching job whose input was kept. Returns the ids taken up.
   */
  retry(target: string | JobFilter): Promise<string[]>
  /** Cancels a job that has not ended; `invalid_state` when it has. */
  cancel(id: string, reason?: string): Promise<void>
  /** Deletes ended jobs that match (never a job that has not ended) and their kept input; returns how many. */
  purge(filter?: JobFilter): Promise<number>
  /** Jobs this node ran for callers (its provider side), newest first. */
  served(filter?: Omit<JobFilter, 'state'> & { state?: TerminalState | TerminalState[] }): Promise<ServedSummary[]>
  /**
   * Every change to any job from now on, until `signal` aborts. A consumer that falls more than
   * `bufferLimit` changes behind (default 10,000) gets an error and should re-read with
   * `list`/`events`: changes are never silently skipped.
   */
  changes(opts?: { signal?: AbortSignal; bufferLimit?: number }): AsyncIterable<JobChange>
}
