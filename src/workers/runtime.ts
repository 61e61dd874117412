/**
 * Where a capability's handlers run, picked from its manifest's `runtime`:
 * `inline` (the controller's own thread), `thread` (a worker_threads pool) or
 * `process` (sandboxed child processes). All three keep executeJob's contract:
 * streamed input, awaited output for backpressure, progress, an AbortSignal whose
 * CrankError reason becomes the outcome, and a deadline that ends the job `expired`.
 */
import type { Logger } from 'pino'
import type { AnyCapability } from '../capability.ts'
import { type ExecuteRequest, executeJob, type JobOutcome } from '../controller/executor.ts'
import { concurrencyOf } from '../controller/registry.ts'
import { CrankError, ErrorCodes } from '../errors.ts'
import { type PoolEvent, type PoolStats, type PoolTuning, WorkerPool } from './pool.ts'
import { type ProcessWorkerOptions, startProcess } from './process-worker.ts'
import { startThread } from './thread-worker.ts'

export type RuntimeStats = PoolStats | { kind: 'inline'; size: number; inFlight: number }

/** Named `JobRuntime` because capability.ts already exports `WorkerRuntime`, the manifest's kind union. */
export interface JobRuntime {
  readonly kind: 'inline' | 'thread' | 'process'
  /** Starts the workers and resolves when they are ready (inline: at once). `run` starts them too, lazily. */
  start(): Promise<void>
  run(req: ExecuteRequest): Promise<JobOutcome>
  stats(): RuntimeStats
  close(): Promise<void>
}

export interface RuntimeOptions extends PoolTuning {
  log: Logger
  /** Workers in the pool; defaults to the manifest's concurrency (itself 4 by default). */
  size?: number
  /** Process workers only: environment, extra read paths and packages, stdout/stderr sink. */
  process?: ProcessWorkerOptions
  onEvent?: (event: PoolEvent) => void
}

export function createRuntime(cap: AnyCapability, opts: RuntimeOptions): JobRuntime {
  const kind = cap.runtime ?? 'inline'
  if (kind === 'inline') return new InlineRuntime()
  if (cap.module === undefined) {
    throw new CrankError(
      ErrorCodes.invalidConfig,
      `capability ${cap.id}: runtime '${kind}' needs \`module: import.meta.url\` in its manifest`,
    )
  }
  const size = opts.size ?? concurrencyOf(cap)
  const log = opts.log.child({ capability: cap.id, runtime: kind })
  const processOpts: ProcessWorkerOptions = {
    onOutput: (line, stream) => log[stream === 'stderr' ? 'warn' : 'info']({ stream }, line),
    ...opts.process,
  }
  const launch = kind === 'thread' ? () => startThread(cap) : () => startProcess(cap, processOpts)
  const pool = new WorkerPool({ ...opts, kind, capability: cap, size, launch, log })
  return {
    kind,
    start: () => pool.start(),
    run: (req) => pool.run(req),
    stats: () => pool.stats(),
    close: () => pool.close(),
  }
}

class InlineRuntime implements JobRuntime {
  readonly kind = 'inline'
  private inFlight = 0

  async start(): Promise<void> {}

  /** Not async: the executor's own promise, with no wrapper promise and await around it. */
  run(req: ExecuteRequest): Promise<JobOutcome> {
    this.inFlight++
    return executeJob(req, this.ended)
  }

  private readonly ended = (): void => {
    this.inFlight--
  }

  stats(): RuntimeStats {
    return { kind: 'inline', size: 0, inFlight: this.inFlight }
  }

  async close(): Promise<void> {}
}
