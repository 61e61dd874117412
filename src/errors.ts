/**
 * Typed errors. Every failure that crosses an API boundary (a job outcome, a
 * rejection, a CLI message) carries a stable `code` and a `retryable` flag so
 * that callers and the router can decide what to do without parsing messages.
 */

/** Codes the platform itself produces. Capabilities may declare their own. */
export const ErrorCodes = {
  unknownCapability: 'unknown_capability',
  invalidParams: 'invalid_params',
  invalidOutput: 'invalid_output',
  handlerError: 'handler_error',
  cancelled: 'cancelled',
  deadlineExceeded: 'deadline_exceeded',
  malformedFrame: 'malformed_frame',
  frameTooLarge: 'frame_too_large',
  protocolError: 'protocol_error',
  inputTooLarge: 'input_too_large',
  outputTooLarge: 'output_too_large',
  peerUnreachable: 'peer_unreachable',
  connectionLost: 'connection_lost',
  notStarted: 'not_started',
  invalidConfig: 'invalid_config',
  invalidRoute: 'invalid_route',
  noProvider: 'no_provider',
  notReplayable: 'not_replayable',
  shuttingDown: 'shutting_down',
  forbidden: 'forbidden',
  notMember: 'not_member',
  internal: 'internal',
  /** A submit option (attempts, priority, output, deadline, input) has a value it cannot take. */
  invalidOption: 'invalid_option',
  /** The node's or the connection's frame buffer budget is spent; retry later or elsewhere. */
  bufferFull: 'buffer_full',
  /** The node does not offer what was asked (a control-socket method it lacks, `jobs.*` without a job store). */
  notSupported: 'not_supported',
} as const

export type PlatformErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes]

export interface ErrorInfo {
  code: string
  message: string
  retryable: boolean
}

export class CrankError extends Error {
  override name = 'CrankError'
  readonly code: string
  readonly retryable: boolean
  /** Extra machine-readable detail, e.g. the failing params field. */
  readonly details?: Record<string, unknown>

  constructor(code: string, message: string, opts: { retryable?: boolean; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
    this.retryable = opts.retryable ?? false
    if (opts.details !== undefined) this.details = opts.details
  }

  toJSON(): ErrorInfo & { details?: Record<string, unknown> } {
    return { code: this.code, message: this.message, retryable: this.retryable, ...(this.details ? { details: this.details } : {}) }
  }
}

/** Thrown by capability handlers to fail a job with a declared error code. */
export class JobError extends CrankError {
  override name = 'JobError'
}

/** The terminal states a job can end in. Exactly one per job. */
export type TerminalState = 'succeeded' | 'failed' | 'cancelled' | 'expired'

/** Thrown (as a rejection of `handle.result`) when a job ends in any state but `succeeded`. */
export class JobFailedError extends CrankError {
  override name = 'JobFailedError'
  readonly state: Exclude<TerminalState, 'succeeded'>
  readonly jobId: string

  constructor(jobId: string, state: Exclude<TerminalState, 'succeeded'>, info: ErrorInfo) {
    super(info.code, info.message, { retryable: info.retryable })
    this.jobId = jobId
    this.state = state
  }
}

/** Normalises anything thrown into ErrorInfo without leaking stack traces over the wire. */
export function toErrorInfo(err: unknown, fallbackCode: string = ErrorCodes.handlerError): ErrorInfo {
  if (err instanceof CrankError) return { code: err.code, message: err.message, retryable: err.retryable }
  if (err instanceof Error) return { code: fallbackCode, message: err.message, retryable: false }
  return { code: fallbackCode, message: String(err), retryable: false }
}
