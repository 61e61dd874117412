/**
 * What the caller's side needs to run one job on a remote peer, whichever way it travels (a job
 * stream of its own, job-client.ts, or a lane, lane-job-run.ts), and the Submit frame made of it.
 */
import type { JobEventSink } from '../controller/executor.ts'
import type { Priority } from '../controller/scheduler.ts'
import { ErrorCodes } from '../errors.ts'
import { MAX_DEADLINE_MS } from './limits.ts'
import { encodeClientFrame, encodeJson, REPLAY_KEY_META } from './messages.ts'

export interface RemoteJobRequest {
  jobId: string
  capability: string
  versionRange: string
  params: unknown
  /** The params already encoded (the dispatcher checks them once at submit); else encoded here. */
  paramsJson?: Uint8Array
  input?: AsyncIterable<Uint8Array> | undefined
  deadline?: number | undefined
  priority?: Priority | undefined
  signal: AbortSignal
  /** The job's controller, whose signal `signal` is: its abort hook spares a listener per job. */
  control?: AbortController
  sink: JobEventSink
  /** A durable job's key, sent in the Submit's meta: a provider that already ran it answers from its store. */
  replayKey?: string | undefined
  onAccepted?: (version: string, peer: string) => void
  /** The caller collects the output into the result (no backpressure): with no input, the job may share a lane. */
  collectsOutput?: boolean
}

/** The Submit frame of a job, with its deadline made relative to now. */
export function submitFrame(req: RemoteJobRequest): Uint8Array {
  return encodeClientFrame({
    submit: {
      jobId: req.jobId,
      capability: req.capability,
      versionRange: req.versionRange,
      paramsJson: req.paramsJson ?? encodeJson(req.params ?? {}, 'params', ErrorCodes.invalidParams),
      // uint32 on the wire; submit options refuse deadlines beyond it.
      deadlineMs: req.deadline === undefined ? 0 : Math.min(MAX_DEADLINE_MS, Math.max(1, Math.ceil(req.deadline - Date.now()))),
      hasInput: req.input !== undefined,
      priority: req.priority ?? '',
      // No object at all for a plain job: this literal is built for every remote job.
      meta: req.replayKey === undefined ? null : { [REPLAY_KEY_META]: req.replayKey },
    },
  })
}
