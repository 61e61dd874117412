/**
 * Server side of /crank/job/1.0.0. One inbound stream runs one job at a time
 * and is reused for the next; a malformed or oversized frame ends only that
 * stream, never the node.
 */
import type { Connection, Stream } from '@libp2p/interface'
import type { Logger } from 'pino'
import type { Caller, ProgressUpdate } from '../capability.ts'
import type { Admission, LocalJobRequest } from '../controller/local-jobs.ts'
import type { Priority } from '../controller/scheduler.ts'
import { CrankError, ErrorCodes, toErrorInfo } from '../errors.ts'
import { FrameReader, FrameWriter } from '../net/frame-stream.ts'
import { AsyncQueue } from './async-queue.ts'
import { type ClientFrame, decodeClientFrame, decodeJson, encodeJson, encodeServerFrame } from './messages.ts'

export type Authorization = { allowed: true; caller: Caller } | { allowed: false; reason: string }

export interface JobServerOptions {
  admit: (req: LocalJobRequest) => Admission
  /** Whether a remote caller may run this job (membership and access policy). Absent: everyone may. */
  authorize?: (req: { peer: string; jobId: string; capability: string; params: unknown }) => Authorization | Promise<Authorization>
  log: Logger
  maxFrameBytes: number
  /** Input bytes buffered for a handler before we stop reading the stream. */
  inputBufferBytes: number
}

interface RunningJob {
  jobId: string
  input: AsyncQueue<Uint8Array>
  abort: AbortController
}

export class JobServer {
  private readonly opts: JobServerOptions
  private readonly streams = new Set<Stream>()

  constructor(opts: JobServerOptions) {
    this.opts = opts
  }

  /** The libp2p stream handler. */
  readonly handle = (stream: Stream, connection: Connection): void => {
    this.streams.add(stream)
    void this.serve(stream, connection.remotePeer.toString()).finally(() => this.streams.delete(stream))
  }

  /** Aborts every open job stream (node shutdown). */
  closeAll(): void {
    for (const s of this.streams) s.abort(new CrankError(ErrorCodes.shuttingDown, 'node is stopping', { retryable: true }))
  }

