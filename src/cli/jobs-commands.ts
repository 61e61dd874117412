/**
 * `crank-node jobs …`: the CLI over a JobsApi (the running node's, reached over its control
 * socket). Each command is a function that returns what it prints, text or JSON, so that it can
 * be tested and wired without a process; `registerJobsCommands` adds them to a commander program.
 */
import { type Command, InvalidArgumentError } from 'commander'
import { CrankError, ErrorCodes } from '../errors.ts'
import {
  isTerminal,
  JOB_STATES,
  type JobEventRecord,
  type JobFilter,
  type JobRecord,
  type JobState,
  type JobsApi,
} from '../jobs/jobs-api.ts'
import { parseDuration } from './duration.ts'

/** What a command prints, and the exit code it asks for (a job that did not succeed: 1). */
export interface CommandOutput {
  text: string
  exitCode: number
}

const ok = (text: string): CommandOutput => ({ text, exitCode: 0 })
const json = (v: unknown): string => `${JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? { bytes: x.byteLength } : x), 2)}\n`
const YEAR_MS = 366 * 86_400_000

/**
 * A time flag: an ISO date (`2026-01-31`, `2026-01-31T12:00Z`), epoch milliseconds, or a duration
 * back from now (`90m`, `2h`, `7d`). Anything else is `invalid_option`.
 */
export function parseTime(value: string, flag: string, now = Date.now()): number {
  const v = value.trim()
  if (/^\d{10,}$/.test(v)) return Number(v)
  if (/^\d+(ms|s|m|h|d|w)$/.test(v)) return now - parseDuration(v, { flag, plainUnit: 'ms', maxMs: 100 * YEAR_MS })
  const t = Date.parse(v)
  if (!Number.isNaN(t) && /^\d{4}-\d{2}-\d{2}/.test(v)) return t
  throw new CrankError(
    ErrorCodes.invalidOption,
    `${flag} must be a date (2026-01-31, 2026-01-31T12:00Z), epoch milliseconds, or a time back from now (90m, 2h, 7d); got "${value}"`,
    { details: { flag, value } },
  )
}

/** `failed` or `failed,cancelled` → the states, each checked. */
export function parseStates(value: string, flag = '--state'): JobState[] {
  const states = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  const bad = states.find((s) => !JOB_STATES.includes(s as JobState))
  if (bad !== undefined || states.length === 0) {
    throw new CrankError(
      ErrorCodes.invalidOption,
      `${flag} takes one or more of ${JOB_STATES.join(', ')} (comma-separated); got "${value}"`,
      {
        details: { flag, value },
      },
    )
  }
  return states as JobState[]
}

export interface ListFlags {
  state?: string
  capability?: string
  since?: string
  limit?: number
  json?: boolean
}

/** `jobs ls`: newest first, one line each. */
export async function jobsList(api: JobsApi, flags: ListFlags = {}, now = Date.now()): Promise<CommandOutput> {
  const filter: JobFilter = {
    ...(flags.state === undefined ? {} : { state: parseStates(flags.state) }),
    ...(flags.capability === undefined ? {} : { capability: flags.capability }),
    ...(flags.since === undefined ? {} : { since: parseTime(flags.since, '--since', now) }),
    ...(flags.limit === undefined ? {} : { limit: flags.limit }),
  }
  const jobs = await api.list(filter)
  if (flags.json === true) return ok(json(jobs))
  if (jobs.length === 0) return ok('no jobs\n')
  const rows = jobs.map((j) => [
    j.id,
    j.state,
    j.capability,
    String(j.attempts),
    shortPeer(j.peer),
    age(now - j.createdAt),
    j.error === undefined ? '' : j.error.code,
  ])
  return ok(table(['ID', 'STATE', 'CAPABILITY', 'ATTEMPTS', 'PEER', 'AGE', 'ERROR'], rows))
}

/** `jobs show <id>`: everything the store kept about one job. */
export async function jobsShow(api: JobsApi, id: string, flags: { json?: boolean } = {}): Promise<CommandOutput> {
  const job = await api.get(id)
  if (flags.json === true) return ok(json(job))
  return ok(describeJob(job))
}

