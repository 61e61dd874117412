/**
 * The job store's rows: what a job looks like in memory while it may have changes not yet on
 * disk (LiveJob), as SQLite returns it (JobRow, ServedRow), and the conversions between those
 * and the JobsApi's records. No I/O here.
 */
import type { ErrorInfo, TerminalState } from '../errors.ts'
import type { JobReport, RouteReason } from './job-handle.ts'
import type { ServedEntry } from './job-recorder.ts'
import type { JobEventRecord, JobFilter, JobRecord, JobState, JobSummary, StoredInput, StoredOptions } from './jobs-api.ts'

export type InputKind = StoredInput['kind'] | 'not_kept'

/** A job whose latest changes may not be on disk yet. */
export interface LiveJob {
  id: string
  capability: string
  versionRange: string
  params: string
  options: string
  durable: boolean
  key: string | null
  state: JobState
  attempts: number
  peer: string | null
  reason: string | null
  version: string | null
  error: string | null
  result: string | null
  output: Uint8Array | null
  outputBytes: number | null
  inputKind: InputKind
  input: Uint8Array | null
  inputBytes: number
  /** Each event as its JSON text, oldest first: appended to without re-encoding the older ones. */
  events: string[]
  createdAt: number
  startedAt: number | null
  endedAt: number | null
  /** Its row is on disk, or its insert is on the way there: updates, not an insert, from now on. */
  inserted: boolean
  dirty: boolean
}

export interface JobRow {
  id: string
  capability: string
  version_range: string
  params: string
  options: string
  durable: number
  idempotency_key: string | null
  state: JobState
  attempts: number
  peer: string | null
  reason: string | null
  version: string | null
  error: string | null
  result: string | null
  output_bytes: number | null
  output_kept: number
  input_kind: InputKind
  input_bytes: number
  events: string
  created_at: number
  started_at: number | null
  ended_at: number | null
}

export interface ServedRow {
  caller: string
  job_id: string
  capability: string
  version: string
  state: TerminalState
  error: string | null
  idempotency_key: string | null
  started_at: number
  ended_at: number
}

export const JOB_COLUMNS = `id, capability, version_range, params, options, durable, idempotency_key, state, attempts, peer, reason,
  version, error, result, output_bytes, output IS NOT NULL AS output_kept, input_kind, input_bytes, events, created_at, started_at, ended_at`

export const replayableKind = (k: InputKind): boolean => k === 'none' || k === 'inline' || k === 'file'

/** The `events` column: the job's events as one JSON array. */
export function eventsText(j: LiveJob): string {
  return `[${j.events.join(',')}]`
}

/** A job's row for its insert: the columns fixed at submit, then those an update sets (job-store-thread.ts's order). */
export function insertArgs(j: LiveJob): Array<string | number | Uint8Array | null> {
  return [j.id, j.capability, j.versionRange, j.params, j.options, j.durable ? 1 : 0, j.key, j.input, j.createdAt, ...updateArgs(j)]
}

/** The columns an update sets, in the store thread's UPDATE order (the id goes before them). */
export function updateArgs(j: LiveJob): Array<string | number | Uint8Array | null> {
  return [
    j.state,
    j.attempts,
    j.peer,
    j.reason,
    j.version,
    j.error,
    j.result,
    j.output,
    j.outputBytes,
    j.inputKind,
    j.inputBytes,
    replayableKind(j.inputKind) ? 1 : 0,
    eventsText(j),
    j.startedAt,
    j.endedAt,
  ]
}

export function servedArgs(s: ServedEntry): Array<string | number | Uint8Array | null> {
  return [
    s.caller,
    s.jobId,
    s.capability,
    s.version,
    s.state,
    s.error === undefined ? null : JSON.stringify(s.error),
    s.idempotencyKey ?? null,
    s.state === 'succeeded' && s.idempotencyKey !== undefined ? JSON.stringify(s.result ?? null) : null,
    s.output ?? null,
    s.outputBytes ?? null,
    s.startedAt,
    s.endedAt,
  ]
}

