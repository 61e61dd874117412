/**
 * Server side of /crank/job/1.0.0 (and the entry of /crank/job-lane/1.0.0, served by
 * job-lane-server.ts). One inbound job stream runs one job at a time and is reused for the next;
 * a malformed or oversized frame ends only that stream, never the node.
 */
import type { Connection, Stream } from '@libp2p/interface'
import type { Logger } from 'pino'
import type { Admission, LocalJobRequest } from '../controller/local-jobs.ts'
import type { Priority } from '../controller/scheduler.ts'
import { CrankError, ErrorCodes, toErrorInfo } from '../errors.ts'
import type { FrameBudget } from '../net/frame-budget.ts'
import { FrameReader, FrameWriter, SENT } from '../net/frame-stream.ts'
import { AsyncQueue } from './async-queue.ts'
import { type LaneJobStarter, serveLane } from './job-lane-server.ts'
import { ACCEPTED_DELAY_MS, CLOSE_FLUSH_MS, UNPROVEN_JOB_STREAMS } from './limits.ts'
import { type ClientFrame, decodeClientFrame, decodeJson, encodeServerFrame, MAX_REPLAY_KEY_LENGTH, REPLAY_KEY_META } from './messages.ts'
import { Roster } from './roster.ts'
import { type Authorization, type JobCarrier, type JobHost, PEER_FAULTS, rejectJob, ServedJob } from './served-job.ts'

export type { Authorization } from './served-job.ts'

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

export class JobServer implements JobHost {
  private readonly opts: JobServerOptions
  private readonly streams = new Set<Stream>()
  /** Terminal frames being written: a stopping node lets them reach their callers first. */
  private readonly finishing = new Roster<Promise<void>>()
  /** Open job streams of peers not yet proven, per connection. */
  private readonly unproven = new WeakMap<Connection, number>()
  /**
   * Admitted jobs not yet announced, in two generations: each tick of one shared timer (armed only
   * while some wait) announces the older generation's jobs that still run, so a job is announced
   * after 1–2 ticks. A job costs one array push here, and nothing when it ends.
   */
  private newAccepts: ServedJob[] = []
  private oldAccepts: ServedJob[] = []
  private acceptTimer: NodeJS.Timeout | undefined

  readonly authorize: JobHost['authorize']

