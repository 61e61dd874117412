/**
 * Runs a capability in-process, through the same executor a node uses, without
 * any network. For capability authors' unit tests and for evaluation scripts
 * that want handler-level figures; end-to-end checks should go through a node.
 */
import pino from 'pino'
import type { AnyCapability, ProgressUpdate } from './capability.ts'
import { checkParams, executeJob, type JobOutcome } from './controller/executor.ts'
import { toErrorInfo } from './errors.ts'
import { type JobInput, noInput, toByteStream } from './jobs/job-input.ts'

export interface RunCapabilityOptions {
  params?: unknown
  /** Input bytes, a string (UTF-8), or a stream of chunks. */
  input?: JobInput
  signal?: AbortSignal
  deadlineMs?: number
  /** Validate the result against the output schema (default true). */
  validateOutput?: boolean
}

export interface RunCapabilityResult {
  outcome: JobOutcome
  /** Output chunks concatenated. */
  output: Uint8Array
  chunks: Uint8Array[]
  progress: ProgressUpdate[]
}

let jobCounter = 0

export async function runCapability(cap: AnyCapability, opts: RunCapabilityOptions = {}): Promise<RunCapabilityResult> {
  const params = opts.params ?? {}
  const chunks: Uint8Array[] = []
  const progress: ProgressUpdate[] = []
  const collect = (outcome: JobOutcome): RunCapabilityResult => ({ outcome, output: Buffer.concat(chunks), chunks, progress })
  const invalid = checkParams(cap, params)
  if (invalid !== undefined) return collect({ state: 'failed', error: toErrorInfo(invalid) })
  const outcome = await executeJob({
    jobId: `test-${++jobCounter}`,
    capability: cap,
    params,
    input: opts.input === undefined ? noInput() : toByteStream(opts.input),
    ...(opts.deadlineMs === undefined ? {} : { deadline: Date.now() + opts.deadlineMs }),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    sink: {
      progress: (u) => progress.push(u),
      output: async (chunk) => {
        chunks.push(chunk)
      },
    },
    validateOutput: opts.validateOutput ?? true,
    log: pino({ level: 'silent' }),
  })
  return collect(outcome)
}