/**
 * The WHERE clause of a filter. `since`/`before` bound `timeColumn`: when jobs were created, or
 * (for served jobs) when they ended.
 */
export function whereOf(
  filter: Pick<JobFilter, 'capability' | 'since' | 'before'> & { state?: string | readonly string[] | undefined },
  endedOnly = false,
  timeColumn: 'created_at' | 'ended_at' = 'created_at',
): { where: string; args: Array<string | number> } {
  const clauses: string[] = []
  const args: Array<string | number> = []
  const states = filter.state === undefined ? [] : Array.isArray(filter.state) ? filter.state : [filter.state]
  if (states.length > 0) {
    clauses.push(`state IN (${states.map(() => '?').join(', ')})`)
    args.push(...states)
  }
  if (filter.capability !== undefined) {
    clauses.push('capability = ?')
    args.push(filter.capability)
  }
  if (filter.since !== undefined) {
    clauses.push(`${timeColumn} >= ?`)
    args.push(filter.since)
  }
  if (filter.before !== undefined) {
    clauses.push(`${timeColumn} < ?`)
    args.push(filter.before)
  }
  if (endedOnly) clauses.push('ended_at IS NOT NULL')
  return { where: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, args }
}

export function summaryOf(r: JobRow): JobSummary {
  return {
    id: r.id,
    capability: r.capability,
    state: r.state,
    attempts: r.attempts,
    ...(r.peer === null ? {} : { peer: r.peer }),
    durable: r.durable === 1,
    ...(r.idempotency_key === null ? {} : { idempotencyKey: r.idempotency_key }),
    replayable: replayableKind(r.input_kind),
    ...(r.error === null ? {} : { error: JSON.parse(r.error) as ErrorInfo }),
    createdAt: r.created_at,
    ...(r.started_at === null ? {} : { startedAt: r.started_at }),
    ...(r.ended_at === null ? {} : { endedAt: r.ended_at }),
  }
}

export function recordOf(r: JobRow): JobRecord {
  const events = JSON.parse(r.events) as JobEventRecord[]
  return {
    ...summaryOf(r),
    versionRange: r.version_range,
    ...(r.version === null ? {} : { version: r.version }),
    ...(r.peer === null || r.reason === null ? {} : { route: { peer: r.peer, reason: r.reason as RouteReason } }),
    params: JSON.parse(r.params),
    options: JSON.parse(r.options) as StoredOptions,
    input: { kind: r.input_kind === 'not_kept' ? 'stream' : r.input_kind, bytes: r.input_bytes },
    ...(r.result === null ? {} : { result: JSON.parse(r.result) }),
    ...(r.output_bytes === null ? {} : { outputBytes: r.output_bytes }),
    outputKept: r.output_kept === 1,
    ...(r.ended_at === null ? {} : { durationMs: r.ended_at - r.created_at }),
    eventCount: events.length,
  }
}

export function reportOf(r: JobRecord, output: Uint8Array | undefined): JobReport {
  return {
    jobId: r.id,
    state: r.state as TerminalState,
    ...(r.result === undefined ? {} : { value: r.result }),
    ...(r.error === undefined ? {} : { error: r.error }),
    ...(output === undefined ? {} : { output }),
    ...(r.route === undefined ? {} : { route: r.route }),
    attempts: r.attempts,
    durationMs: r.durationMs ?? 0,
  }
}

export function liveOf(r: JobRow & { input?: Uint8Array | null }): LiveJob {
  return {
    id: r.id,
    capability: r.capability,
    versionRange: r.version_range,
    params: r.params,
    options: r.options,
    durable: r.durable === 1,
    key: r.idempotency_key,
    state: r.state,
    attempts: r.attempts,
    peer: r.peer,
    reason: r.reason,
    version: r.version,
    error: r.error,
    result: r.result,
    output: null,
    outputBytes: r.output_bytes,
    inputKind: r.input_kind,
    input: r.input ?? null,
    inputBytes: r.input_bytes,
    events: (JSON.parse(r.events) as JobEventRecord[]).map((e) => JSON.stringify(e)),
    createdAt: r.created_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    inserted: true,
    dirty: false,
  }
}
