/** The error codes document.convert declares, and one constructor per code so call sites stay short. */
import type { CapabilityErrorSpec } from '../../src/capability.ts'
import { JobError } from '../../src/errors.ts'

export const documentErrors = {
  invalid_document: { retryable: false, description: 'The input is corrupt or is not the format it claims to be.' },
  document_too_large: { retryable: false, description: 'The input, or what it would inflate to, is over the byte limit.' },
  too_many_pages: { retryable: false, description: 'The PDF has more pages than maxPages allows.' },
  unknown_format: { retryable: false, description: 'No `from` was given and the format could not be detected from the bytes.' },
  unsupported_conversion: { retryable: false, description: 'This pair of formats is not supported.' },
  conversion_timeout: { retryable: true, description: 'The conversion took longer than timeoutMs.' },
} as const satisfies Record<string, CapabilityErrorSpec>

export type DocumentErrorCode = keyof typeof documentErrors

export function documentError(code: DocumentErrorCode, message: string, details?: Record<string, unknown>): JobError {
  return new JobError(code, message, {
    retryable: documentErrors[code].retryable,
    ...(details === undefined ? {} : { details }),
  })
}

/** Wraps a library's parse failure as invalid_document, keeping our own typed errors as they are. */
export function asInvalidDocument(err: unknown, what: string): JobError {
  if (err instanceof JobError) return err
  const reason = err instanceof Error ? err.message : String(err)
  return documentError('invalid_document', `${what}: ${reason}`)
}
