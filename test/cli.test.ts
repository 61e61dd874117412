import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI, cli, type NodeProcess, startNodeProcess as startNode, waitFor } from './helpers/cli-process.ts'
import { patternBytes } from './helpers/nodes.ts'

describe('crank-node CLI across two OS processes', function () {
  this.timeout(60_000)
  let dir: string
  let server: NodeProcess

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crank-cli-'))
    const init = await cli(['init', '--data-dir', join(dir, 'a'), '--name', 'node-a'])
    assert.equal(init.code, 0, init.stderr)
    assert.match(init.stdout, /peer id: 12D3KooW/)
    // A real trust root: the node and the CLI's own data dir are both enrolled members.
    assert.equal((await cli(['ca', 'init', '--ca-dir', join(dir, 'ca')])).code, 0)
    assert.equal((await cli(['init', '--data-dir', join(dir, 'client'), '--name', 'operator'])).code, 0)
    for (const d of ['a', 'client']) {
      const issued = await cli(['ca', 'issue', '--ca-dir', join(dir, 'ca'), '--data-dir', join(dir, d)])
      assert.equal(issued.code, 0, issued.stderr)
    }
    server = await startNode(join(dir, 'a'))
  })

  after(async () => {
    server?.proc.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })

  it('init refuses to overwrite a config without --force and keeps the identity with it', async () => {
    const again = await cli(['init', '--data-dir', join(dir, 'a')])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /^crank-node: invalid_config: .*already exists/)
    const forced = await cli(['init', '--data-dir', join(dir, 'a'), '--force'])
    assert.match(forced.stdout, /existing identity kept/)
  })

  it('echoes 1 MiB from a file through the other process byte for byte', async () => {
    const data = patternBytes(1024 * 1024)
    await writeFile(join(dir, 'in.bin'), data)
    const r = await cli([
      'submit',
      'example.echo',
      '--data-dir',
      join(dir, 'client'),
      '--peer',
      server.addr,
      '--params',
      '{"echo":"cli"}',
      '--input',
      join(dir, 'in.bin'),
      '--output',
      join(dir, 'out.bin'),
      '--json',
    ])
    assert.equal(r.code, 0, r.stderr)
    const report = JSON.parse(r.stdout)
    assert.equal(report.state, 'succeeded')
    assert.deepEqual(report.value, { echo: 'cli', bytes: data.byteLength, chunks: 16 })
    assert.ok((await readFile(join(dir, 'out.bin'))).equals(Buffer.from(data)))
  })

  it('an unknown capability exits 1 with unknown_capability', async () => {
    const r = await cli(['submit', 'no.such', '--data-dir', join(dir, 'client'), '--peer', server.addr])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /job failed: unknown_capability: no provider of no\.such/)
  })

  it('bad params exit 1 with invalid_params naming the field', async () => {
    const r = await cli(['submit', 'example.echo', '--data-dir', join(dir, 'client'), '--peer', server.addr, '--params', '{"delayMs":-1}'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /invalid_params: params\/delayMs must be >= 0/)
  })

  it('a passing deadline ends the job expired', async () => {
    const r = await cli([
      'submit',
      'example.echo',
      '--data-dir',
      join(dir, 'client'),
      '--peer',
      server.addr,
      '--params',
      '{"delayMs":30000}',
      '--deadline',
      '200',
      '--json',
    ])
    assert.equal(r.code, 1)
    assert.equal(JSON.parse(r.stdout).state, 'expired')
  })

  it('Ctrl-C on submit cancels the job on the provider too', async () => {
    const proc = spawn(
      process.execPath,
      [CLI, 'submit', 'example.echo', '--data-dir', join(dir, 'client'), '--peer', server.addr, '--params', '{"delayMs":30000}', '--json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    let err = ''
    proc.stdout.on('data', (d) => {
      out += d
    })
    proc.stderr.on('data', (d) => {
      err += d
    })
    // Interrupt only once the provider has accepted the job, so the cancel has something to reach.
    assert.match(
      await waitFor(
        () => err,
        (e) => e.includes('accepted by'),
      ),
      /accepted by 12D3KooW/,
    )
    proc.kill('SIGINT')
    const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve))
    assert.equal(code, 1)
    const report = JSON.parse(out)
    assert.equal(report.state, 'cancelled')
    const ended = await waitFor(
      () => server.logs.find((l) => l.msg === 'job ended' && l.job === report.jobId),
      (l) => l !== undefined,
    )
    assert.equal(ended?.state, 'cancelled')
  })

  it('a node without a membership certificate is refused', async () => {
    assert.equal((await cli(['init', '--data-dir', join(dir, 'stranger')])).code, 0)
    const r = await cli(['submit', 'example.echo', '--data-dir', join(dir, 'stranger'), '--open-mesh', '--peer', server.addr, '--json'])
    assert.equal(r.code, 1)
    const report = JSON.parse(r.stdout)
    assert.equal(report.state, 'failed')
    assert.match(report.error.code, /forbidden|connection_lost|peer_unreachable/)
    const refusedStart = await cli(['start', '--data-dir', join(dir, 'stranger')])
    assert.equal(refusedStart.code, 1)
    assert.match(refusedStart.stderr, /invalid_config: no mesh CA/)
  })

  it('user mistakes print one line and exit non-zero, no stack trace', async () => {
    const r = await cli(['submit', 'example.echo', '--params', '{oops'])
    assert.equal(r.code, 1)
    assert.equal(r.stderr.trim().split('\n').length, 1)
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/)
    const unknown = await cli(['frobnicate'])
    assert.equal(unknown.code, 2)
    const missing = await cli(['submit', 'example.echo', '--input', join(dir, 'nope.bin')])
    assert.match(missing.stderr, /cannot read --input .*ENOENT/)
  })

  it('--help documents every command and flag', async () => {
    const r = await cli(['--help'])
    for (const text of [
      'init',
      'start',
      'submit',
      '--data-dir',
      '--listen',
      '--bootstrap',
      '--params',
      '--input',
      '--peer',
      '--json',
      '--deadline',
      '--log-level',
    ]) {
      assert.ok(r.stdout.includes(text), `--help lacks ${text}`)
    }
  })

  it('SIGTERM stops the node gracefully with exit code 0', async () => {
    server.proc.kill('SIGTERM')
    const code = await new Promise<number | null>((resolve) => server.proc.once('exit', resolve))
    assert.equal(code, 0)
    assert.ok(server.logs.some((l) => l.msg === 'node stopped'))
  })
})