  private async serve(stream: Stream, caller: string): Promise<void> {
    const log = this.opts.log.child({ stream: stream.id, peer: caller })
    const reader = new FrameReader(stream, { maxFrameBytes: this.opts.maxFrameBytes, highWaterMark: this.opts.maxFrameBytes * 2 })
    const writer = new FrameWriter(stream)
    let current: RunningJob | undefined

    try {
      for await (const bytes of reader) {
        const frame = decodeClientFrame(bytes)
        // Read through a local: `current` is reassigned by the job's completion callback.
        const job: RunningJob | undefined = current
        switch (frame.frame) {
          case 'submit':
            if (job !== undefined)
              throw new CrankError(ErrorCodes.protocolError, `Submit for ${frame.submit?.jobId} while ${job.jobId} is running`)
            current = this.start(frame, caller, writer, log, () => {
              current = undefined
            })
            break
          case 'inputChunk':
            // Awaiting here is the input backpressure: the reader pauses the stream while we wait.
            if (job !== undefined && job.jobId === frame.inputChunk?.jobId) await job.input.push(frame.inputChunk?.data ?? new Uint8Array())
            break
          case 'inputEnd':
            if (job !== undefined && job.jobId === frame.inputEnd?.jobId) job.input.end()
            break
          case 'cancel':
            if (job !== undefined && job.jobId === frame.cancel?.jobId) {
              job.abort.abort(new CrankError(ErrorCodes.cancelled, frame.cancel?.reason || 'job cancelled by caller'))
            }
            break
        }
        // Frames naming a job that already ended are stale input from the client and are dropped.
      }
      if (current !== undefined)
        current.abort.abort(new CrankError(ErrorCodes.connectionLost, 'caller closed the stream', { retryable: true }))
      await stream.close().catch(() => {})
    } catch (err) {
      const error = toErrorInfo(err, ErrorCodes.internal)
      // A peer going away is routine; anything else on a job stream deserves attention.
      log[error.code === ErrorCodes.connectionLost ? 'debug' : 'warn']({ code: error.code, err: error.message }, 'job stream failed')
      current?.abort.abort(new CrankError(error.code, error.message, { retryable: error.retryable }))
      if (error.code !== ErrorCodes.connectionLost) {
        // Best effort: tell the client why before we reset; the framing can't be trusted past this point.
        const jobId = current?.jobId ?? ''
        await Promise.race([
          writer.write(
            encodeServerFrame({ error: { jobId, state: 'failed', code: error.code, message: error.message, retryable: false } }),
          ),
          new Promise((resolve) => setTimeout(resolve, 100)),
        ]).catch(() => {})
      }
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  private start(frame: ClientFrame, caller: string, writer: FrameWriter, log: Logger, done: () => void): RunningJob | undefined {
    const submit = frame.submit
    if (submit === null || submit === undefined) return undefined
    const jobId = submit.jobId ?? ''
    const reject = (err: CrankError): undefined => {
      void writer
        .write(encodeServerFrame({ rejected: { jobId, code: err.code, message: err.message, retryable: err.retryable } }))
        .catch(() => {})
      return undefined
    }
    if (jobId === '') return reject(new CrankError(ErrorCodes.protocolError, 'Submit without job_id'))
    let params: unknown
    try {
      params = decodeJson(submit.paramsJson ?? new Uint8Array(), 'params_json', ErrorCodes.invalidParams) ?? {}
    } catch (err) {
      return reject(err as CrankError)
    }
    const input = new AsyncQueue<Uint8Array>({ highWaterMark: this.opts.inputBufferBytes, size: (c) => c.byteLength })
    if (submit.hasInput !== true) input.end()
    const abort = new AbortController()
    const capability = submit.capability ?? ''

    let latestProgress: ProgressUpdate | undefined
    const run = (identity: Caller | undefined): void => {
      const admission = this.opts.admit({
        jobId,
        capability,
        versionRange: submit.versionRange ?? '',
        params,
        input,
        ...(submit.deadlineMs ? { deadline: Date.now() + submit.deadlineMs } : {}),
        ...(isPriority(submit.priority) ? { priority: submit.priority } : {}),
        signal: abort.signal,
        caller,
        ...(identity === undefined ? {} : { identity }),
        sink: {
          progress: (update) => {
            // Coalesce: only the newest update is sent when the writer gets to it.
            const queued = latestProgress !== undefined
            latestProgress = update
            if (queued) return
            void writer
              .write(() => {
                const p = latestProgress
                latestProgress = undefined
                return p === undefined
                  ? undefined
                  : encodeServerFrame({ progress: { jobId, done: p.done, total: p.total ?? 0, message: p.message ?? '' } })
              })
              .catch(() => {})
          },
          output: (chunk) => writer.write(encodeServerFrame({ outputChunk: { jobId, data: chunk } })),
        },
      })
      if (!admission.accepted) {
        done()
        input.abort()
        reject(admission.error)
        return
      }
      void writer.write(encodeServerFrame({ accepted: { jobId, capabilityVersion: admission.capability.version } })).catch(() => {})
      void admission.outcome.then((outcome) => {
        done()
        input.abort()
        log.debug({ job: jobId, state: outcome.state }, 'job ended')
        const terminal =
          outcome.state === 'succeeded'
            ? encodeServerFrame({ result: { jobId, resultJson: encodeJson(outcome.result) } })
            : encodeServerFrame({ error: { jobId, state: outcome.state, ...outcome.error } })
        return writer.write(terminal).catch(() => {})
      })
    }

    const decide = (d: Authorization): void => {
      if (d.allowed) {
        run(d.caller)
        return
      }
      done()
      input.abort()
      reject(new CrankError(ErrorCodes.forbidden, d.reason))
    }
    const authorize = this.opts.authorize
    // Decide after the caller has registered this job as current: input frames that follow are
    // queued for it rather than dropped, and a rejection's done() clears the right job.
    queueMicrotask(() => {
      if (authorize === undefined) return run(undefined)
      const d = authorize({ peer: caller, jobId, capability, params })
      if (d instanceof Promise) d.then(decide, (err: unknown) => decide({ allowed: false, reason: (err as Error).message }))
      else decide(d)
    })
    return { jobId, input, abort }
  }
}

function isPriority(p: string | null | undefined): p is Priority {
  return p === 'high' || p === 'normal' || p === 'low'
}
