/**
 * `crank-node status` and `peers` say whether a running node is in its mesh: two real
 * `crank-node start` processes on loopback TCP; the first is isolated until the second joins,
 * and again once the second is killed.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeNodeStatus, readNodeStatus } from '../src/cli/node-status.ts'
import { cli, type NodeProcess, startNodeProcess } from './helpers/cli-process.ts'

/** Polls an async condition (the status file is rewritten by another process) until it holds. */
async function eventually(what: string, ok: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('crank-node status: isolation of a running node', function () {
  this.timeout(150_000)
  let dir: string
  const procs: NodeProcess[] = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crank-status-'))
    assert.equal((await cli(['ca', 'init', '--ca-dir', join(dir, 'ca')])).code, 0)
    for (const d of ['a', 'b']) {
      assert.equal((await cli(['init', '--data-dir', join(dir, d), '--name', `node-${d}`])).code, 0)
      const issued = await cli(['ca', 'issue', '--ca-dir', join(dir, 'ca'), '--data-dir', join(dir, d)])
      assert.equal(issued.code, 0, issued.stderr)
    }
  })

  after(async () => {
    for (const p of procs) p.proc.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })

  const state = async (d: string): Promise<string | undefined> => (await readNodeStatus(join(dir, d)))?.connectivity.state
  const logged = (p: NodeProcess, msg: string): boolean => p.logs.some((l) => l.msg === msg)

  it('reports isolated, then joined when a member arrives, then isolated again when it dies', async () => {
    const status0 = await cli(['status', '--data-dir', join(dir, 'a')])
    assert.equal(status0.code, 1)
    assert.match(status0.stderr, /not_started: no node status/)

    const a = await startNodeProcess(join(dir, 'a'))
    procs.push(a)
    await eventually('a status file', async () => (await state('a')) !== undefined)
    assert.match(describeNodeStatus((await readNodeStatus(join(dir, 'a')))!).join('\n'), /node node-a .*running, ISOLATED/)

    const b = await startNodeProcess(join(dir, 'b'), ['--bootstrap', a.addr])
    procs.push(b)
    await eventually('a to log that it joined', () => logged(a, 'joined the mesh'))
    await eventually('a status with one member', async () => (await readNodeStatus(join(dir, 'a')))?.connectivity.members === 1)
    const joined = await cli(['status', '--data-dir', join(dir, 'a')])
    assert.equal(joined.code, 0, joined.stdout)
    assert.match(joined.stdout, /running, joined for .*: 1 member\(s\) connected/)
    // Its membership certificate (`ca issue`: 365 days, no name) and when the node renews it (at two thirds).
    assert.match(joined.stdout, /\n {2}certificate [0-9a-f]+: expires in 36\d\.\d d \(\S+\); renews in 24\d\.\d d/)

    const peers = await cli(['peers', '--data-dir', join(dir, 'b'), '--json'])
    assert.equal(peers.code, 0, peers.stderr)
    const seen = JSON.parse(peers.stdout) as { node?: { connectivity: { state: string } }; connected: Array<{ peer: string }> }
    assert.equal(seen.node?.connectivity.state, 'joined')
    assert.ok(seen.connected.some((p) => p.peer === a.peerId))

    b.proc.kill('SIGKILL')
    await eventually('a to log that it is isolated', () =>
      logged(a, 'isolated from the mesh: no member connected; redialling bootstrap peers and known members'),
    )
    await eventually('an isolated status', async () => (await state('a')) === 'isolated')
    const status = (await readNodeStatus(join(dir, 'a')))!
    assert.match(describeNodeStatus(status).join('\n'), /redialling 1 bootstrap peer\(s\) and known member\(s\) not connected/)
  })
})
