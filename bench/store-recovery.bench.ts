/**
 * Recovery at scale, the scenarios of test/job-store-recovery.test.ts with more jobs
 * (BENCH_RECOVERY_JOBS, default 1,000): real nodes, real SQLite files, the killed node in a child
 * process, SIGKILL.
 *   (a) the submitting node is killed once a third of its durable jobs have completed on the
 *       provider; started again from its data dir, it resumes the rest. Reported: time until all
 *       were on disk (includes the child's start), time from the kill to every job ended (includes
 *       the restart), jobs resumed, jobs that did not succeed, jobs the provider ran twice.
 *   (b) the provider is killed with every job running on it; each is retried on a second provider.
 * Figures, not assertions: the test asserts the invariants at 100 jobs.
 */
import { loadavg } from 'node:os'
import { killProvider, killSubmitter, spreadMs } from '../test/helpers/recovery-scenario.ts'
import { envNumber } from './stats.ts'

const N = envNumber('BENCH_RECOVERY_JOBS', 1000, { integer: true })
const load = (): string => `[load ${loadavg()[0]?.toFixed(1)}]`

console.log(`store recovery: ${N} durable jobs, kill -9, real SQLite files; Node ${process.version} ${load()}`)
const a = await killSubmitter(spreadMs(N), Math.ceil(N / 3))
const twice = [...a.completions.values()].filter((n) => n > 1).length
console.log(
  `  (a) submitter killed: all ${N} on disk after ${Math.round(a.timings.storedMs)} ms; from the kill to all ended ${Math.round(a.timings.killToFinalMs)} ms; ` +
    `resumed ${a.final.filter((j) => j.attempts >= 2).length}; not succeeded ${a.final.filter((j) => j.state !== 'succeeded').length}; ` +
    `ran twice ${twice}; completions ${[...a.completions.values()].reduce((x, y) => x + y, 0)} ${load()}`,
)
const b = await killProvider(N)
console.log(
  `  (b) provider killed with ${N} running: all ended on the survivor ${Math.round(b.timings.killToAllEndedMs)} ms after the kill; ` +
    `not succeeded ${b.outcomes.filter((o) => o.state !== 'succeeded').length}; ran twice ${[...b.completions.values()].filter((n) => n > 1).length}; ` +
    `completed by the killed one ${b.killedCompletions} ${load()}`,
)
