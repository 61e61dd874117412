/**
 * The caller's end of one /crank/job-lane/1.0.0 stream: several jobs in flight at once, each
 * frame handed to its job by job id. A job keeps its slot until its terminal frame arrives, even
 * one the caller gave up on, so the caller never has more jobs on the lane than the provider
 * counts (LANE_MAX_JOBS).
 */
import type { Stream } from '@libp2p/interface'
import { CrankError, ErrorCodes } from '../errors.ts'
import { type FrameConsumer, FrameReader, FrameWriter, SENT } from '../net/frame-stream.ts'
import { JobSlots } from './job-slots.ts'
import { LANE_MAX_JOBS } from './limits.ts'
import { decodeServerFrame, type ServerFrame } from './messages.ts'

export type ServerFrameKind = NonNullable<ServerFrame['frame']>

/** One job on a lane, as the lane sees it. */
export interface LaneJob {
  /** A frame naming this job, in order; after a terminal frame no more come. */
  frame(kind: ServerFrameKind, frame: ServerFrame): void
  /** The lane failed or ended before this job's terminal frame. */
  fail(err: CrankError): void
}

/** A slot whose job the caller has given up on: the provider still owes it a terminal frame. */
const GIVEN_UP: LaneJob = { frame: () => {}, fail: () => {} }

export class JobLane {
  readonly stream: Stream
  readonly peer: string
  private readonly writer: FrameWriter
  private readonly reader: FrameReader
  private readonly jobs = new JobSlots<LaneJob>()
  private failure: CrankError | undefined
  /** The last write promise given a failure handler: a batch's frames share one. */
  private watched: Promise<void> = SENT

  constructor(stream: Stream, peer: string, maxFrameBytes: number, onEnd: (lane: JobLane) => void) {
    this.stream = stream
    this.peer = peer
    this.writer = new FrameWriter(stream)
    this.reader = new FrameReader(stream, { maxFrameBytes, highWaterMark: maxFrameBytes * 2 })
    // The provider closed its side (it is stopping): close ours, so it need not wait for us.
    stream.addEventListener('remoteCloseWrite', () => void stream.close().catch(() => {}), { once: true })
    const consumer: FrameConsumer = {
      frame: (bytes) => {
        try {
          this.onFrame(bytes)
        } catch (err) {
          this.reader.release(consumer)
          this.fail(err instanceof CrankError ? err : new CrankError(ErrorCodes.protocolError, String(err)))
        }
        return undefined
      },
      end: (error) => {
        this.fail(error ?? new CrankError(ErrorCodes.connectionLost, `provider closed the job lane to ${peer}`, { retryable: true }))
        onEnd(this)
      },
    }
    this.reader.consume(consumer)
  }

  /** Whether another job may start here now. */
  get hasRoom(): boolean {
    return this.failure === undefined && this.jobs.size < LANE_MAX_JOBS && this.stream.writeStatus === 'writable'
  }

  holds(jobId: string): boolean {
    return this.jobs.has(jobId)
  }

  get size(): number {
    return this.jobs.size
  }

  /** Registers a job before its Submit is sent: its frames may come back in the same turn. */
  add(jobId: string, job: LaneJob): void {
    this.jobs.set(jobId, job)
  }

  /** The caller stopped waiting for this job; its slot stays taken until the provider ends it. */
  giveUp(jobId: string): void {
    if (this.jobs.has(jobId)) this.jobs.set(jobId, GIVEN_UP)
  }

  /**
   * Sends a frame: at once when it is the lane's only job (no added latency one at a time), else
   * with the turn's batch (see FrameWriter.writeSoon). A failed write fails the lane.
   */
  send(frame: Uint8Array): void {
    const written = this.jobs.size > 1 ? this.writer.writeSoon(frame) : this.writer.write(frame)
    if (written === SENT || written === this.watched) return
    this.watched = written
    written.catch((err: unknown) => {
      const error =
        err instanceof CrankError ? err : new CrankError(ErrorCodes.connectionLost, `job lane write failed: ${(err as Error).message}`)
      this.fail(error)
      this.stream.abort(error)
    })
  }

  /** Ends the lane (node stopping, or a fault): every job on it fails with `err`. */
  fail(err: CrankError): void {
    if (this.failure === undefined) this.failure = err
    const jobs = this.jobs.values()
    this.jobs.clear()
    for (const job of jobs) job.fail(err)
  }

  private onFrame(bytes: Uint8Array): void {
    const { kind, frame } = decodeServerFrame(bytes)
    const body = frame[kind] as { jobId?: string | null } | null | undefined
    const jobId = body?.jobId ?? ''
    if (jobId === '') {
      // An error with no job names the lane itself: the provider ends it.
      const e = frame.error
      if (kind === 'error')
        throw new CrankError(e?.code || ErrorCodes.protocolError, e?.message ?? '', { retryable: e?.retryable ?? false })
      throw new CrankError(ErrorCodes.protocolError, `a ${kind} frame without a job id on a lane`)
    }
    const job = this.jobs.get(jobId)
    // A job we never sent, or one already ended: a late frame, dropped (job ids are the caller's own).
    if (job === undefined) return
    if (kind === 'result' || kind === 'error' || kind === 'rejected') this.jobs.delete(jobId)
    job.frame(kind, frame)
  }
}