/** `jobs logs <id>`: the job's events, oldest first; `--after N` skips the first N. */
export async function jobsLogs(api: JobsApi, id: string, flags: { json?: boolean; after?: number } = {}): Promise<CommandOutput> {
  const events = await api.events(id, flags.after ?? 0)
  if (flags.json === true) return ok(json(events))
  return ok(events.map((e) => `${new Date(e.at).toISOString()}  ${String(e.seq).padStart(3)}  ${describeEvent(e)}\n`).join(''))
}

/** `jobs wait <id>`: until the job ends; exit code 1 unless it succeeded. */
export async function jobsWait(api: JobsApi, id: string, flags: { json?: boolean; timeoutMs?: number } = {}): Promise<CommandOutput> {
  const signal = flags.timeoutMs === undefined ? undefined : AbortSignal.timeout(flags.timeoutMs)
  let job: JobRecord
  try {
    job = await api.wait(id, signal)
  } catch (err) {
    if (signal?.aborted === true && (err as Error).name === 'TimeoutError') {
      throw new CrankError(ErrorCodes.deadlineExceeded, `job ${id} had not ended after ${flags.timeoutMs} ms`, { retryable: true })
    }
    throw err
  }
  const exitCode = job.state === 'succeeded' ? 0 : 1
  if (flags.json === true) return { text: json(job), exitCode }
  const why = job.error === undefined ? '' : `: ${job.error.code}: ${job.error.message}`
  const result = job.result === undefined ? '' : `\n${JSON.stringify(job.result)}`
  return { text: `${job.id} ${job.state} after ${job.attempts} attempt(s)${why}${result}\n`, exitCode }
}

/** `jobs retry <id>` or `jobs retry --state failed[,cancelled,expired]`. */
export async function jobsRetry(
  api: JobsApi,
  id: string | undefined,
  flags: { state?: string; capability?: string; json?: boolean } = {},
): Promise<CommandOutput> {
  if (id !== undefined && (flags.state !== undefined || flags.capability !== undefined)) {
    throw new CrankError(ErrorCodes.invalidOption, 'give a job id or --state/--capability, not both')
  }
  if (id === undefined && flags.state === undefined) {
    throw new CrankError(ErrorCodes.invalidOption, 'give a job id, or --state failed to retry every failed job whose input was kept')
  }
  const ids =
    id !== undefined
      ? await api.retry(id)
      : await api.retry({
          ...(flags.state === undefined ? {} : { state: parseStates(flags.state) }),
          ...(flags.capability === undefined ? {} : { capability: flags.capability }),
        })
  if (flags.json === true) return ok(json({ retried: ids }))
  return ok(ids.length === 0 ? 'no job to retry\n' : `retried ${ids.length}: ${ids.join(' ')}\n`)
}

/** `jobs purge [--state …] [--before …]`: deletes ended jobs; says how many. */
export async function jobsPurge(
  api: JobsApi,
  flags: { state?: string; capability?: string; before?: string; json?: boolean } = {},
  now = Date.now(),
): Promise<CommandOutput> {
  const purged = await api.purge({
    ...(flags.state === undefined ? {} : { state: parseStates(flags.state) }),
    ...(flags.capability === undefined ? {} : { capability: flags.capability }),
    ...(flags.before === undefined ? {} : { before: parseTime(flags.before, '--before', now) }),
  })
  if (flags.json === true) return ok(json({ purged }))
  return ok(`purged ${purged} ended job(s)\n`)
}

/** Where the CLI gets its JobsApi; `close`, when the object has one, is called after the command. */
export type GetJobsApi = (opts: { dataDir?: string }) => Promise<JobsApi & { close?: () => Promise<void> | void }>

export interface JobsCommandsIo {
  /** Where output goes (default: stdout). */
  write?: (text: string) => void
  /** Called with a command's exit code when it is not 0 (default: sets process.exitCode). */
  exit?: (code: number) => void
}

/**
 * Adds `jobs ls|show|logs|wait|retry|purge` to `program`. Each takes `--data-dir` (passed to
 * `getApi`) and `--json`. Errors are thrown as CrankErrors, for the program's usual reporting.
 */
