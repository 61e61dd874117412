import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { ControlServer } from '../src/control/control-server.ts'
import { type CrankNode, createNode } from '../src/node.ts'
import { slowCapability } from './helpers/capabilities.ts'
import { storeOf } from './helpers/node-store.ts'

const SUBMITTER = new URL('./helpers/keyed-submitter.ts', import.meta.url).pathname
const PER_PROCESS = 100

/** A submitter process: resolves `ready` once connected, and with its result lines when it exits. */
function submitter(dataDir: string, key: string) {
  const proc = spawn(process.execPath, [SUBMITTER, dataDir, key, String(PER_PROCESS)], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const lines: string[] = []
  let onReady = (): void => {}
  const ready = new Promise<void>((resolve) => (onReady = resolve))
  createInterface({ input: proc.stdout }).on('line', (line) => (line === 'ready' ? onReady() : lines.push(line)))
  const done = new Promise<{ jobId: string; state: string }[]>((resolve, reject) => {
    proc.once('exit', (code) =>
      code === 0
        ? resolve(lines.map((l) => JSON.parse(l) as { jobId: string; state: string }))
        : reject(new Error(`submitter exited ${code}: ${stderr}`)),
    )
  })
  return { proc, ready, done, go: () => proc.stdin.write('go\n') }
}

describe('job store: one idempotency key from two processes at once', function () {
  this.timeout(120_000)
  let dir: string
  let node: CrankNode
  let server: ControlServer

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crank-idem-'))
    node = await createNode({
      listen: [],
      logLevel: 'silent',
      dataDir: dir,
      trust: { openMesh: true },
      capabilities: [slowCapability('test.slow', { onStart: () => runs++ })],
    })
    await node.start()
    server = await ControlServer.listen({ node, dataDir: dir, log: node.log })
  })

  after(async () => {
    await server?.close()
    await node?.stop({ drainTimeoutMs: 0 })
    await rm(dir, { recursive: true, force: true })
  })

  let runs = 0

  it(`the same key, submitted ${PER_PROCESS} times concurrently from each of two processes, is one job that runs once`, async () => {
    const a = submitter(dir, 'nightly-report')
    const b = submitter(dir, 'nightly-report')
    await Promise.all([a.ready, b.ready])
    a.go()
    b.go()
    const results = [...(await a.done), ...(await b.done)]
    assert.equal(results.length, 2 * PER_PROCESS)
    const ids = new Set(results.map((r) => r.jobId))
    assert.equal(ids.size, 1, `one job for the key, got ${ids.size}`)
    assert.deepEqual(new Set(results.map((r) => r.state)), new Set(['succeeded']))
    assert.equal(runs, 1, 'the handler ran once')
    const stored = await storeOf(node).list({ limit: 1000 })
    assert.deepEqual(
      stored.map((j) => [j.id, j.state]),
      [[[...ids][0], 'succeeded']],
    )
  })
})
