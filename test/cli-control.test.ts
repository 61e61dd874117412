/**
 * The CLI on a node's host talks to that node through its control socket: real `crank-node start`
 * processes in temp data dirs, and the CLI as separate processes beside them.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream, createWriteStream, existsSync } from 'node:fs'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI, cli, type NodeProcess, startNodeProcess, waitFor } from './helpers/cli-process.ts'

/** A line-reading client of the raw socket, for what the CLI would never send. */
function rawClient(path: string): { socket: Socket; next(): Promise<Record<string, unknown>>; closed: Promise<void> } {
  const socket = connect(path)
  let buffered = ''
  const lines: string[] = []
  const waiters: Array<() => void> = []
  socket.on('data', (d) => {
    buffered += d
    let nl = buffered.indexOf('\n')
    while (nl !== -1) {
      lines.push(buffered.slice(0, nl))
      buffered = buffered.slice(nl + 1)
      nl = buffered.indexOf('\n')
    }
    for (const w of waiters.splice(0)) w()
  })
  const closed = once(socket, 'close').then(() => {
    for (const w of waiters.splice(0)) w()
  })
  return {
    socket,
    closed,
    async next() {
      while (lines.length === 0) {
        if (socket.destroyed) throw new Error('socket closed with no answer')
        await new Promise<void>((r) => waiters.push(r))
      }
      return JSON.parse(lines.shift()!) as Record<string, unknown>
    },
  }
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer)
  return h.digest('hex')
}

