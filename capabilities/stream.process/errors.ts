/** The error codes stream.process declares. */
import type { CapabilityErrorSpec } from '../../src/capability.ts'
import { JobError } from '../../src/errors.ts'

export const streamErrors = {
  invalid_pipeline: {
    retryable: false,
    description: 'An operator is inconsistent or an expression does not parse or uses an unknown function.',
  },
  malformed_record: {
    retryable: false,
    description: 'A record could not be parsed or lacks a usable field, and onMalformed is "fail" (or maxMalformed was passed).',
  },
  no_valid_records: {
    retryable: false,
    description: 'Records were read but none could be parsed: usually the wrong "format" (CSV sent as NDJSON) or CSV delimiter.',
  },
  late_record: { retryable: false, description: 'A record arrived after its event-time window closed, and onLate is "fail".' },
} as const satisfies Record<string, CapabilityErrorSpec>

export type StreamErrorCode = keyof typeof streamErrors

export function streamError(code: StreamErrorCode, message: string, details?: Record<string, unknown>): JobError {
  return new JobError(code, message, { retryable: false, ...(details === undefined ? {} : { details }) })
}