  constructor(opts: JobServerOptions) {
    this.opts = opts
    this.authorize = opts.authorize
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
    const start: LaneJobStarter = (frame, carrier) => this.start(frame, caller, carrier)
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
    if (this.finishing.size > 0) await bounded(Promise.allSettled(this.finishing.values()))
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
    let current: ServedJob | undefined
    // One job at a time: its terminal frame goes out at once.
    const carrier: JobCarrier = {
      writer,
      log,
      done: (job) => {
        if (current === job) current = undefined
      },
      batched: () => false,
    }

    const onFrame = (bytes: Uint8Array): Promise<void> | undefined => {
      const { kind, frame } = decodeClientFrame(bytes)
      // Read through a local: `current` is reassigned by the job's completion callback.
      const job: ServedJob | undefined = current
      switch (kind) {
        case 'submit':
          if (job !== undefined)
            throw new CrankError(ErrorCodes.protocolError, `Submit for ${frame.submit?.jobId} while ${job.jobId} is running`)
          current = this.start(frame, caller, carrier)
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
      await reader.readAll(onFrame)
      // The caller closed its side: "no more input", not "gone". A job that is running still
      // owes it a result; input the caller never finished is an error the handler sees.
      const running: ServedJob | undefined = current
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
  acceptLater(job: ServedJob): void {
    this.newAccepts.push(job)
    this.armAcceptTimer()
  }

  private armAcceptTimer(): void {
    if (this.acceptTimer !== undefined || (this.newAccepts.length === 0 && this.oldAccepts.length === 0)) return
    this.acceptTimer = setTimeout(() => {
      this.acceptTimer = undefined
      for (const job of this.oldAccepts) job.announceIfRunning()
      this.oldAccepts = this.newAccepts
      this.newAccepts = []
      this.armAcceptTimer()
    }, ACCEPTED_DELAY_MS)
    this.acceptTimer.unref()
  }

  /**
   * Writes a job's terminal frame and marks the job ended once it is written (or could not be);
   * one still waiting (for the turn's batch, or for room) is tracked, so that a stopping node can
   * let it through. The jobs of one batch share one tracked promise, found through their
   * carrier (a batch is one writer's), not a map of batches: see roster.ts.
   */
  finish(carrier: JobCarrier, frame: Uint8Array, job: ServedJob): void {
    const written = carrier.batched() ? carrier.writer.writeSoon(frame) : carrier.writer.write(frame)
    if (written === SENT) {
      job.markEnded()
      return
    }
    const open = carrier.batch
    if (open !== undefined && open.written === written) {
      open.jobs.push(job)
      return
    }
    const batch = { written, jobs: [job] }
    carrier.batch = batch
    const settle = (): void => {
      if (carrier.batch === batch) carrier.batch = undefined
      for (const j of batch.jobs) j.markEnded()
    }
    const tracked = written.then(settle, settle)
    const member = this.finishing.add(tracked)
    void tracked.then(() => this.finishing.remove(member))
  }

  /** A job from its Submit, registered with its carrier by the caller; undefined when the Submit is refused outright. */
  private start(frame: ClientFrame, caller: string, carrier: JobCarrier): ServedJob | undefined {
    const submit = frame.submit
    if (submit === null || submit === undefined) return undefined
    const jobId = submit.jobId ?? ''
    const { writer } = carrier
    if (jobId === '') return rejectJob(writer, jobId, new CrankError(ErrorCodes.protocolError, 'Submit without job_id'))
    const priority = submit.priority ?? ''
    if (priority !== '' && !isPriority(priority)) {
      return rejectJob(
        writer,
        jobId,
        new CrankError(ErrorCodes.invalidOption, `priority "${priority.slice(0, 32)}" is not one of high, normal, low`, {
          details: { field: 'priority' },
        }),
      )
    }
    let params: unknown
    try {
      params = decodeJson(submit.paramsJson ?? new Uint8Array(), 'params_json', ErrorCodes.invalidParams) ?? {}
    } catch (err) {
      return rejectJob(writer, jobId, err as CrankError)
    }
    const input =
      submit.hasInput === true ? new AsyncQueue<Uint8Array>({ highWaterMark: this.opts.inputBufferBytes, size: chunkBytes }) : NO_INPUT
    const job = new ServedJob(
      this,
      carrier,
      caller,
      {
        jobId,
        capability: submit.capability ?? '',
        versionRange: submit.versionRange ?? '',
        params,
        deadlineMs: submit.deadlineMs ?? 0,
        priority: isPriority(priority) ? priority : undefined,
        // Scoped to this caller by LocalJobs: a peer can only ever be answered with its own jobs' results.
        replayKey: replayKeyOf(submit.meta),
      },
      input,
    )
    job.begin()
    return job
  }

  admit(req: LocalJobRequest): Admission {
    return this.opts.admit(req)
  }
}

function chunkBytes(chunk: Uint8Array): number {
  return chunk.byteLength
}

/** The input of every job submitted without one: already ended, so one serves all (what is pushed after the end is dropped). */
const NO_INPUT = new AsyncQueue<Uint8Array>({ highWaterMark: 0 })
NO_INPUT.end()

/** A durable job's replay key from Submit meta, when it carries a usable one. */
function replayKeyOf(meta: Record<string, string> | null | undefined): string | undefined {
  const key = meta?.[REPLAY_KEY_META]
  return typeof key === 'string' && key !== '' && key.length <= MAX_REPLAY_KEY_LENGTH ? key : undefined
}

function isPriority(p: string | null | undefined): p is Priority {
  return p === 'high' || p === 'normal' || p === 'low'
}