export function registerJobsCommands(program: Command, getApi: GetJobsApi, io: JobsCommandsIo = {}): Command {
  const write = io.write ?? ((t: string) => process.stdout.write(t))
  const exit =
    io.exit ??
    ((code: number) => {
      process.exitCode = code
    })
  const run = async (dataDir: string | undefined, fn: (api: JobsApi) => Promise<CommandOutput>): Promise<void> => {
    const api = await getApi(dataDir === undefined ? {} : { dataDir })
    try {
      const out = await fn(api)
      write(out.text)
      if (out.exitCode !== 0) exit(out.exitCode)
    } finally {
      await api.close?.()
    }
  }
  const jobs = program.command('jobs').description('the jobs this node submitted, from its job store: list, inspect, wait, retry, purge')
  const dataDir = (c: Command): Command => c.option('--data-dir <dir>', 'node data directory (default: $CRANK_DATA_DIR or ~/.crank)')

  dataDir(jobs.command('ls'))
    .description('list jobs, newest first')
    .option('--state <states>', `only these states, comma-separated (${JOB_STATES.join(', ')})`)
    .option('--capability <id>', 'only this capability')
    .option('--since <time>', 'submitted since: a date, epoch ms, or a time back from now (2h, 7d)')
    .option('--limit <n>', 'at most this many (default 100)', positiveInt('--limit'))
    .option('--json', 'JSON output')
    .action((o: ListFlags & { dataDir?: string }) => run(o.dataDir, (api) => jobsList(api, o)))

  dataDir(jobs.command('show'))
    .description('one job: state, attempts, route, timings, params, result or error')
    .argument('<id>', 'job id')
    .option('--json', 'JSON output')
    .action((id: string, o: { json?: boolean; dataDir?: string }) => run(o.dataDir, (api) => jobsShow(api, id, o)))

  dataDir(jobs.command('logs'))
    .description("a job's recorded events: queued, routed, running, retrying, resumed, its end")
    .argument('<id>', 'job id')
    .option('--after <seq>', 'only events after this sequence number', nonNegativeInt('--after'))
    .option('--json', 'JSON output')
    .action((id: string, o: { json?: boolean; after?: number; dataDir?: string }) => run(o.dataDir, (api) => jobsLogs(api, id, o)))

  dataDir(jobs.command('wait'))
    .description('wait until a job ends; exits 1 unless it succeeded')
    .argument('<id>', 'job id')
    .option('--timeout <duration>', 'give up after this long (30s, 5m; a plain number is ms)', (v: string) =>
      cliArg(() => parseDuration(v, { flag: '--timeout', plainUnit: 'ms', maxMs: YEAR_MS })),
    )
    .option('--json', 'JSON output')
    .action((id: string, o: { json?: boolean; timeout?: number; dataDir?: string }) =>
      run(o.dataDir, (api) =>
        jobsWait(api, id, {
          ...(o.json === undefined ? {} : { json: o.json }),
          ...(o.timeout === undefined ? {} : { timeoutMs: o.timeout }),
        }),
      ),
    )

  dataDir(jobs.command('retry'))
    .description('run an ended job that did not succeed again (by id), or every one matching --state (its input must have been kept)')
    .argument('[id]', 'job id')
    .option('--state <states>', 'retry every job in these states: failed, cancelled, expired')
    .option('--capability <id>', 'with --state: only this capability')
    .option('--json', 'JSON output')
    .action((id: string | undefined, o: { state?: string; capability?: string; json?: boolean; dataDir?: string }) =>
      run(o.dataDir, (api) => jobsRetry(api, id, o)),
    )

  dataDir(jobs.command('purge'))
    .description('delete ended jobs (and their kept input) from the store; jobs still running are never deleted')
    .option('--state <states>', 'only these end states (succeeded, failed, cancelled, expired)')
    .option('--capability <id>', 'only this capability')
    .option('--before <time>', 'submitted before: a date, epoch ms, or a time back from now (7d)')
    .option('--json', 'JSON output')
    .action((o: { state?: string; capability?: string; before?: string; json?: boolean; dataDir?: string }) =>
      run(o.dataDir, (api) => jobsPurge(api, o)),
    )
  return jobs
}

