/**
 * bootstrap/netns-mesh.sh, run for real: a mesh across Linux network namespaces, every
 * capability on a node in another network stack, the CA node stopped and brought back, and
 * everything it made removed. Needs root and `ip netns`; skipped, with the reason in the test
 * title, where a throwaway namespace cannot be made.
 *
 * It runs the script's full sequence with a smaller latency sample (1 round of 5 jobs per path
 * instead of 5 of 20): the figures in docs/operations.md come from the full run,
 * `bash bootstrap/netns-mesh.sh`. Measured niced on 2 cores at load 7-10: 45-56 s, most of it
 * node processes loading the stack; about 10 s more when the restarted CA node meets the
 * membership race described in docs/operations.md.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const REPO = join(import.meta.dirname, '..')
const SCRIPT = join(REPO, 'bootstrap', 'netns-mesh.sh')
/** Past this the script is stopped (its trap still tears everything down) and the run fails. */
const RUN_LIMIT_MS = 170_000
const LATENCY = { rounds: 1, jobs: 5 }

interface JobLine {
  capability: string
  node: string
  peer: string
  ok: boolean
  ms?: number[]
  check?: string
  error?: string
}
interface PathFigures {
  p50_ms: number
  p90_ms: number
  jobs: number
}
interface Summary {
  nodes: number
  namespace_prefix: string
  work_dir: string
  form_ms: number
  adverts_ms: number | null
  client_node: string
  jobs: JobLine[]
  latency: { added_rtt_ms: number; paths: { direct: PathFigures; proxy: PathFigures; proxy_delayed: PathFigures } } | null
  ca_restart: { job_while_down: string; rejoin_ms: number; enrol_after_restart: string }
  failures: number
}

/** Why namespaces can't be used here, or undefined when a throwaway one can be made and removed. */
function netnsUnavailable(): string | undefined {
  const name = `crank-probe-${process.pid}-${Date.now()}`
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' })
  if (add.error !== undefined) return `no \`ip\` command (${add.error.message})`
  if (add.status !== 0) return `\`ip netns add\` failed: ${add.stderr.trim()}`
  const del = spawnSync('ip', ['netns', 'del', name], { encoding: 'utf8' })
  if (del.status !== 0) return `\`ip netns del\` failed: ${del.stderr.trim()}`
  return undefined
}

/** Built-in capability ids, from the capabilities/ folder: a new one the script skips fails here. */
function capabilityIds(): string[] {
  const dir = join(REPO, 'capabilities')
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name.includes('.') && existsSync(join(dir, e.name, 'index.ts')))
    .map((e) => e.name)
    .sort()
}

/** Processes whose command line names the script's work dir: its nodes, helpers and CLI calls. */
function processesUsing(dir: string): string[] {
  const found: string[] = []
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
      if (cmd.includes(dir)) found.push(`${pid}: ${cmd}`)
    } catch {
      // gone meanwhile
    }
  }
  return found
}

describe('a mesh across Linux network namespaces (bootstrap/netns-mesh.sh)', function () {
  this.timeout(RUN_LIMIT_MS + 30_000)
  let unavailable: string | undefined
  let run: { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } | undefined
  let summary: Summary
  let script: ChildProcess | undefined

  before(async () => {
    unavailable = netnsUnavailable()
    if (unavailable !== undefined) return
    // Its own process group: at the limit the whole group gets SIGTERM (nodes drain, the script's
    // trap removes namespaces and files), as Ctrl-C would.
    const child = spawn('bash', [SCRIPT], {
      cwd: REPO,
      detached: true,
      env: { ...process.env, LATENCY_ROUNDS: String(LATENCY.rounds), LATENCY_JOBS: String(LATENCY.jobs), WAIT_S: '60' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    script = child
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d
    })
    const limit = setTimeout(() => process.kill(-child.pid!, 'SIGTERM'), RUN_LIMIT_MS)
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('close', (c, s) => resolve([c, s])),
    )
    clearTimeout(limit)
    script = undefined
    run = { code, signal, stdout, stderr }
    const last = stdout.trim().split('\n').at(-1) ?? ''
    assert.ok(last.startsWith('{'), `no summary from the script (exit ${code ?? signal}); its log:\n${stderr}`)
    summary = JSON.parse(last) as Summary
  })

  after(() => {
    // Only if the hook itself was cut short (mocha's timeout): the script's trap cleans up.
    if (script?.pid !== undefined && script.exitCode === null) process.kill(-script.pid, 'SIGTERM')
  })

  beforeEach(function () {
    if (unavailable === undefined) return
    this.currentTest!.title += ` (skipped: ${unavailable})`
    this.skip()
  })

  it('exits 0 with no failed step', () => {
    assert.equal(run!.code, 0, `exit ${run!.code ?? run!.signal}; its log:\n${run!.stderr}`)
    assert.equal(summary.failures, 0)
  })

  it('forms the mesh: every node verified every other, and a client holds every advert', () => {
    assert.equal(typeof summary.form_ms, 'number')
    assert.notEqual(summary.adverts_ms, null, 'the client never held every node’s advert')
  })

  it('runs every built-in capability, and certificate.sign_csr, on a node in another namespace', () => {
    assert.deepEqual(summary.jobs.map((j) => j.capability).sort(), capabilityIds())
    for (const job of summary.jobs) {
      assert.equal(job.ok, true, `${job.capability} on ${job.node}: ${job.error}`)
      assert.notEqual(job.node, summary.client_node, `${job.capability} ran in the client's own namespace`)
      assert.match(job.peer, /^12D3KooW/)
      assert.ok(job.check !== undefined && (job.ms?.length ?? 0) > 0, `${job.capability}: nothing checked`)
    }
  })

  it('times jobs over each path, and the delaying proxy really delays', () => {
    const latency = summary.latency
    assert.ok(latency !== null, 'no latency figures')
    for (const path of Object.values(latency.paths)) assert.equal(path.jobs, LATENCY.rounds * LATENCY.jobs)
    // A lower bound the proxy guarantees, not a speed: every job's request and reply each wait
    // half the added RTT in it (less a millisecond of timer rounding each way).
    assert.ok(latency.paths.proxy_delayed.p50_ms >= latency.added_rtt_ms - 2, JSON.stringify(latency.paths))
  })

  it('keeps serving while the CA node is down, and recovers when it restarts', () => {
    assert.equal(summary.ca_restart.job_while_down, 'succeeded')
    assert.equal(typeof summary.ca_restart.rejoin_ms, 'number')
    assert.equal(summary.ca_restart.enrol_after_restart, 'succeeded', 'a node could not enrol through the restarted CA node')
  })

  it('leaves no namespace, process or file behind', () => {
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout
    assert.ok(!left.includes(summary.namespace_prefix), `namespaces left: ${left}`)
    assert.equal(existsSync(summary.work_dir), false, `${summary.work_dir} is still there`)
    assert.deepEqual(processesUsing(summary.work_dir), [])
  })
})
