/**
 * Error codes the worker runtimes produce. All but `sandbox_denied` are about this
 * node's worker, not the job, so they are retryable: another provider may well succeed.
 */
import { CrankError } from '../errors.ts'

export const WorkerErrorCodes = {
  /** The worker holding the job died (uncaught error, signal, native crash). */
  workerCrashed: 'worker_crashed',
  /** The worker went over its manifest's `resources.memoryMb` and was replaced. */
  workerMemoryExceeded: 'worker_memory_exceeded',
  /** No worker of this capability could be started (boot keeps failing). */
  workerUnavailable: 'worker_unavailable',
  /** The handler tried something its sandbox forbids (a file outside its paths, a child process…). */
  sandboxDenied: 'sandbox_denied',
} as const

/** Node's permission model throws ERR_ACCESS_DENIED; turn it into a typed, non-retryable job error. */
export function sandboxError(err: unknown): unknown {
  if (typeof err !== 'object' || err === null || (err as { code?: unknown }).code !== 'ERR_ACCESS_DENIED') return err
  const { permission, resource } = err as { permission?: string; resource?: string }
  const what = resource === undefined || resource === '' ? '' : ` on ${resource}`
  return new CrankError(WorkerErrorCodes.sandboxDenied, `sandbox denied ${permission ?? 'the operation'}${what}`, {
    details: { permission: permission ?? 'unknown', ...(resource === undefined ? {} : { resource }) },
  })
}
