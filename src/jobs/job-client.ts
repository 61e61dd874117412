/**
 * Client side of /crank/job/1.0.0: runs one job on a remote peer over a pooled
 * stream, or hands a small job to a shared lane (lane-job-run.ts). Every path out of `run` yields exactly one outcome; a stream whose
 * state is uncertain afterwards is discarded rather than reused.
 */
import type { PeerId } from '@libp2p/interface'
import { abortOutcome, cancelledError, type JobOutcome } from '../controller/executor.ts'
import { CrankError, ErrorCodes, toErrorInfo } from '../errors.ts'
import type { FrameConsumer } from '../net/frame-stream.ts'
import type { JobLane } from './job-lane.ts'
import { LaneJobRun } from './lane-job-run.ts'
import type { LanePool } from './lane-pool.ts'
import { decodeServerFrame, encodeClientFrame, type ServerFrame } from './messages.ts'
import { type RemoteJobRequest, submitFrame } from './remote-job-request.ts'
import { RemoteJobRun } from './remote-job-run.ts'
import { serverFrameOutcome } from './server-frame-outcome.ts'
import type { JobStream, StreamPool } from './stream-pool.ts'

export interface JobClientOptions {
  pool: StreamPool
  inputChunkBytes: number
  /** How long a cancelled job may take to confirm before its stream is reset. */
  cancelGraceMs: number
  /** Lanes for small jobs (lane-pool.ts); absent: every job takes a stream of its own. */
  lanes?: LanePool
}

export class JobClient {
  private readonly opts: JobClientOptions

  constructor(opts: JobClientOptions) {
    this.opts = opts
  }

  /**
   * Not async: a job that finds a lane with room at once (nearly every small job) gets its run's
   * own promise back, without an async function's promise and the turns it takes to adopt another.
   */
  run(peerId: PeerId, req: RemoteJobRequest): Promise<JobOutcome> {
    if (req.signal.aborted) return Promise.resolve(abortOutcome(req.signal.reason ?? cancelledError()))
    const lanes = this.opts.lanes
    // Only a job that holds no stream back shares one: no input to send, no caller pacing its output.
    if (lanes !== undefined && req.input === undefined && req.collectsOutput === true) {
      const lane = lanes.pick(peerId.toString(), req.jobId)
      if (lane !== undefined) return new LaneJobRun(lane, req, this.opts.cancelGraceMs).run()
      return this.runAfterLaneWait(lanes, peerId, req)
    }
    return this.runOnStream(peerId, req)
  }

  /** No lane had room: one may be opened (or free up) meanwhile, else the job takes a stream. */
  private async runAfterLaneWait(lanes: LanePool, peerId: PeerId, req: RemoteJobRequest): Promise<JobOutcome> {
    const peer = peerId.toString()
    let lane: JobLane | undefined
    // Picked again after each wait, right before the job takes its slot: others may have taken them meanwhile.
    for (let tries = 0; lane === undefined && tries < 2 && (await lanes.open(peerId, req.signal)); tries++)
      lane = lanes.pick(peer, req.jobId)
    if (req.signal.aborted) return abortOutcome(req.signal.reason ?? cancelledError())
    if (lane !== undefined) return new LaneJobRun(lane, req, this.opts.cancelGraceMs).run()
    return this.runOnStream(peerId, req)
  }

  private async runOnStream(peerId: PeerId, req: RemoteJobRequest): Promise<JobOutcome> {
    let js: JobStream
    try {
      js = await this.opts.pool.acquire(peerId, req.signal)
    } catch (err) {
      if (req.signal.aborted) return abortOutcome(req.signal.reason ?? cancelledError())
      return {
        state: 'failed',
        error: { code: ErrorCodes.peerUnreachable, message: `cannot reach ${peerId}: ${(err as Error).message}`, retryable: true },
      }
    }
    return new StreamJobRun(js, req, this.opts).run()
  }
}

class StreamJobRun extends RemoteJobRun {
  private readonly js: JobStream
  private readonly opts: JobClientOptions
  private terminal: JobOutcome | undefined
  /** Set when we gave up waiting for the server; wins over whatever the stream says next. */
  private forced: JobOutcome | undefined
  private inputFailure: CrankError | undefined

  constructor(js: JobStream, req: RemoteJobRequest, opts: JobClientOptions) {
    super(req, opts.cancelGraceMs)
    this.js = js
    this.opts = opts
  }

  protected get peer(): string {
    return this.js.peer
  }

