import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cli } from './helpers/cli-process.ts'

/** One line on stderr, no stack frames. */
function oneLine(stderr: string): void {
  assert.equal(stderr.trim().split('\n').length, 1, stderr)
  assert.doesNotMatch(stderr, /^\s+at /m)
}

describe('crank-node CLI: mistakes give one line and the documented exit code', function () {
  this.timeout(120_000)
  let dir: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crank-cli-errors-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('--deadline abc is a usage error: exit 2', async () => {
    const r = await cli(['submit', 'example.echo', '--route', 'local', '--deadline', 'abc'])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /--deadline must be a positive integer, got "abc"/)
    assert.equal((await cli(['submit', 'example.echo', '--route', 'local', '--attempts', '0'])).code, 2)
  })

  it('--output that is a directory, or under a missing folder, is refused before the job runs', async () => {
    await mkdir(join(dir, 'out-dir'))
    for (const [target, why] of [
      [join(dir, 'out-dir'), /is a directory/],
      [join(dir, 'missing', 'out.bin'), /does not exist/],
    ] as const) {
      const r = await cli(['submit', 'example.echo', '--route', 'local', '--output', target, '--json'])
      assert.equal(r.code, 1, r.stderr)
      oneLine(r.stderr)
      assert.match(r.stderr, /^crank-node: invalid_option: --output /)
      assert.match(r.stderr, why)
      assert.equal(r.stdout, '', 'the job ran although its output could not be kept')
    }
  })

  it('start on a port in use says so in one line', async () => {
    const server: Server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    try {
      const data = join(dir, 'node')
      assert.equal((await cli(['init', '--data-dir', data, '--open-mesh'])).code, 0)
      const r = await cli(['start', '--data-dir', data, '--listen', `/ip4/127.0.0.1/tcp/${port}`])
      assert.equal(r.code, 1, r.stderr)
      oneLine(
        r.stderr
          .split('\n')
          .filter((l) => !l.startsWith('{'))
          .join('\n'),
      )
      assert.match(r.stderr, /invalid_config: cannot listen on \/ip4\/127\.0\.0\.1\/tcp\/\d+: address already in use/)
    } finally {
      server.close()
    }
  })

  it('ca issue --days abc is a usage error (exit 2) with no stack trace', async () => {
    assert.equal((await cli(['ca', 'init', '--ca-dir', join(dir, 'ca')])).code, 0)
    const r = await cli([
      'ca',
      'issue',
      '--ca-dir',
      join(dir, 'ca'),
      '--peer-id',
      '12D3KooWGLP1e4qvr7ikEsKaKhi6yQGeRUGBmy6cffwg31sgKmiW',
      '--days',
      'abc',
    ])
    // A usage error: exit 2, the reason, and the help hint every usage error carries; no stack.
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /invalid_option: --days must be a whole number with a unit \(ms, s, m, h, d, w\), such as 90d.*got "abc"/)
    assert.doesNotMatch(r.stderr, /^\s+at /m)
  })

  it('ca token --ttl and ca issue --days take units; bad ones are usage errors naming the forms accepted', async () => {
    const ca = join(dir, 'ca-units')
    assert.equal((await cli(['ca', 'init', '--ca-dir', ca])).code, 0)
    const token = await cli(['ca', 'token', '--ca-dir', ca, '--name', 'unit-node', '--ttl', '2w'])
    assert.equal(token.code, 0, token.stderr)
    const expires = Date.parse(/expires (\S+)\)/.exec(token.stderr)![1]!)
    const weeks = (expires - Date.now()) / (7 * 86_400_000)
    assert.ok(weeks > 1.99 && weeks <= 2, `--ttl 2w gave ${weeks} weeks`)
    const peer = '12D3KooWGLP1e4qvr7ikEsKaKhi6yQGeRUGBmy6cffwg31sgKmiW'
    const issued = await cli(['ca', 'issue', '--ca-dir', ca, '--peer-id', peer, '--name', 'unit-node', '--days', '12h'])
    assert.equal(issued.code, 0, issued.stderr)
    const listed = await cli(['ca', 'list', '--ca-dir', ca, '--json'])
    const entry = JSON.parse(listed.stdout.trim().split('\n')[0]!) as { notBefore: string; notAfter: string }
    // Issued certificates start a minute back (clock skew): 12 h ahead of now, 12 h 1 min long.
    assert.equal(Date.parse(entry.notAfter) - Date.parse(entry.notBefore), 12 * 3_600_000 + 60_000)
    for (const [args, why] of [
      [
        ['ca', 'token', '--ca-dir', ca, '--ttl', '10x'],
        /invalid_option: --ttl must be a whole number with a unit .* or a plain number of milliseconds; got "10x"/,
      ],
      [['ca', 'token', '--ca-dir', ca, '--ttl', '0'], /invalid_option: --ttl must be longer than 0; got "0"/],
      [['ca', 'token', '--ca-dir', ca, '--ttl', '400d'], /invalid_option: --ttl must be at most 366d; got "400d"/],
      [['ca', 'issue', '--ca-dir', ca, '--peer-id', peer, '--days', '1.5d'], /invalid_option: --days must be a whole number with a unit/],
    ] as const) {
      const r = await cli([...args])
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, why)
      assert.doesNotMatch(r.stderr, /^\s+at /m)
    }
  })
})
