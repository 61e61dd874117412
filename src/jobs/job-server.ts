/**
 * Server side of /crank/job/1.0.0 (and the entry of /crank/job-lane/1.0.0, served by
 * job-lane-server.ts). One inbound job stream runs one job at a time and is reused for the next;
 * a malformed or oversized frame ends only that stream, never the node.
 */
import type { Connection, Stream } from '@libp2p/interface'
import type { Logger } from 'pino'
import type { Caller, ProgressUpdate } from '../capability.ts'
import type { JobOutcome } from '../controller/executor.ts'
import type { Admission, LocalJobRequest } from '../controller/local-jobs.ts'
import type { Priority } from '../controller/scheduler.ts'
import { CrankError, ErrorCodes, toErrorInfo } from '../errors.ts'
import type { FrameBudget } from '../net/frame-budget.ts'
import { type FrameConsumer, FrameReader, FrameWriter, SENT } from '../net/frame-stream.ts'
import { AsyncQueue } from './async-queue.ts'
import { JobController } from './job-controller.ts'
import { type LaneJobStarter, serveLane } from './job-lane-server.ts'
import { ACCEPTED_DELAY_MS, CLOSE_FLUSH_MS, UNPROVEN_JOB_STREAMS } from './limits.ts'
import {
  type ClientFrame,
  decodeClientFrame,
  decodeJson,
  encodeJson,
  encodeServerFrame,
  MAX_REPLAY_KEY_LENGTH,
  REPLAY_KEY_META,
} from './messages.ts'

export type Authorization = { allowed: true; caller: Caller } | { allowed: false; reason: string }

export interface JobServerOptions {
  admit: (req: LocalJobRequest) => Admission
  /** Whether a remote caller may run this job (membership and access policy). Absent: everyone may. */
  authorize?: (req: { peer: string; jobId: string; capability: string; params: unknown }) => Authorization | Promise<Authorization>
  log: Logger
  maxFrameBytes: number
  /** Input bytes buffered for a handler before we stop reading the stream. */
  inputBufferBytes: number
  /** Bounds the frame bytes peers make us hold (per connection and per node); absent: unbounded. */
  budget?: FrameBudget
  /** Resolves whether a peer proved membership (waits for its Hello); with `budget`. */
  whenProven?: (peer: string) => Promise<boolean>
}

export interface RunningJob {
  jobId: string
  input: AsyncQueue<Uint8Array>
  abort: AbortController
  /** Settles once the job's terminal frame has been written (or could not be). */
  ended: Promise<void>
}

export class JobServer {
  private readonly opts: JobServerOptions
  private readonly streams = new Set<Stream>()
  /** Terminal frames being written: a stopping node lets them reach their callers first. */
  private readonly finishing = new Set<Promise<void>>()
  /** Open job streams of peers not yet proven, per connection. */
  private readonly unproven = new WeakMap<Connection, number>()
  /**
   * Admitted jobs not yet announced, in two generations: each tick of one shared timer (armed only
   * while some wait) announces the older generation's jobs that still run, so a job is announced
   * after 1–2 ticks. A job costs one array push here, and nothing when it ends.
   */
  private newAccepts: Array<() => void> = []
  private oldAccepts: Array<() => void> = []
  private acceptTimer: NodeJS.Timeout | undefined

  constructor(opts: JobServerOptions) {
    this.opts = opts
  }

  /** The libp2p stream handler of JOB_PROTOCOL: one job at a time. */
  readonly handle = (stream: Stream, connection: Connection): void => {
    const reader = this.open(stream, connection)
    if (reader !== undefined) this.guard(stream, connection, this.serve(stream, reader, connection.remotePeer.toString()))
  }

  /** The libp2p stream handler of JOB_LANE_PROTOCOL: several jobs without input at once (job-lane-server.ts). */
  readonly handleLane = (stream: Stream, connection: Connection): void => {
    const reader = this.open(stream, connection)
    if (reader === undefined) return
    const caller = connection.remotePeer.toString()
    const log = this.opts.log.child({ stream: stream.id, peer: caller, lane: true })
    const start: LaneJobStarter = (frame, writer, done, batched) => this.start(frame, caller, writer, log, done, batched)
    this.guard(stream, connection, serveLane({ stream, reader, log, start }))
  }

