/**
 * What a caller's remote job does while it waits for its provider, whichever way it travels (a
 * stream of its own, job-client.ts; a lane, lane-job-run.ts): the caller's cancel becomes a Cancel
 * frame, and the job ends here when the provider does not confirm it within the grace, or lets a
 * deadline pass without an answer; the version that ran is reported once. A subclass says how a
 * frame goes out and how the job ends here. A base class rather than a helper object: these run
 * once per remote job, and an object more per job is what the job path has been shedding.
 */
import { abortOutcome, cancelledError, deadlineError, type JobOutcome } from '../controller/executor.ts'
import { CrankError } from '../errors.ts'
import { type DeadlineTimer, setDeadlineTimer } from './deadline-timer.ts'
import { listen, whenAborted } from './job-controller.ts'
import { encodeClientFrame } from './messages.ts'
import type { RemoteJobRequest } from './remote-job-request.ts'
import type { VersionListener } from './server-frame-outcome.ts'

export abstract class RemoteJobRun implements VersionListener {
  protected readonly req: RemoteJobRequest
  private readonly cancelGraceMs: number
  private accepted = false
  /** Only a job with a deadline, or one being cancelled, ever gets a timer. */
  private timers: DeadlineTimer[] | undefined
  private stopListening: (() => void) | undefined

  constructor(req: RemoteJobRequest, cancelGraceMs: number) {
    this.req = req
    this.cancelGraceMs = cancelGraceMs
  }

  /** The provider's peer id, as `onAccepted` reports it. */
  protected abstract get peer(): string
  /** Sends a Cancel frame for this job. */
  protected abstract sendCancel(frame: Uint8Array): void
  /** The provider did not answer in time: the job ends here with `outcome`. */
  protected abstract giveUp(outcome: JobOutcome): void

  /** A fast job's terminal frame stands in for the Accepted it never got (empty version: it was never admitted). */
  accept(version: string | null | undefined): void {
    if (this.accepted || version === undefined || version === null || version === '') return
    this.accepted = true
    this.req.onAccepted?.(version, this.peer)
  }

  /** From the job's Submit on: listens for the caller's cancel, and arms the deadline's backstop. */
  protected watch(): void {
    const { req } = this
    this.stopListening = req.control === undefined ? listen(req.signal, () => this.cancel()) : whenAborted(req.control, () => this.cancel())
    if (req.deadline !== undefined) {
      // The provider enforces the deadline; this only covers one that never answers.
      this.addTimer(() => this.giveUp(abortOutcome(deadlineError())), Math.max(0, req.deadline - Date.now()) + this.cancelGraceMs)
    }
  }

  /** Once the job has its outcome. */
  protected unwatch(): void {
    this.stopListening?.()
    if (this.timers !== undefined) for (const t of this.timers) t.clear()
  }

  private cancel(): void {
    const reason = this.req.signal.reason instanceof CrankError ? this.req.signal.reason : cancelledError()
    this.sendCancel(encodeClientFrame({ cancel: { jobId: this.req.jobId, reason: reason.message } }))
    this.addTimer(() => this.giveUp(abortOutcome(reason)), this.cancelGraceMs)
  }

  private addTimer(fn: () => void, ms: number): void {
    this.timers ??= []
    this.timers.push(setDeadlineTimer(fn, ms))
  }
}