  async run(): Promise<JobOutcome> {
    const { req, js } = this
    this.watch()
    let pumped: Promise<void> | undefined
    let reusable = true
    try {
      await js.writer.write(submitFrame(req))
      if (req.input !== undefined) pumped = this.pump(req.input)
      this.terminal = await this.readUntilTerminal()
    } catch (err) {
      reusable = false
      const error = toErrorInfo(err, ErrorCodes.connectionLost)
      if (error.code === ErrorCodes.connectionLost) error.retryable = true
      this.terminal = { state: 'failed', error }
    } finally {
      this.unwatch()
    }
    const outcome = this.forced ?? this.inputOutcome() ?? this.terminal
    if (this.forced !== undefined) reusable = false
    // Release only after the input pump has stopped, so no stale frame can interleave with the next job.
    const settle = (): void =>
      reusable ? this.opts.pool.release(js) : this.opts.pool.discard(js, new Error('job stream in unknown state'))
    if (pumped === undefined) settle()
    else void pumped.then(settle)
    return outcome
  }

  private inputOutcome(): JobOutcome | undefined {
    if (this.inputFailure === undefined) return undefined
    return { state: 'failed', error: toErrorInfo(this.inputFailure) }
  }

  /** Takes the stream's frames from its data events (no promise per frame) until the job's terminal frame. */
  private readUntilTerminal(): Promise<JobOutcome> {
    const { req } = this
    const { reader } = this.js
    return new Promise<JobOutcome>((resolve, reject) => {
      const fail = (err: unknown): void => {
        reader.release(consumer)
        reject(err)
      }
      const consumer: FrameConsumer = {
        frame: (bytes) => {
          try {
            const { kind, frame } = decodeServerFrame(bytes)
            if (kind === 'outputChunk') {
              this.checkJob(kind, frame)
              // The next frame waits until the caller has taken this one (backpressure).
              return req.sink.output(frame.outputChunk?.data ?? new Uint8Array()).then(undefined, fail)
            }
            const outcome = this.onFrame(kind, frame)
            if (outcome !== undefined) {
              reader.release(consumer)
              resolve(outcome)
            }
          } catch (err) {
            fail(err)
          }
          return undefined
        },
        end: (error) => {
          if (this.forced !== undefined) resolve(this.forced)
          else
            reject(
              error ??
                new CrankError(ErrorCodes.connectionLost, `provider closed the stream before ${req.jobId} ended`, { retryable: true }),
            )
        },
      }
      reader.consume(consumer)
    })
  }

  private checkJob(kind: NonNullable<ServerFrame['frame']>, frame: ServerFrame): void {
    const body = frame[kind] as { jobId?: string | null } | null | undefined
    // A server error with an empty job id reports a stream-level fault (malformed frame).
    if (body?.jobId !== this.req.jobId && !(kind === 'error' && body?.jobId === '')) {
      throw new CrankError(ErrorCodes.protocolError, `frame for job ${body?.jobId} arrived during ${this.req.jobId}`)
    }
  }

  private onFrame(kind: NonNullable<ServerFrame['frame']>, frame: ServerFrame): JobOutcome | undefined {
    this.checkJob(kind, frame)
    return serverFrameOutcome(kind, frame, this.req.sink, this)
  }

  private async pump(input: AsyncIterable<Uint8Array>): Promise<void> {
    const { writer } = this.js
    const jobId = this.req.jobId
    const step = this.opts.inputChunkBytes
    try {
      for await (const chunk of input) {
        for (let off = 0; off < chunk.byteLength; off += step) {
          if (this.terminal !== undefined || this.req.signal.aborted) return
          await writer.write(encodeClientFrame({ inputChunk: { jobId, data: chunk.subarray(off, off + step) } }))
        }
        if (this.terminal !== undefined) return
      }
      if (this.terminal === undefined) await writer.write(encodeClientFrame({ inputEnd: { jobId } }))
    } catch (err) {
      if (this.terminal !== undefined || this.req.signal.aborted) return
      const info = toErrorInfo(err, 'input_error')
      if (info.code === ErrorCodes.connectionLost) return // the reader reports it
      this.inputFailure = new CrankError('input_error', `reading job input failed: ${info.message}`)
      await writer.write(encodeClientFrame({ cancel: { jobId, reason: 'input failed' } })).catch(() => {})
    }
  }

  protected sendCancel(frame: Uint8Array): void {
    void this.js.writer.write(frame).catch(() => {})
  }

  /** No answer in time: the stream, whose state is now unknown, is not reused. */
  protected giveUp(outcome: JobOutcome): void {
    if (this.terminal !== undefined || this.forced !== undefined) return
    this.forced = outcome
    this.opts.pool.discard(this.js, new Error(`job ${this.req.jobId} ${outcome.state}: no answer from provider`))
  }
}