  /** Counts a stream against an unproven peer's allowance and reads it within the frame budget; undefined when refused. */
  private open(stream: Stream, connection: Connection): FrameReader | undefined {
    const caller = connection.remotePeer.toString()
    const account = this.opts.budget?.account(connection)
    if (account !== undefined && !account.isProven) {
      const open = this.unproven.get(connection) ?? 0
      if (open >= UNPROVEN_JOB_STREAMS) {
        stream.abort(new CrankError(ErrorCodes.notMember, 'too many job streams before membership is proven'))
        return undefined
      }
      this.unproven.set(connection, open + 1)
      stream.addEventListener('close', () => this.unproven.set(connection, (this.unproven.get(connection) ?? 1) - 1), { once: true })
    }
    this.streams.add(stream)
    const whenProven = this.opts.whenProven
    return new FrameReader(stream, {
      maxFrameBytes: this.opts.maxFrameBytes,
      highWaterMark: this.opts.maxFrameBytes * 2,
      ...(account === undefined ? {} : { account }),
      ...(whenProven === undefined ? {} : { whenProven: () => whenProven(caller) }),
    })
  }

  private guard(stream: Stream, connection: Connection, served: Promise<void>): void {
    served
      .catch((err: unknown) => {
        // Serving handles its own failures; this is the last guard against an unhandled rejection.
        this.opts.log.error({ err: (err as Error).message, peer: connection.remotePeer.toString() }, 'job stream handler failed')
        stream.abort(err instanceof Error ? err : new Error(String(err)))
      })
      .finally(() => this.streams.delete(stream))
  }

