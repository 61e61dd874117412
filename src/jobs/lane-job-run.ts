/**
 * One remote job on a shared lane (job-lane.ts): a Submit, then the frames the lane hands over
 * for its job id, until exactly one outcome. Cancellation and deadlines work as on a job stream of
 * its own, except that a provider that does not answer in time costs the job its slot's wait, not
 * the stream: the other jobs on the lane go on.
 */
import type { JobOutcome } from '../controller/executor.ts'
import { type CrankError, ErrorCodes, toErrorInfo } from '../errors.ts'
import type { JobLane, LaneJob, ServerFrameKind } from './job-lane.ts'
import type { ServerFrame } from './messages.ts'
import { type RemoteJobRequest, submitFrame } from './remote-job-request.ts'
import { RemoteJobRun } from './remote-job-run.ts'
import { serverFrameOutcome } from './server-frame-outcome.ts'

export class LaneJobRun extends RemoteJobRun implements LaneJob {
  private readonly lane: JobLane
  private resolve!: (outcome: JobOutcome) => void
  private settled = false

  constructor(lane: JobLane, req: RemoteJobRequest, cancelGraceMs: number) {
    super(req, cancelGraceMs)
    this.lane = lane
  }

  protected get peer(): string {
    return this.lane.peer
  }

  run(): Promise<JobOutcome> {
    const { req } = this
    return new Promise<JobOutcome>((resolve) => {
      this.resolve = resolve
      let submit: Uint8Array
      try {
        submit = submitFrame(req)
      } catch (err) {
        this.settle({ state: 'failed', error: toErrorInfo(err, ErrorCodes.invalidParams) })
        return
      }
      this.watch()
      this.lane.add(req.jobId, this)
      this.lane.send(submit)
    })
  }

  frame(kind: ServerFrameKind, frame: ServerFrame): void {
    if (this.settled) return
    if (kind === 'outputChunk') {
      // Collected output: the handle takes it at once (past its bound it aborts the job, which cancels it here).
      this.req.sink.output(frame.outputChunk?.data ?? new Uint8Array()).catch(() => {})
      return
    }
    let outcome: JobOutcome | undefined
    try {
      outcome = serverFrameOutcome(kind, frame, this.req.sink, this)
    } catch (err) {
      // A result that does not decode fails this job only: the lane's framing is intact.
      outcome = { state: 'failed', error: toErrorInfo(err, ErrorCodes.malformedFrame) }
    }
    if (outcome !== undefined) this.settle(outcome)
  }

  fail(err: CrankError): void {
    const error = toErrorInfo(err, ErrorCodes.connectionLost)
    if (error.code === ErrorCodes.connectionLost) error.retryable = true
    this.settle({ state: 'failed', error })
  }

  protected sendCancel(frame: Uint8Array): void {
    if (!this.settled) this.lane.send(frame)
  }

  /** No answer in time: the job ends here; its slot on the lane waits for the provider's late answer. */
  protected giveUp(outcome: JobOutcome): void {
    if (this.settled) return
    this.lane.giveUp(this.req.jobId)
    this.settle(outcome)
  }

  private settle(outcome: JobOutcome): void {
    if (this.settled) return
    this.settled = true
    this.unwatch()
    this.resolve(outcome)
  }
}
