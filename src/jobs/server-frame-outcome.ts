/**
 * What a job's server frame means to the caller, on a job stream or a lane alike: progress to the
 * job's sink, an Accepted (or the version a terminal frame names) to `run.accept`, and the outcome
 * when the frame is terminal.
 */
import type { JobEventSink, JobOutcome } from '../controller/executor.ts'
import { ErrorCodes } from '../errors.ts'
import { decodeJson, type ServerFrame } from './messages.ts'

/** The job a frame is for, told which version runs it (a method, so no closure per job). */
export interface VersionListener {
  accept(version: string | null | undefined): void
}

export function serverFrameOutcome(
  kind: NonNullable<ServerFrame['frame']>,
  frame: ServerFrame,
  sink: JobEventSink,
  run: VersionListener,
): JobOutcome | undefined {
  switch (kind) {
    case 'accepted':
      run.accept(frame.accepted?.capabilityVersion)
      return undefined
    case 'progress': {
      const p = frame.progress
      sink.progress({ done: p?.done ?? 0, ...(p?.total ? { total: p.total } : {}), ...(p?.message ? { message: p.message } : {}) })
      return undefined
    }
    case 'rejected': {
      const r = frame.rejected
      return {
        state: 'failed',
        error: { code: r?.code ?? ErrorCodes.internal, message: r?.message ?? '', retryable: r?.retryable ?? false },
      }
    }
    case 'result':
      run.accept(frame.result?.capabilityVersion)
      return { state: 'succeeded', result: decodeJson(frame.result?.resultJson ?? new Uint8Array(), 'result_json') }
    case 'error': {
      const e = frame.error
      run.accept(e?.capabilityVersion)
      const state = e?.state === 'cancelled' || e?.state === 'expired' ? e.state : 'failed'
      return { state, error: { code: e?.code ?? ErrorCodes.internal, message: e?.message ?? '', retryable: e?.retryable ?? false } }
    }
    default:
      return undefined
  }
}
