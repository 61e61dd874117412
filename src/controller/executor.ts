/**
 * Runs one job against a local capability: the single place that enforces the
 * contract every route shares (params validated, signal wired to cancel and
 * deadline, output validated, exactly one terminal outcome).
 */
import type { Logger } from 'pino'
import type { AnyCapability, Caller, JobContext, ProgressUpdate } from '../capability.ts'
import { CrankError, ErrorCodes, type ErrorInfo, toErrorInfo } from '../errors.ts'
import { type DeadlineTimer, setDeadlineTimer } from '../jobs/deadline-timer.ts'
import { whenAborted } from '../jobs/job-controller.ts'
import { describeSchemaErrors } from '../schema.ts'

export type JobOutcome = { state: 'succeeded'; result: unknown } | { state: 'failed' | 'cancelled' | 'expired'; error: ErrorInfo }

/** Where a running job's events go: a local handle or a network stream. */
export interface JobEventSink {
  progress(update: ProgressUpdate): void
  /** Resolves when the chunk is accepted; this is the output backpressure. */
  output(chunk: Uint8Array): Promise<void>
}

export interface ExecuteRequest {
  jobId: string
  capability: AnyCapability
  /** Params already accepted by `checkParams`. */
  params: unknown
  input: AsyncIterable<Uint8Array>
  /** Absolute deadline, epoch ms. */
  deadline?: number | undefined
  /** Aborts the job; a CrankError reason becomes the outcome's error. */
  signal?: AbortSignal
  /** The job's own controller (see LocalJobRequest.control): used as is, so no second one is made. */
  control?: AbortController
  sink: JobEventSink
  validateOutput: boolean
  log: Logger
  caller?: Caller | undefined
}

/** A context being built: its optional fields are set after the literal. */
type Writable<T> = { -readonly [K in keyof T]: T[K] }

/** Validates params against the input schema; the error names the failing field. */
export function checkParams(cap: AnyCapability, params: unknown): CrankError | undefined {
  if (cap.validateParams(params)) return undefined
  const { message, field } = describeSchemaErrors(cap.validateParams.errors, 'params')
  return new CrankError(ErrorCodes.invalidParams, message, { details: { field } })
}

export function deadlineError(): CrankError {
  return new CrankError(ErrorCodes.deadlineExceeded, 'job deadline passed')
}

export function cancelledError(message = 'job cancelled by caller'): CrankError {
  return new CrankError(ErrorCodes.cancelled, message)
}

/** Maps an abort reason onto the terminal state it stands for. */
export function abortOutcome(reason: unknown): JobOutcome {
  const error = toErrorInfo(reason, ErrorCodes.cancelled)
  return { state: error.code === ErrorCodes.deadlineExceeded ? 'expired' : 'cancelled', error }
}

/** `onSettled` is called as the outcome is settled (before anyone hears of it), e.g. to count jobs running. */
export function executeJob(req: ExecuteRequest, onSettled?: () => void): Promise<JobOutcome> {
  if (req.signal?.aborted === true) {
    onSettled?.()
    return Promise.resolve(abortOutcome(req.signal.reason ?? cancelledError()))
  }
  const controller = req.control ?? new AbortController()
  // Only a caller that passes a bare signal needs a listener on it; the node's own jobs pass their controller.
  const external = req.control === undefined ? req.signal : undefined
  const onExternalAbort = external === undefined ? undefined : (): void => controller.abort(external.reason ?? cancelledError())
  if (external !== undefined && onExternalAbort !== undefined) external.addEventListener('abort', onExternalAbort, { once: true })

  let timer: DeadlineTimer | undefined
  if (req.deadline !== undefined) {
    const remaining = req.deadline - Date.now()
    if (remaining <= 0) {
      if (onExternalAbort !== undefined) external?.removeEventListener('abort', onExternalAbort)
      onSettled?.()
      return Promise.resolve(abortOutcome(deadlineError()))
    }
    timer = setDeadlineTimer(() => controller.abort(deadlineError()), remaining)
  }

  let settled = false
  // Set one by one: spreads of optional fields would make two objects per job and slow the literal.
  const ctx: Writable<JobContext> = {
    jobId: req.jobId,
    params: req.params,
    input: req.input,
    signal: controller.signal,
    log: req.log,
    progress(update) {
      if (!settled) req.sink.progress(update)
    },
    async write(chunk) {
      controller.signal.throwIfAborted()
      await req.sink.output(chunk)
    },
  }
  if (req.deadline !== undefined) ctx.deadline = req.deadline
  if (req.caller !== undefined) ctx.caller = req.caller

  // Whichever comes first, the handler's end or an abort, settles the job; no race of promises.
  return new Promise<JobOutcome>((resolve) => {
    const settle = (outcome: JobOutcome): void => {
      if (settled) return
      settled = true
      timer?.clear()
      if (onExternalAbort !== undefined) external?.removeEventListener('abort', onExternalAbort)
      // The controller may be the caller's, living on after this attempt: leave nothing attached to it.
      stopListening()
      onSettled?.()
      resolve(outcome)
    }
    const stopListening = whenAborted(controller, () => settle(abortOutcome(controller.signal.reason)))
    // One reaction on the handler's own promise, no async wrapper and its promise around it.
    let running: Promise<unknown>
    try {
      running = Promise.resolve(req.capability.handler(ctx))
    } catch (err) {
      running = Promise.reject(err)
    }
    running.then(
      (result) => {
        let outcome: JobOutcome
        try {
          outcome = handlerResult(req, result)
        } catch (err) {
          outcome = handlerError(req, err, controller.signal)
        }
        settle(outcome)
      },
      (err: unknown) => settle(handlerError(req, err, controller.signal)),
    )
  })
}

/** The handler's result, checked against the output schema when asked. */
function handlerResult(req: ExecuteRequest, result: unknown): JobOutcome {
  const cap = req.capability
  if (req.validateOutput && !cap.validateOutput(result)) {
    const { message } = describeSchemaErrors(cap.validateOutput.errors, 'result')
    return {
      state: 'failed',
      error: { code: ErrorCodes.invalidOutput, message: `${cap.id} broke its output contract: ${message}`, retryable: false },
    }
  }
  return { state: 'succeeded', result }
}

/** What a handler's error means: an abort's outcome, or a failure retryable as the capability declares. */
function handlerError(req: ExecuteRequest, err: unknown, signal: AbortSignal): JobOutcome {
  if (signal.aborted) return abortOutcome(signal.reason)
  const error = toErrorInfo(err)
  const declared = req.capability.errors?.[error.code]
  if (declared !== undefined) error.retryable = declared.retryable
  return { state: 'failed', error }
}
