import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI, cli, type NodeProcess, startNodeProcess, waitFor, watchOutput } from './helpers/cli-process.ts'

describe('mesh across 3 OS processes on TCP, driven by the CLI', function () {
  this.timeout(90_000)
  let dir: string
  const nodes: NodeProcess[] = []

  before(async function () {
    // Nine CLI processes and three nodes, each loading the whole stack: at load 26 on 2 cores
    // the CLI processes took 7-16 s each and the nodes 25-80 s to start (measured).
    this.timeout(240_000)
    dir = await mkdtemp(join(tmpdir(), 'crank-mesh-'))
    const names = ['a', 'b', 'c', 'client']
    // Each CLI process loads the whole stack (seconds of CPU): the independent ones run at once.
    const setup = await Promise.all([
      cli(['ca', 'init', '--ca-dir', join(dir, 'ca')]),
      ...names.map((name) => cli(['init', '--data-dir', join(dir, name), '--name', name])),
    ])
    for (const r of setup) assert.equal(r.code, 0, r.stderr)
    // One at a time: issuing updates the CA's records.
    for (const name of names) {
      const issued = await cli(['ca', 'issue', '--ca-dir', join(dir, 'ca'), '--data-dir', join(dir, name), '--name', name])
      assert.equal(issued.code, 0, issued.stderr)
    }
    // a holds the CA: it serves certificate.sign_csr for enrolment and pushes CRL updates.
    nodes.push(await startNodeProcess(join(dir, 'a'), ['--ca-dir', join(dir, 'ca')]))
    nodes.push(...(await Promise.all(['b', 'c'].map((name) => startNodeProcess(join(dir, name), ['--bootstrap', nodes[0]!.addr])))))
  })

  after(async () => {
    for (const n of nodes) n.proc.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })

  it('caps lists every provider in the mesh through one bootstrap peer', async () => {
    const r = await cli(['caps', '--data-dir', join(dir, 'client'), '--bootstrap', nodes[0]!.addr, '--json'])
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
      '--data-dir',
      join(dir, 'client'),
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
    const why = await cli(['explain', 'example.echo', '--data-dir', join(dir, 'client'), '--bootstrap', nodes[0]!.addr, '--json'])
    const explained = JSON.parse(why.stdout) as { candidates: Array<{ peer: string; eligible: boolean }> }
    assert.equal(explained.candidates.filter((c) => c.eligible).length, 3)
    const none = await cli(['explain', 'no.such', '--data-dir', join(dir, 'client'), '--bootstrap', nodes[0]!.addr])
    assert.match(none.stdout, /no provider of no\.such/)
  })

  it('a new node joins with a one-time token, serves jobs, and is cut off once revoked', async () => {
    const token = (await cli(['ca', 'token', '--ca-dir', join(dir, 'ca'), '--name', 'd'])).stdout.trim()
    assert.equal((await cli(['init', '--data-dir', join(dir, 'd'), '--name', 'd'])).code, 0)
    const joined = await cli(['join', '--data-dir', join(dir, 'd'), '--bootstrap', nodes[0]!.addr, '--token', token])
    assert.equal(joined.code, 0, joined.stderr)
    const serial = /holds certificate ([0-9a-f]+)/.exec(joined.stdout)?.[1]
    assert.ok(serial, joined.stdout)
    const reused = await cli(['join', '--data-dir', join(dir, 'd'), '--bootstrap', nodes[0]!.addr, '--token', token])
    assert.equal(reused.code, 1)
    assert.match(reused.stderr, /invalid_token|already used/)
    const d = await startNodeProcess(join(dir, 'd'), ['--bootstrap', nodes[0]!.addr])
    nodes.push(d)
    const ok = await cli([
      'submit',
      'example.echo',
      '--data-dir',
      join(dir, 'client'),
      '--peer',
      d.addr,
      '--params',
      '{"echo":"d"}',
      '--json',
    ])
    assert.equal(JSON.parse(ok.stdout).state, 'succeeded', ok.stderr)
    const revoked = await cli(['ca', 'revoke', '--ca-dir', join(dir, 'ca'), serial])
    assert.equal(revoked.code, 0, revoked.stderr)
    // a picks the CRL up and pushes it; a client that joins through a learns it and refuses d.
    await waitFor(
      () => nodes[0]!.logs.some((l) => l.msg === 'new CRL adopted and pushed to members'),
      (v) => v,
    )
    const refused = await cli([
      'submit',
      'example.echo',
      '--data-dir',
      join(dir, 'client'),
      '--bootstrap',
      nodes[0]!.addr,
      '--peer',
      d.addr,
      '--json',
    ])
    assert.equal(refused.code, 1)
    assert.equal(JSON.parse(refused.stdout).error.code, 'not_member')
  })

  it('a provider killed mid-job: the job finishes on another one', async () => {
    const proc = spawn(
      process.execPath,
      [
        CLI,
        'submit',
        'example.echo',
        '--data-dir',
        join(dir, 'client'),
        '--route',
        'any',
        '--bootstrap',
        nodes[0]!.addr,
        '--params',
        // Long enough that the job is still running when the test, told of its acceptance
        // through two pipes on a loaded host, kills the provider.
        '{"delayMs":4000}',
        '--input',
        CLI,
        '--json',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    const output = watchOutput(proc)
    const exited = new Promise<number | null>((resolve) => proc.once('close', resolve))
    const accepted = (await output.stderrMatch(/accepted by (\S+)/))[1]
    const victim = nodes.find((n) => n.peerId === accepted)
    assert.ok(victim, `job accepted by unknown peer ${accepted}: ${output.stderr}`)
    victim.proc.kill('SIGKILL')
    const code = await exited
    const err = output.stderr
    assert.equal(code, 0, err)
    const report = JSON.parse(output.stdout)
    assert.equal(report.state, 'succeeded')
    assert.ok(report.attempts >= 2, `attempts: ${report.attempts}`)
    assert.notEqual(report.route.peer, victim.peerId)
    assert.match(err, /retrying elsewhere/)
  })
})
