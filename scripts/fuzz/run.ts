/**
 * npm run fuzz -- --cases N [--seed S] [--concurrency C] [--echo-every E]
 * Prints cases run, crashes, answers by kind, and the target's RSS; exits 1 on
 * any crash or failed echo.
 */
import { parseArgs } from 'node:util'
import { type FuzzReport, runFuzz } from './fuzz.ts'

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '8' },
    'echo-every': { type: 'string', default: '250' },
  },
})
const cases = Number(values.cases)
const seed = Number(values.seed)
const concurrency = Number(values.concurrency)
const echoEvery = Number(values['echo-every'])
if (![cases, seed, concurrency, echoEvery].every((n) => Number.isInteger(n) && n > 0)) {
  console.error('usage: npm run fuzz -- --cases N [--seed S] [--concurrency C] [--echo-every E] (positive integers)')
  process.exit(2)
}

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`
const progress = (r: FuzzReport): void => {
  console.error(`… ${r.cases} cases, ${r.crashes} crashes, ${r.echoFailures.length} echo failures, peak RSS ${mib(r.rss.peakBytes)}`)
}
// SIGINT/SIGTERM end the run early and still print its figures.
const stop = new AbortController()
process.once('SIGINT', () => stop.abort())
process.once('SIGTERM', () => stop.abort())
const report = await runFuzz({ cases, seed, concurrency, echoEvery, onProgress: progress, signal: stop.signal })
console.log(`cases run:      ${report.cases} (seed ${seed}, ${report.seconds.toFixed(0)} s)`)
console.log(`crashes:        ${report.crashes}`)
for (const c of report.crashCases) console.log(`  before crash: ${c}`)
console.log(`echo checks:    ${report.echoChecks}, failed ${report.echoFailures.length}`)
for (const f of report.echoFailures.slice(0, 10)) console.log(`  ${f}`)
console.log(`members re-enrolled after a hang-up: ${report.reenrolled}`)
console.log(`target RSS:     start ${mib(report.rss.startBytes)}, peak ${mib(report.rss.peakBytes)}, end ${mib(report.rss.endBytes)}`)
console.log(`frame bytes held by the target at the end: ${report.endFrameBytes}`)
console.log('answers by kind:')
for (const [k, n] of Object.entries(report.answers).sort((a, b) => a[0].localeCompare(b[0])))
  console.log(`  ${String(n).padStart(7)}  ${k}`)
process.exit(report.crashes === 0 && report.echoFailures.length === 0 ? 0 : 1)
