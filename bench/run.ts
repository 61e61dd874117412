/**
 * `npm run bench`: runs every bench/*.bench.ts in its own process, one after another.
 * Pick some with BENCH_ONLY=jobs,email or with arguments (`npm run bench -- jobs`): a bench runs
 * when its file name contains one of the names. BENCH_ROUNDS and the per-bench BENCH_* settings
 * pass through to each bench.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { CrankError, ErrorCodes } from '../src/index.ts'

const dir = fileURLToPath(new URL('.', import.meta.url))
const only = [...process.argv.slice(2), ...(process.env.BENCH_ONLY ?? '').split(',')].map((s) => s.trim()).filter((s) => s !== '')
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort()
const files = all.filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
if (files.length === 0) {
  throw new CrankError(
    ErrorCodes.invalidConfig,
    `no bench matches ${only.join(', ')}; there are ${all.map((f) => f.replace('.bench.ts', '')).join(', ')}`,
  )
}
const load = (): string =>
  `load ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`
const failed: string[] = []
const started = performance.now()
for (const f of files) {
  console.log(`\n=== ${f} (${load()})`)
  const t = performance.now()
  const r = spawnSync(process.execPath, [`${dir}${f}`], { stdio: 'inherit' })
  if (r.status !== 0) failed.push(f)
  console.log(
    `=== ${f}: ${r.status === 0 ? 'done' : `FAILED (exit ${r.status ?? r.signal})`} in ${((performance.now() - t) / 1000).toFixed(0)} s (${load()})`,
  )
}
console.log(
  `\n${files.length - failed.length} of ${files.length} benches done in ${((performance.now() - started) / 1000).toFixed(0)} s${failed.length > 0 ? `; failed: ${failed.join(', ')}` : ''}`,
)
process.exit(failed.length === 0 ? 0 : 1)