  /**
   * Node shutdown: terminal frames already produced (jobs a drain cancelled, say) get up to
   * `flushMs` to reach their callers, then every open job stream is closed gracefully (an abort
   * right away would lose frames still in flight), and whatever is still open by then is aborted.
   */
  async close(flushMs: number = CLOSE_FLUSH_MS): Promise<void> {
    clearTimeout(this.acceptTimer)
    this.acceptTimer = undefined
    this.newAccepts = []
    this.oldAccepts = []
    const deadline = Date.now() + flushMs
    const bounded = async (work: Promise<unknown>): Promise<void> => {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        work.catch(() => {}),
        new Promise((resolve) => {
          timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))
        }),
      ])
      clearTimeout(timer)
    }
    // Outcomes a drain just settled reach finish() a few microtasks later: let them.
    await new Promise((resolve) => setImmediate(resolve))
    if (this.finishing.size > 0) await bounded(Promise.allSettled([...this.finishing]))
    // Close our side, after what is buffered, and give callers until the deadline to close theirs.
    const streams = [...this.streams]
    await bounded(
      Promise.allSettled(
        streams.map(async (s) => {
          const closed = new Promise((resolve) => s.addEventListener('close', resolve, { once: true }))
          await s.close()
          if (s.status !== 'closed') await closed
        }),
      ),
    )
    const stopping = new CrankError(ErrorCodes.shuttingDown, 'node is stopping', { retryable: true })
    for (const s of streams) if (s.status !== 'closed') s.abort(stopping)
  }

  private async serve(stream: Stream, reader: FrameReader, caller: string): Promise<void> {
    const log = this.opts.log.child({ stream: stream.id, peer: caller })
    const writer = new FrameWriter(stream)
    let current: RunningJob | undefined

    const onFrame = (bytes: Uint8Array): Promise<void> | undefined => {
      const { kind, frame } = decodeClientFrame(bytes)
      // Read through a local: `current` is reassigned by the job's completion callback.
      const job: RunningJob | undefined = current
      switch (kind) {
        case 'submit':
          if (job !== undefined)
            throw new CrankError(ErrorCodes.protocolError, `Submit for ${frame.submit?.jobId} while ${job.jobId} is running`)
          current = this.start(frame, caller, writer, log, () => {
            current = undefined
          })
          break
        case 'inputChunk':
          // The reader holds the next frame until the push resolves: the input backpressure.
          if (job !== undefined && job.jobId === frame.inputChunk?.jobId) return job.input.push(frame.inputChunk?.data ?? new Uint8Array())
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
      return undefined
    }

    try {
      // Frames are taken from the stream's data events, not an awaited iterator (no promise per frame).
      await new Promise<void>((resolve, reject) => {
        const consumer: FrameConsumer = {
          frame: (bytes) => {
            try {
              return onFrame(bytes)
            } catch (err) {
              reader.release(consumer)
              reject(err)
              return undefined
            }
          },
          end: (error) => (error === undefined ? resolve() : reject(error)),
        }
        reader.consume(consumer)
      })
      // The caller closed its side: "no more input", not "gone". A job that is running still
      // owes it a result; input the caller never finished is an error the handler sees.
      const running: RunningJob | undefined = current
      if (running !== undefined) {
        if (!running.input.isEnded) {
          running.input.end(new CrankError(ErrorCodes.protocolError, 'caller closed its stream before InputEnd: the input is incomplete'))
        }
        if (stream.writeStatus === 'writable') await running.ended
        else running.abort.abort(new CrankError(ErrorCodes.connectionLost, 'caller closed the stream', { retryable: true }))
      }
      await stream.close().catch(() => {})
    } catch (err) {
      const error = toErrorInfo(err, ErrorCodes.internal)
      // A peer going away, or sending what no honest client sends, is its business (a warning each
      // time would let any peer flood our log); a failure of ours deserves attention.
      log[PEER_FAULTS.has(error.code) ? 'debug' : 'warn']({ code: error.code, err: error.message }, 'job stream failed')
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

  /** Announces a job that is still running after ACCEPTED_DELAY_MS. */
  private acceptLater(announceIfRunning: () => void): void {
    this.newAccepts.push(announceIfRunning)
    this.armAcceptTimer()
  }

  private armAcceptTimer(): void {
    if (this.acceptTimer !== undefined || (this.newAccepts.length === 0 && this.oldAccepts.length === 0)) return
    this.acceptTimer = setTimeout(() => {
      this.acceptTimer = undefined
      for (const announceIfRunning of this.oldAccepts) announceIfRunning()
      this.oldAccepts = this.newAccepts
      this.newAccepts = []
      this.armAcceptTimer()
    }, ACCEPTED_DELAY_MS)
    this.acceptTimer.unref()
  }

  /**
   * Writes a job's terminal frame and calls `ended` once it is written (or could not be); one still
   * waiting for room is tracked, so that a stopping node can let it through.
   */
  private finish(writer: FrameWriter, frame: Uint8Array, ended: () => void, batched: boolean): void {
    const written = batched ? writer.writeSoon(frame) : writer.write(frame)
    if (written === SENT) {
      ended()
      return
    }
    const tracked = written.then(ended, ended)
    this.finishing.add(tracked)
    void tracked.then(() => this.finishing.delete(tracked))
  }

  /** `batched`, on a lane: whether the terminal frame should wait for the turn's batch (other jobs share the stream). */
  private start(
    frame: ClientFrame,
    caller: string,
    writer: FrameWriter,
    log: Logger,
    done: () => void,
    batched?: () => boolean,
  ): RunningJob | undefined {
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
    const priority = submit.priority ?? ''
    if (priority !== '' && !isPriority(priority)) {
      return reject(
        new CrankError(ErrorCodes.invalidOption, `priority "${priority.slice(0, 32)}" is not one of high, normal, low`, {
          details: { field: 'priority' },
        }),
      )
    }
    let params: unknown
    try {
      params = decodeJson(submit.paramsJson ?? new Uint8Array(), 'params_json', ErrorCodes.invalidParams) ?? {}
    } catch (err) {
      return reject(err as CrankError)
    }
    // Scoped to this caller by LocalJobs: a peer can only ever be answered with its own jobs' results.
    const replayKey = replayKeyOf(submit.meta)
    const input =
      submit.hasInput === true ? new AsyncQueue<Uint8Array>({ highWaterMark: this.opts.inputBufferBytes, size: chunkBytes }) : NO_INPUT
    const abort = new JobController()
    const capability = submit.capability ?? ''
    let markEnded!: () => void
    const ended = new Promise<void>((resolve) => {
      markEnded = resolve
    })

    let latestProgress: ProgressUpdate | undefined
    // Accepted is news only before the first progress or output, or once the job has taken a while
    // (see protocols/README.md): a fast job's terminal frame says which version ran instead.
    let version = ''
    let announced = false
    let finished = false
    const announce = (): void => {
      if (announced) return
      announced = true
      // Encoded when its turn comes: a handler may report progress before admit() has returned the version.
      void writer.write(() => encodeServerFrame({ accepted: { jobId, capabilityVersion: version } })).catch(() => {})
    }
    const run = (identity: Caller | undefined): void => {
      let admission: Admission
      try {
        admission = this.admit({
          jobId,
          idempotencyKey: replayKey,
          capability,
          versionRange: submit.versionRange ?? '',
          params,
          input,
          deadline: submit.deadlineMs ? Date.now() + submit.deadlineMs : undefined,
          priority: isPriority(priority) ? priority : undefined,
          control: abort,
          caller,
          identity,
          sink: {
            progress: (update) => {
              announce()
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
            output: (chunk) => {
              announce()
              return writer.write(encodeServerFrame({ outputChunk: { jobId, data: chunk } }))
            },
          },
        })
      } catch (err) {
        admission = { accepted: false, error: new CrankError(ErrorCodes.internal, `admission failed: ${(err as Error).message}`) }
      }
      if (!admission.accepted) {
        done()
        input.abort()
        reject(admission.error)
        markEnded()
        return
      }
      version = admission.capability.version
      if (!announced) this.acceptLater(() => finished || announce())
      const end = (outcome: JobOutcome): void => {
        try {
          done()
          input.abort()
          finished = true
          if (log.isLevelEnabled('debug')) log.debug({ job: jobId, state: outcome.state }, 'job ended')
          this.finish(writer, terminalFrame(jobId, version, outcome), markEnded, batched?.() === true)
        } catch (err) {
          markEnded()
          throw err
        }
      }
      // One reaction for either settlement: no chain of promises per job.
      admission.outcome.then(end, (err: unknown) => end({ state: 'failed', error: toErrorInfo(err, ErrorCodes.internal) }))
    }

    const decide = (d: Authorization): void => {
      if (d.allowed) {
        run(d.caller)
        return
      }
      done()
      input.abort()
      reject(new CrankError(ErrorCodes.forbidden, d.reason))
      markEnded()
    }
    const refuse = (err: unknown): void => decide({ allowed: false, reason: (err as Error).message })
    const authorize = this.opts.authorize
    // Decide after the caller has registered this job as current: input frames that follow are
    // queued for it rather than dropped, and a rejection's done() clears the right job.
    queueMicrotask(() => {
      if (authorize === undefined) return run(undefined)
      try {
        const d = authorize({ peer: caller, jobId, capability, params })
        if (d instanceof Promise) d.then(decide, refuse)
        else decide(d)
      } catch (err) {
        refuse(err)
      }
    })
    return { jobId, input, abort, ended }
  }

  private admit(req: LocalJobRequest): Admission {
    return this.opts.admit(req)
  }
}

/** The Result or Error frame of an outcome. A result that JSON cannot carry within bounds fails the job instead. */
function terminalFrame(jobId: string, capabilityVersion: string, outcome: JobOutcome): Uint8Array {
  if (outcome.state === 'succeeded') {
    try {
      const resultJson = encodeJson(outcome.result, 'result', ErrorCodes.invalidOutput)
      return encodeServerFrame({ result: { jobId, resultJson, capabilityVersion } })
    } catch (err) {
      const error = toErrorInfo(err, ErrorCodes.invalidOutput)
      return encodeServerFrame({ error: { jobId, state: 'failed', ...error, retryable: false, capabilityVersion } })
    }
  }
  const { code, message, retryable } = outcome.error
  return encodeServerFrame({ error: { jobId, state: outcome.state, code, message, retryable, capabilityVersion } })
}

function chunkBytes(chunk: Uint8Array): number {
  return chunk.byteLength
}

/** The input of every job submitted without one: already ended, so one serves all (what is pushed after the end is dropped). */
const NO_INPUT = new AsyncQueue<Uint8Array>({ highWaterMark: 0 })
NO_INPUT.end()

/** Stream failures caused by the peer, not by us. */
export const PEER_FAULTS = new Set<string>([
  ErrorCodes.connectionLost,
  ErrorCodes.malformedFrame,
  ErrorCodes.frameTooLarge,
  ErrorCodes.protocolError,
  ErrorCodes.bufferFull,
  ErrorCodes.notMember,
])

/** A durable job's replay key from Submit meta, when it carries a usable one. */
function replayKeyOf(meta: Record<string, string> | null | undefined): string | undefined {
  const key = meta?.[REPLAY_KEY_META]
  return typeof key === 'string' && key !== '' && key.length <= MAX_REPLAY_KEY_LENGTH ? key : undefined
}

function isPriority(p: string | null | undefined): p is Priority {
  return p === 'high' || p === 'normal' || p === 'low'
}