describe('crank-node CLI through the node’s control socket', function () {
  this.timeout(180_000)
  let dir: string
  let node: NodeProcess
  const others: NodeProcess[] = []
  const a = (): string => join(dir, 'a')
  const sock = (d: string): string => join(d, 'control.sock')

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crank-ctl-'))
    assert.equal((await cli(['ca', 'init', '--ca-dir', join(dir, 'ca')])).code, 0)
    for (const d of ['a', 'b', 'idle']) {
      assert.equal((await cli(['init', '--data-dir', join(dir, d), '--name', `node-${d}`])).code, 0)
      const issued = await cli(['ca', 'issue', '--ca-dir', join(dir, 'ca'), '--data-dir', join(dir, d), '--name', `node-${d}`])
      assert.equal(issued.code, 0, issued.stderr)
    }
    node = await startNodeProcess(a())
  })

  after(async () => {
    for (const p of [node, ...others]) p?.proc.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })

  it('the socket is mode 0600, and a second node on the same data dir is refused', async () => {
    const s = await stat(sock(a()))
    assert.ok(s.isSocket())
    assert.equal(s.mode & 0o777, 0o600)
    const second = await cli(['start', '--data-dir', a(), '--listen', '/ip4/127.0.0.1/tcp/0'])
    assert.equal(second.code, 1)
    assert.match(second.stderr, /invalid_config: a node is already running in .*control socket .* answers/)
  })

  it('caps lists the node itself, marked as this node', async () => {
    const r = await cli(['caps', '--data-dir', a(), '--json'])
    assert.equal(r.code, 0, r.stderr)
    const rows = (JSON.parse(r.stdout) as { capabilities: Array<{ capability: string; peer: string; self: boolean }> }).capabilities
    const echo = rows.find((x) => x.capability === 'example.echo')
    assert.deepEqual([echo?.peer, echo?.self], [node.peerId, true])
    const text = await cli(['caps', '--data-dir', a()])
    assert.match(text.stdout, /example\.echo\s+1\.0\.0\s+…\S+\s+node-a \(this node\)/)
  })

  it('submit runs on the node, not in the CLI', async () => {
    const r = await cli(['submit', 'example.echo', '--data-dir', a(), '--params', '{"echo":"via the node"}', '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stderr, /in-process/)
    assert.match(r.stderr, /accepted by this data dir's node node-a/)
    const report = JSON.parse(r.stdout) as { jobId: string; node: string; route: { peer: string }; value: { echo: string } }
    assert.deepEqual([report.node, report.route.peer, report.value.echo], [node.peerId, 'local', 'via the node'])
    // The node's own log and journal have the job.
    const ended = await waitFor(
      () => node.logs.find((l) => l.msg === 'job ended' && l.job === report.jobId),
      (l) => l !== undefined,
    )
    assert.equal(ended?.state, 'succeeded')
    const status = JSON.parse((await cli(['status', '--data-dir', a(), '--json'])).stdout) as { recent: Array<{ jobId: string }> }
    assert.ok(status.recent.some((j) => j.jobId === report.jobId))
  })

  it('status shows name, addresses, isolation, certificate, load, jobs, peers and members', async () => {
    const r = await cli(['status', '--data-dir', a()])
    assert.equal(r.code, 1, 'an isolated node exits 1')
    for (const re of [
      /^node node-a \(…\S+\), pid \d+: running, ISOLATED for /,
      /\n {2}certificate [0-9a-f]+ \(node-a\): expires in 36\d\.\d d/,
      /\n {2}addresses: \/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW/,
      /\nload: 0 job\(s\) in flight, 0 queued \(\d+ slots/,
      /\njobs in flight from the control socket: 0/,
      /\npeers connected: 0/,
      /\nmembers known: 0 \(0 connected\)/,
      /\nlast jobs served: \d+\n {2}\S+ {2}example\.echo@1\.0\.0 {2}succeeded {2}for this node/,
    ])
      assert.match(r.stdout, re)
  })

  it('with no node running, submit runs in-process and says so; --detach refuses', async () => {
    const idle = join(dir, 'idle')
    const r = await cli(['submit', 'example.echo', '--data-dir', idle, '--route', 'local', '--params', '{"echo":1}', '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, new RegExp(`no node running in ${idle}: running in-process as a client`))
    assert.equal(JSON.parse(r.stdout).value.echo, 1)
    const detached = await cli(['submit', 'example.echo', '--data-dir', idle, '--detach'])
    assert.equal(detached.code, 1)
    assert.match(detached.stderr, /^crank-node: not_started: --detach needs a running node: no node running in /)
  })

  it('malformed requests each get one typed error, and an overlong line closes only that connection', async () => {
    const c = rawClient(sock(a()))
    const ask = async (line: string): Promise<Record<string, unknown>> => {
      c.socket.write(`${line}\n`)
      return c.next()
    }
    const code = (m: Record<string, unknown>): string => (m.error as { code: string }).code
    /** Past a request's streamed messages (events), to its one result or error. */
    const end = async (): Promise<Record<string, unknown>> => {
      for (;;) {
        const m = await c.next()
        if (m.type === 'result' || m.type === 'error') return m
      }
    }
    assert.equal(code(await ask('[]')), 'protocol_error')
    assert.equal(code(await ask('{"id":{"x":1},"method":"status"}')), 'protocol_error')
    const unknown = await ask('{"id":2,"method":"reboot"}')
    assert.deepEqual([unknown.id, code(unknown)], [2, 'not_supported'])
    const jobs = await ask('{"id":3,"method":"jobs.stop","params":[]}')
    assert.deepEqual([jobs.id, code(jobs)], [3, 'not_supported'])
    const explain = await ask('{"id":4,"method":"explain","params":{"capability":7}}')
    assert.deepEqual([explain.id, code(explain)], [4, 'invalid_option'])
    const submit = await ask('{"id":5,"method":"submit","params":{"capability":"example.echo","attempts":"many"}}')
    assert.equal(submit.type, 'job')
    const failed = await end()
    assert.deepEqual([failed.type, (failed.value as { error: { code: string } }).error.code], ['result', 'invalid_option'])
    // A small input announced by its size is gathered whole (replayable); one longer than announced is refused.
    c.socket.write('{"id":6,"method":"submit","params":{"capability":"example.echo","input":true,"inputSize":3}}\n')
    assert.deepEqual([(await c.next()).type], ['credit'])
    c.socket.write('{"id":6,"type":"input","bytes":3}\nabc{"id":6,"type":"end"}\n')
    assert.equal((await c.next()).type, 'job')
    const small = await end()
    assert.deepEqual([small.id, small.type, (small.value as { value: { bytes: number } }).value.bytes], [6, 'result', 3])
    c.socket.write('{"id":7,"method":"submit","params":{"capability":"example.echo","input":true,"inputSize":2}}\n')
    assert.equal((await c.next()).type, 'credit')
    c.socket.write('{"id":7,"type":"input","bytes":3}\nabc')
    const long = await c.next()
    assert.deepEqual([long.id, code(long)], [7, 'invalid_option'])
    c.socket.write('{"id":9,"type":"input","bytes":3}\nabc')
    const stray = await c.next()
    assert.deepEqual([stray.id, code(stray), (stray.error as { details: { id: number } }).details.id], [null, 'protocol_error', 9])
    const ok = await ask('{"id":"still-here","method":"status"}')
    assert.deepEqual([ok.id, ok.type, (ok.value as { name: string }).name], ['still-here', 'result', 'node-a'])
    // 2 MiB with no newline: answered, then hung up on.
    c.socket.write(Buffer.alloc(2 * 1024 * 1024, 0x20))
    assert.equal(code(await c.next()), 'frame_too_large')
    await c.closed
    assert.equal(node.proc.exitCode, null, 'the node is still running')
    const after = await cli(['caps', '--data-dir', a(), '--json'])
    assert.equal(after.code, 0, after.stderr)
  })

  it('streams 256 MiB file to file through the node with the CLI under 200 MB RSS', async () => {
    const input = join(dir, 'in.bin')
    const output = join(dir, 'out.bin')
    // Random, not a repeating pattern: a chunk lost, repeated or out of order changes the hash.
    const w = createWriteStream(input)
    for (let i = 0; i < 256; i++) if (!w.write(randomBytes(1024 * 1024))) await once(w, 'drain')
    w.end()
    await once(w, 'close')
    const r = await cli(['submit', 'example.echo', '--data-dir', a(), '--input', input, '--output', output, '--json'], {
      CRANK_REPORT_RSS: '1',
    })
    assert.equal(r.code, 0, r.stderr)
    const report = JSON.parse(r.stdout) as { value: { bytes: number }; outputBytes: number; node: string }
    assert.deepEqual([report.value.bytes, report.outputBytes, report.node], [256 * 1048576, 256 * 1048576, node.peerId])
    assert.equal(await sha256(output), await sha256(input))
    const rss = Number(/max RSS (\d+) kB/.exec(r.stderr)?.[1])
    assert.ok(rss > 0 && rss < 200 * 1024, `the CLI peaked at ${rss} kB`)
    await rm(input)
    await rm(output)
  })

  it('a failed job leaves no output file behind', async () => {
    const output = join(dir, 'never.bin')
    const r = await cli(['submit', 'example.echo', '--data-dir', a(), '--params', '{"failWith":"echo_failed"}', '--output', output])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /job failed: echo_failed/)
    assert.equal(existsSync(output), false)
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.endsWith('.part')),
      [],
    )
  })

  it('--detach prints the job id and returns; the node runs the job on', async () => {
    const r = await cli(['submit', 'example.echo', '--data-dir', a(), '--params', '{"delayMs":1500}', '--detach'])
    assert.equal(r.code, 0, r.stderr)
    const jobId = r.stdout.trim()
    assert.match(jobId, /^\S+$/)
    const ended = await waitFor(
      () => node.logs.find((l) => l.msg === 'detached job ended' && l.job === jobId),
      (l) => l !== undefined,
    )
    assert.equal(ended?.state, 'succeeded')
  })

  it('Ctrl-C on submit cancels the job on the node', async () => {
    const proc = spawn(process.execPath, [CLI, 'submit', 'example.echo', '--data-dir', a(), '--params', '{"delayMs":30000}', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    proc.stdout.on('data', (d) => {
      out += d
    })
    proc.stderr.on('data', (d) => {
      err += d
    })
    await waitFor(
      () => err,
      (e) => e.includes('accepted by'),
    )
    proc.kill('SIGINT')
    const [code] = (await once(proc, 'exit')) as [number]
    assert.equal(code, 1)
    const report = JSON.parse(out) as { jobId: string; state: string }
    assert.equal(report.state, 'cancelled')
    const ended = await waitFor(
      () => node.logs.find((l) => l.msg === 'job ended' && l.job === report.jobId),
      (l) => l !== undefined,
    )
    assert.equal(ended?.state, 'cancelled')
  })

  it('a stale socket from a killed node is replaced; a member that joins shows in status, peers and members; a stopped node removes its socket', async () => {
    const b = join(dir, 'b')
    const first = await startNodeProcess(b)
    others.push(first)
    first.proc.kill('SIGKILL')
    await once(first.proc, 'exit')
    assert.ok((await stat(sock(b))).isSocket(), 'a killed node leaves its socket')
    const status = await cli(['status', '--data-dir', b])
    assert.equal(status.code, 1)
    assert.doesNotMatch(status.stdout, /addresses:/, 'nothing answers the stale socket')
    const second = await startNodeProcess(b, ['--bootstrap', node.addr])
    others.push(second)
    const caps = await cli(['caps', '--data-dir', b, '--json'])
    assert.ok(
      (JSON.parse(caps.stdout) as { capabilities: Array<{ peer: string; self: boolean }> }).capabilities.some(
        (c) => c.self && c.peer === second.peerId,
      ),
    )

    // a sees b: connected, verified, with its certificate.
    let joined = await cli(['status', '--data-dir', a()])
    const deadline = Date.now() + 30_000
    while (joined.code !== 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200))
      joined = await cli(['status', '--data-dir', a()])
    }
    assert.equal(joined.code, 0, joined.stdout)
    assert.match(joined.stdout, /running, joined for .*: 1 member\(s\) connected/)
    assert.match(joined.stdout, /\npeers connected: 1\n {2}…\S+ {2}node-b {2}member {2}/)
    assert.match(
      joined.stdout,
      /\nmembers known: 1 \(1 connected\)\n {2}…\S+ {2}node-b {2}connected {2}certificate [0-9a-f]+ expires in 36\d\.\d d/,
    )
    const members = JSON.parse((await cli(['members', '--data-dir', a(), '--json'])).stdout) as {
      members: Array<{ peer: string; name: string; connected: boolean }>
    }
    assert.deepEqual(
      members.members.map((m) => [m.peer, m.name, m.connected]),
      [[second.peerId, 'node-b', true]],
    )
    const peers = JSON.parse((await cli(['peers', '--data-dir', a(), '--json'])).stdout) as {
      node: { name: string; connectivity: { state: string } }
      connected: Array<{ peer: string; member: boolean }>
    }
    assert.deepEqual([peers.node.name, peers.node.connectivity.state], ['node-a', 'joined'])
    assert.ok(peers.connected.some((p) => p.peer === second.peerId && p.member))
    second.proc.kill('SIGTERM')
    const [code] = (await once(second.proc, 'exit')) as [number]
    assert.equal(code, 0)
    assert.equal(existsSync(sock(b)), false)
  })
})
