/**
 * Server side of /crank/job-lane/1.0.0: several jobs without input in flight on one stream, told
 * apart by job id. A job starts and ends as on a job stream of its own (job-server.ts runs it);
 * what differs is the bookkeeping per stream and the rules a lane adds: at most LANE_MAX_JOBS in
 * flight, no job id twice at once, no input. Breaking a rule is a protocol error that ends the
 * lane (its jobs are aborted), never the node.
 */
import type { Stream } from '@libp2p/interface'
import type { Logger } from 'pino'
import { CrankError, ErrorCodes, toErrorInfo } from '../errors.ts'
import { type FrameReader, FrameWriter } from '../net/frame-stream.ts'
import { JobSlots } from './job-slots.ts'
import { LANE_MAX_JOBS } from './limits.ts'
import { type ClientFrame, decodeClientFrame, encodeServerFrame } from './messages.ts'
import { type JobCarrier, PEER_FAULTS, type ServedJob } from './served-job.ts'

/** Starts a job as job-server.ts does; the carrier is told when it leaves the lane, and says how to write its end. */
export type LaneJobStarter = (frame: ClientFrame, carrier: JobCarrier) => ServedJob | undefined

export interface LaneContext {
  stream: Stream
  reader: FrameReader
  log: Logger
  start: LaneJobStarter
}

export async function serveLane({ stream, reader, log, start }: LaneContext): Promise<void> {
  const writer = new FrameWriter(stream)
  const jobs = new JobSlots<ServedJob>()
  const carrier: JobCarrier = {
    writer,
    log,
    done: (job) => jobs.delete(job.jobId),
    // With other jobs in flight, an ending job's frame waits for the turn's batch: one send for all.
    batched: () => jobs.size > 1,
  }

  const onFrame = (bytes: Uint8Array): void => {
    const { kind, frame } = decodeClientFrame(bytes)
    switch (kind) {
      case 'submit': {
        const jobId = frame.submit?.jobId ?? ''
        if (jobs.has(jobId)) throw new CrankError(ErrorCodes.protocolError, `Submit for ${jobId}, which is already in flight on this lane`)
        if (jobs.size >= LANE_MAX_JOBS)
          throw new CrankError(ErrorCodes.protocolError, `more than ${LANE_MAX_JOBS} jobs in flight on one lane`)
        if (frame.submit?.hasInput === true) throw new CrankError(ErrorCodes.protocolError, 'a lane carries no job input')
        const job = start(frame, carrier)
        if (job !== undefined) jobs.set(jobId, job)
        return
      }
      case 'inputChunk':
      case 'inputEnd':
        throw new CrankError(ErrorCodes.protocolError, 'a lane carries no job input')
      case 'cancel': {
        // A Cancel may cross the job's terminal frame on the wire: one for a job no longer here is dropped.
        const job = jobs.get(frame.cancel?.jobId ?? '')
        job?.abort.abort(new CrankError(ErrorCodes.cancelled, frame.cancel?.reason || 'job cancelled by caller'))
        return
      }
    }
  }

  try {
    await reader.readAll(onFrame)
    // The caller closed its side: its jobs in flight still owe it their terminal frames.
    const running = jobs.values()
    if (stream.writeStatus === 'writable') await Promise.all(running.map((j) => j.ended))
    else for (const j of running) j.abort.abort(new CrankError(ErrorCodes.connectionLost, 'caller closed the lane', { retryable: true }))
    await stream.close().catch(() => {})
  } catch (err) {
    const error = toErrorInfo(err, ErrorCodes.internal)
    log[PEER_FAULTS.has(error.code) ? 'debug' : 'warn']({ code: error.code, err: error.message }, 'job lane failed')
    const abort = new CrankError(error.code, error.message, { retryable: error.retryable })
    for (const j of jobs.values()) j.abort.abort(abort)
    if (error.code !== ErrorCodes.connectionLost) {
      // An empty job id names the lane itself: every job on it has failed with this error.
      await Promise.race([
        writer.write(
          encodeServerFrame({ error: { jobId: '', state: 'failed', code: error.code, message: error.message, retryable: false } }),
        ),
        new Promise((resolve) => setTimeout(resolve, 100)),
      ]).catch(() => {})
    }
    stream.abort(err instanceof Error ? err : new Error(String(err)))
  }
}
