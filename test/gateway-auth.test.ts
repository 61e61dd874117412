/**
 * Who may use the HTTP gateway: bearer tokens made by `crank-node gateway token create|list|revoke`
 * (stored as hashes, mode 0600), refused and revoked tokens, public probes and dashboard files,
 * revokes that apply to the next request while other checks of the token file are under way,
 * the per-token concurrency limit, the refusal of a non-loopback address without tokens, and
 * `crank-node start --http` serving the gateway from a real node process.
 */
import assert from 'node:assert/strict'
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import echo from '../capabilities/example.echo/index.ts'
import { CrankError } from '../src/errors.ts'
import { type BuiltGateway, buildGateway, startGateway } from '../src/gateway/server.ts'
import {
  createGatewayToken,
  hashToken,
  listGatewayTokens,
  revokeGatewayToken,
  TOKENS_FILE,
  TokenStore,
  tokensPath,
} from '../src/gateway/tokens.ts'
import { type CrankNode, createNode } from '../src/node.ts'
import { cli, type NodeProcess, startNodeProcess, waitFor } from './helpers/cli-process.ts'
import { openSse } from './helpers/sse.ts'

/** Polls an async condition until it holds (state the server changes on its own time). */
async function eventually(what: string, ok: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('HTTP gateway: bearer tokens and limits', function () {
  this.timeout(60_000)
  let dir: string
  let node: CrankNode

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crank-gateway-auth-'))
    node = await createNode({
      listen: ['/ip4/127.0.0.1/tcp/0'],
      logLevel: 'silent',
      mesh: { dht: false },
      trust: { openMesh: true },
      capabilities: [echo],
    })
    await node.start()
  })

  after(async () => {
    await node?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('creates, lists and revokes tokens, keeping only their SHA-256 in a 0600 file', async () => {
    const data = await mkdtemp(join(dir, 'tokens-'))
    const a = await createGatewayToken(data, 'ci')
    const b = await createGatewayToken(data, 'dashboard')
    assert.match(a.token, /^crank_[A-Za-z0-9_-]{43}$/)
    assert.notEqual(a.token, b.token)
    const file = join(data, TOKENS_FILE)
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    const text = await readFile(file, 'utf8')
    assert.ok(!text.includes(a.token) && !text.includes(b.token), 'a token itself was written to the file')
    assert.ok(text.includes(hashToken(a.token)))
    const listed = await listGatewayTokens(data)
    assert.deepEqual(
      listed.map((t) => [t.id, t.name]),
      [
        [a.id, 'ci'],
        [b.id, 'dashboard'],
      ],
    )
    assert.ok(listed.every((t) => !('sha256' in t)))
    assert.equal((await revokeGatewayToken(data, a.id)).name, 'ci')
    assert.deepEqual(
      (await listGatewayTokens(data)).map((t) => t.id),
      [b.id],
    )
    await assert.rejects(revokeGatewayToken(data, a.id), (err: unknown) => err instanceof CrankError && err.code === 'unknown_token')
    await assert.rejects(
      createGatewayToken(join(dir, 'no-such-dir')),
      (err: unknown) => err instanceof CrankError && err.code === 'invalid_config',
    )
  })

  it('applies a revoke to the next request even while another request’s check of the token file is under way', async () => {
    const data = await mkdtemp(join(dir, 'shared-'))
    const t = await createGatewayToken(data, 'load')
    const file = tokensPath(data)
    const store = new TokenStore(file)
    await store.load()
    const together = await Promise.all(Array.from({ length: 50 }, () => store.verify(t.token)))
    assert.ok(together.every((info) => info?.id === t.id))
    for (let round = 0; round < 20; round++) {
      const kept = await createGatewayToken(data, `kept-${round}`)
      assert.equal((await store.verify(kept.token))?.id, kept.id)
      // A request whose check of the file starts now (and may find it as it was)…
      const earlier = store.verify(kept.token)
      // …then the token is revoked (as another process would, synchronously here so that the
      // earlier check is still under way), and only then the next request arrives.
      const current = JSON.parse(readFileSync(file, 'utf8')) as { tokens: { id: string }[] }
      writeFileSync(`${file}.tmp`, JSON.stringify({ ...current, tokens: current.tokens.filter((x) => x.id !== kept.id) }), { mode: 0o600 })
      renameSync(`${file}.tmp`, file)
      const after = store.verify(kept.token)
      await earlier
      assert.equal(await after, undefined, `round ${round}: a check that began before the revoke let the next request in`)
    }
  })

  it('asks for a token once one exists, refuses wrong and revoked ones, and leaves probes and dashboard files public', async () => {
    const data = await mkdtemp(join(dir, 'auth-'))
    const { id, token } = await createGatewayToken(data, 'tests')
    const gw = await buildGateway(node, { listen: '127.0.0.1:0', dataDir: data })
    try {
      const get = (url: string, authorization?: string) =>
        gw.app.inject({ method: 'GET', url, headers: authorization === undefined ? {} : { authorization } })
      const missing = await get('/v1/status')
      assert.equal(missing.statusCode, 401)
      assert.match(String(missing.headers['content-type']), /^application\/problem\+json/)
      assert.equal(missing.headers['www-authenticate'], 'Bearer realm="crank"')
      assert.equal(missing.json().code, 'unauthorized')
      assert.match(missing.json().detail, /gateway token create/)
      assert.equal((await get('/v1/status', 'Bearer crank_not-a-real-token')).statusCode, 401)
      assert.equal((await get('/v1/status', `Basic ${token}`)).statusCode, 401)
      assert.equal((await get('/v1/status', `Bearer ${token}`)).statusCode, 200)
      const submitted = await gw.app.inject({
        method: 'POST',
        url: '/v1/jobs?wait=true',
        headers: { authorization: `Bearer ${token}` },
        payload: { capability: 'example.echo', input: 'authorised' },
      })
      assert.equal(submitted.json().state, 'succeeded')
      assert.equal((await get('/openapi.json')).statusCode, 401)
      for (const open of ['/healthz', '/', '/dashboard/app.js']) assert.equal((await get(open)).statusCode, 200, open)
      await revokeGatewayToken(data, id)
      // The file changed under the running gateway: the next request sees it.
      const revoked = await get('/v1/status', `Bearer ${token}`)
      assert.equal(revoked.statusCode, 401)
      assert.match(revoked.json().detail, /not valid/)
    } finally {
      await gw.close()
    }
  })

  it('refuses to listen on a non-loopback address without tokens, and accepts it with one', async () => {
    const empty = await mkdtemp(join(dir, 'public-'))
    await assert.rejects(
      startGateway(node, { listen: '0.0.0.0:0', dataDir: empty }),
      (err: unknown) =>
        err instanceof CrankError &&
        err.code === 'invalid_config' &&
        /without bearer tokens/.test(err.message) &&
        /gateway token create/.test(err.message),
    )
    await assert.rejects(startGateway(node, { listen: '[::]:0', dataDir: empty }), /without bearer tokens/)
    await createGatewayToken(empty, 'public')
    // Assembled, not bound: the test listens on loopback only.
    const gw: BuiltGateway = await buildGateway(node, { listen: '0.0.0.0:0', dataDir: empty })
    assert.equal((await gw.app.inject({ method: 'GET', url: '/v1/status' })).statusCode, 401)
    await gw.close()
    await assert.rejects(
      startGateway(node, { listen: 'not an address' }),
      (err: unknown) => err instanceof CrankError && err.code === 'invalid_config',
    )
  })

  it('limits the requests one token has in flight, SSE streams included', async () => {
    const data = await mkdtemp(join(dir, 'limit-'))
    const { token } = await createGatewayToken(data, 'limited')
    const other = await createGatewayToken(data, 'other')
    const gw = await startGateway(node, { listen: '127.0.0.1:0', dataDir: data, maxConcurrentPerToken: 1 })
    try {
      const auth = { authorization: `Bearer ${token}` }
      const stream = await openSse(`${gw.url}/v1/events`, auth)
      assert.equal(stream.status, 200)
      const second = await fetch(`${gw.url}/v1/status`, { headers: auth })
      assert.equal(second.status, 429)
      assert.equal(second.headers.get('retry-after'), '1')
      assert.equal(((await second.json()) as { code: string }).code, 'too_many_requests')
      // Another token has its own allowance.
      assert.equal((await fetch(`${gw.url}/v1/status`, { headers: { authorization: `Bearer ${other.token}` } })).status, 200)
      stream.close()
      // The stream's place is given back when the server sees its connection close.
      await eventually(
        'the closed stream to free its place',
        async () => (await fetch(`${gw.url}/v1/status`, { headers: auth })).status === 200,
      )
    } finally {
      await gw.close()
    }
  })

  it('crank-node start --http serves the gateway; gateway token create/list work from the command line', async function () {
    this.timeout(120_000)
    const data = join(dir, 'process')
    const init = await cli(['init', '--data-dir', data, '--open-mesh'])
    assert.equal(init.code, 0, init.stderr)
    const created = await cli(['gateway', 'token', 'create', '--data-dir', data, '--name', 'cli', '--json'])
    assert.equal(created.code, 0, created.stderr)
    const { token, id } = JSON.parse(created.stdout) as { token: string; id: string }
    const listed = await cli(['gateway', 'token', 'list', '--data-dir', data, '--json'])
    assert.deepEqual(
      (JSON.parse(listed.stdout) as { tokens: Array<{ id: string }> }).tokens.map((t) => t.id),
      [id],
    )
    let proc: NodeProcess | undefined
    try {
      proc = await startNodeProcess(data, ['--http', '127.0.0.1:0'])
      const logs = proc.logs
      const line = await waitFor(
        () => logs.find((l) => l.msg === 'gateway listening'),
        (l) => l !== undefined,
      )
      const url = String(line?.url)
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.equal((await fetch(`${url}/healthz`)).status, 200)
      assert.equal((await fetch(`${url}/v1/status`)).status, 401)
      const status = (await (await fetch(`${url}/v1/status`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        peerId: string
      }
      assert.equal(status.peerId, proc.peerId)
      const exited = new Promise<number | null>((resolve) => proc?.proc.once('exit', resolve))
      proc.proc.kill('SIGTERM')
      assert.equal(await exited, 0)
      proc = undefined
    } finally {
      proc?.proc.kill('SIGKILL')
    }
    const revoked = await cli(['gateway', 'token', 'revoke', id, '--data-dir', data])
    assert.equal(revoked.code, 0, revoked.stderr)
    const again = await cli(['gateway', 'token', 'revoke', id, '--data-dir', data])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /unknown_token/)
  })
})
