/**
 * One remote job on a shared lane (job-lane.ts): a Submit, then the frames the lane hands over
 * for its job id, until exactly one outcome. Cancellation and deadlines work as on a job stream of
 * its own, except that a provider that does not answer in time costs the job its slot's wait, not
 * the stream: the other jobs on the lane go on.
 */
import { abortOutcome, cancelledError, deadlineError, type JobOutcome } from '../controller/executor.ts'
import { CrankError, ErrorCodes, toErrorInfo } from '../errors.ts'
import { type DeadlineTimer, setDeadlineTimer } from './deadline-timer.ts'
import { listen, whenAborted } from './job-controller.ts'
import type { JobLane, LaneJob, ServerFrameKind } from './job-lane.ts'
import { encodeClientFrame, type ServerFrame } from './messages.ts'
import { type RemoteJobRequest, submitFrame } from './remote-job-request.ts'
import { serverFrameOutcome, type VersionListener } from './server-frame-outcome.ts'

export class LaneJobRun implements LaneJob, VersionListener {
  private readonly lane: JobLane
  private readonly req: RemoteJobRequest
  private readonly cancelGraceMs: number
  private resolve!: (outcome: JobOutcome) => void
  private settled = false
  private accepted = false
  private stopListening: (() => void) | undefined
  /** Only a job with a deadline, or one being cancelled, ever gets a timer. */
  private timers: DeadlineTimer[] | undefined

  constructor(lane: JobLane, req: RemoteJobRequest, cancelGraceMs: number) {
    this.lane = lane
    this.req = req
    this.cancelGraceMs = cancelGraceMs
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
      this.stopListening =
        req.control === undefined ? listen(req.signal, () => this.cancel()) : whenAborted(req.control, () => this.cancel())
      if (req.deadline !== undefined) {
        // The provider enforces the deadline; this only covers one that never answers.
        this.addTimer(() => this.giveUp(abortOutcome(deadlineError())), Math.max(0, req.deadline - Date.now()) + this.cancelGraceMs)
      }
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

  /** A fast job's terminal frame stands in for the Accepted it never got (empty version: it was never admitted). */
  accept(version: string | null | undefined): void {
    if (this.accepted || version === undefined || version === null || version === '') return
    this.accepted = true
    this.req.onAccepted?.(version, this.lane.peer)
  }

  private cancel(): void {
    if (this.settled) return
    const reason = this.req.signal.reason instanceof CrankError ? this.req.signal.reason : cancelledError()
    this.lane.send(encodeClientFrame({ cancel: { jobId: this.req.jobId, reason: reason.message } }))
    this.addTimer(() => this.giveUp(abortOutcome(reason)), this.cancelGraceMs)
  }

  /** No answer in time: the job ends here; its slot on the lane waits for the provider's late answer. */
  private giveUp(outcome: JobOutcome): void {
    if (this.settled) return
    this.lane.giveUp(this.req.jobId)
    this.settle(outcome)
  }

  private addTimer(fn: () => void, ms: number): void {
    this.timers ??= []
    this.timers.push(setDeadlineTimer(fn, ms))
  }

  private settle(outcome: JobOutcome): void {
    if (this.settled) return
    this.settled = true
    this.stopListening?.()
    if (this.timers !== undefined) for (const t of this.timers) t.clear()
    this.resolve(outcome)
  }
}
