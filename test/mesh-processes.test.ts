import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI, cli, type NodeProcess, startNodeProcess, waitFor } from './helpers/cli-process.ts'

describe('mesh across 3 OS processes on TCP, driven by the CLI', function () {
  this.timeout(90_000)
  let dir: string
  const nodes: NodeProcess[] = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crank-mesh-'))
    // Heartbeats of 1 s keep the test short; "start" reads them from CRANK_* via the config file.
    for (const name of ['a', 'b', 'c']) {
      const r = await cli(['init', '--data-dir', join(dir, name), '--name', name])
      assert.equal(r.code, 0, r.stderr)
    }
    nodes.push(await startNodeProcess(join(dir, 'a')))
    for (const name of ['b', 'c']) nodes.push(await startNodeProcess(join(dir, name), ['--bootstrap', nodes[0]!.addr]))
  })

  after(async () => {
    for (const n of nodes) n.proc.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })

  it('caps lists every provider in the mesh through one bootstrap peer', async () => {
    const r = await cli(['caps', '--bootstrap', nodes[0]!.addr, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const caps = JSON.parse(r.stdout).capabilities as Array<{ capability: string; peer: string; name: string }>
    const echoProviders = caps
      .filter((c) => c.capability === 'example.echo')
      .map((c) => c.peer)
      .sort()
    assert.deepEqual(echoProviders, nodes.map((n) => n.peerId).sort())
  })

  it('submit --route any runs on a mesh provider; explain names every candidate', async () => {
    const r = await cli([
      'submit',
      'example.echo',
      '--route',
      'any',
      '--bootstrap',
      nodes[0]!.addr,
      '--params',
      '{"echo":"mesh"}',
      '--json',
    ])
    assert.equal(r.code, 0, r.stderr)
    const report = JSON.parse(r.stdout)
    assert.equal(report.route.reason, 'no-local-satisfier')
    assert.ok(nodes.some((n) => n.peerId === report.route.peer))
    const why = await cli(['explain', 'example.echo', '--bootstrap', nodes[0]!.addr, '--json'])
    const explained = JSON.parse(why.stdout) as { candidates: Array<{ peer: string; eligible: boolean }> }
    assert.equal(explained.candidates.filter((c) => c.eligible).length, 3)
    const none = await cli(['explain', 'no.such', '--bootstrap', nodes[0]!.addr])
    assert.match(none.stdout, /no provider of no\.such/)
  })

  it('a provider killed mid-job: the job finishes on another one', async () => {
    const proc = spawn(
      process.execPath,
      [
        CLI,
        'submit',
        'example.echo',
        '--route',
        'any',
        '--bootstrap',
        nodes[0]!.addr,
        '--params',
        '{"delayMs":1500}',
        '--input',
        CLI,
        '--json',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let out = ''
    let err = ''
    proc.stdout.on('data', (d) => {
      out += d
    })
    proc.stderr.on('data', (d) => {
      err += d
    })
    const accepted = await waitFor(
      () => /accepted by (\S+)/.exec(err)?.[1],
      (v) => v !== undefined,
      20_000,
    )
    const victim = nodes.find((n) => n.peerId === accepted)
    assert.ok(victim, `job accepted by unknown peer ${accepted}: ${err}`)
    victim.proc.kill('SIGKILL')
    const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve))
    assert.equal(code, 0, err)
    const report = JSON.parse(out)
    assert.equal(report.state, 'succeeded')
    assert.equal(report.attempts, 2)
    assert.notEqual(report.route.peer, victim.peerId)
    assert.match(err, /retrying elsewhere/)
  })
})
