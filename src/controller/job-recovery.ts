/**
 * Recovery at start: the jobs this node submitted that had not ended when it last stopped
 * (killed, crashed, or stopped with durable jobs running). A durable job whose input was kept
 * runs again under its own id, its attempts counting on, first on the provider that last ran
 * it: that provider answers a repeat from its store if it had finished it, so no job runs twice
 * to completion for its caller. Every other one ends `failed` with code `interrupted` and a
 * message that says why; none is left hanging.
 */
import type { Logger } from 'pino'
import type { JobStore } from '../jobs/job-store.ts'
import { StoreErrorCodes } from '../jobs/store-errors.ts'
import type { Dispatcher } from './dispatcher.ts'

export interface RecoveryReport {
  resumed: string[]
  interrupted: string[]
}

export function recoverJobs(store: JobStore, dispatcher: Dispatcher, log: Logger): RecoveryReport {
  const report: RecoveryReport = { resumed: [], interrupted: [] }
  const interrupt = (id: string, message: string): void => {
    store.endUnrun(id, 'failed', { code: StoreErrorCodes.interrupted, message, retryable: false })
    report.interrupted.push(id)
  }
  for (const job of store.unfinished()) {
    if (!job.durable) {
      interrupt(
        job.id,
        'the node stopped before this job ended; it was not durable, so it is not run again (submit with durable: true to have it resumed)',
      )
      continue
    }
    const stored = job.replayable ? store.reopen(job.id) : undefined
    if (stored === undefined) {
      interrupt(
        job.id,
        job.inputKind === 'file'
          ? 'the node stopped before this job ended, and its kept input file is gone, so it cannot be run again'
          : 'the node stopped before this job ended, and its input was streamed once without being kept (larger than store.maxInputBytes, or not read to its end), so it cannot be run again',
      )
      continue
    }
    dispatcher.resume(stored, 'restart')
    report.resumed.push(job.id)
  }
  if (report.resumed.length + report.interrupted.length > 0) {
    log.info({ resumed: report.resumed.length, interrupted: report.interrupted.length }, 'recovered unfinished jobs from the job store')
  }
  return report
}