/** A parse failure as commander's one-line usage error, keeping the typed code in the text. */
function cliArg<T>(parse: () => T): T {
  try {
    return parse()
  } catch (err) {
    if (err instanceof CrankError) throw new InvalidArgumentError(`${err.code}: ${err.message}`)
    throw err
  }
}

const positiveInt = (flag: string) => (v: string) =>
  cliArg(() => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < 1) throw new CrankError(ErrorCodes.invalidOption, `${flag} must be a whole number ≥ 1; got "${v}"`)
    return n
  })

const nonNegativeInt = (flag: string) => (v: string) =>
  cliArg(() => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < 0) throw new CrankError(ErrorCodes.invalidOption, `${flag} must be a whole number ≥ 0; got "${v}"`)
    return n
  })

function describeJob(j: JobRecord): string {
  const lines: Array<[string, string]> = [
    ['id', j.id],
    ['capability', j.versionRange === '' ? j.capability : `${j.capability}@${j.versionRange}`],
    ['state', j.state],
    ['attempts', String(j.attempts)],
  ]
  if (j.route !== undefined) lines.push(['route', `${j.route.peer} (${j.route.reason})`])
  if (j.version !== undefined) lines.push(['version', j.version])
  lines.push(['durable', j.durable ? 'yes' : 'no'])
  if (j.idempotencyKey !== undefined) lines.push(['key', j.idempotencyKey])
  lines.push(['replayable', j.replayable ? 'yes' : `no (input ${j.input.kind}, ${j.input.bytes} bytes, not kept)`])
  lines.push(['submitted', new Date(j.createdAt).toISOString()])
  if (j.startedAt !== undefined) lines.push(['started', new Date(j.startedAt).toISOString()])
  if (j.endedAt !== undefined) lines.push(['ended', `${new Date(j.endedAt).toISOString()} (${j.durationMs} ms after submit)`])
  lines.push(['params', JSON.stringify(j.params)])
  if (j.input.kind !== 'none') lines.push(['input', `${j.input.bytes} bytes (${j.input.kind})`])
  if (j.result !== undefined) lines.push(['result', JSON.stringify(j.result)])
  if (j.outputBytes !== undefined) lines.push(['output', `${j.outputBytes} bytes${j.outputKept ? '' : ' (not kept)'}`])
  if (j.error !== undefined) lines.push(['error', `${j.error.code}${j.error.retryable ? ' (retryable)' : ''}: ${j.error.message}`])
  lines.push(['events', `${j.eventCount} (crank-node jobs logs ${j.id})`])
  const width = Math.max(...lines.map(([k]) => k.length))
  return lines.map(([k, v]) => `${k.padEnd(width)}  ${v}\n`).join('')
}

function describeEvent(e: JobEventRecord): string {
  switch (e.type) {
    case 'queued':
      return 'queued'
    case 'routed':
      return `routed to ${e.peer} (${e.reason}), attempt ${e.attempt}`
    case 'running':
      return `running on ${e.peer}, version ${e.version}`
    case 'retrying':
      return `retrying after attempt ${e.attempt} on ${e.peer} failed: ${e.error.code}: ${e.error.message}`
    case 'resumed':
      return `resumed (${e.why === 'restart' ? 'after a restart' : 'retried'}) at attempt ${e.attempt}`
    case 'suspended':
      return `suspended: ${e.reason}`
    default:
      return isTerminal(e.type) && e.error !== undefined ? `${e.type}: ${e.error.code}: ${e.error.message}` : e.type
  }
}

function shortPeer(peer: string | undefined): string {
  if (peer === undefined) return ''
  return peer === 'local' || peer.length <= 14 ? peer : `…${peer.slice(-12)}`
}

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 90) return `${s}s`
  if (s < 5400) return `${Math.round(s / 60)}m`
  if (s < 172_800) return `${Math.round(s / 3600)}h`
  return `${Math.round(s / 86_400)}d`
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string =>
    `${cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()}\n`
  return line(header) + rows.map(line).join('')
}
