/**
 * The HTTP gateway over a real node (enrolled, loopback TCP): jobs submitted as JSON and as
 * streamed raw bodies, waiting, idempotency, Server-Sent Events with resume, output streamed
 * while the job runs, cancel, problem documents, OpenAPI, the live event stream, probes and
 * the dashboard's files. Most routes through fastify's inject; streaming ones over real HTTP.
 */
import assert from 'node:assert/strict'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import echo from '../capabilities/example.echo/index.ts'
import { CrankError } from '../src/errors.ts'
import { type BuiltGateway, buildGateway } from '../src/gateway/server.ts'
import type { JobChange, JobEventRecord, JobRecord, JobSummary, JobsApi } from '../src/jobs/jobs-api.ts'
import { type CrankNode, createNode } from '../src/node.ts'
import { openSse } from './helpers/sse.ts'
import { enrol } from './helpers/trust.ts'

function assertProblem(res: LightMyRequestResponse, status: number, code: string): Record<string, unknown> {
  assert.equal(res.statusCode, status, res.body)
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/)
  const p = res.json() as Record<string, unknown>
  assert.equal(p.code, code)
  assert.equal(p.status, status)
  assert.equal(p.type, `urn:crank:problem:${code}`)
  assert.equal(typeof p.title, 'string')
  assert.equal(typeof p.detail, 'string')
  return p
}

function patternBytes(size: number): Uint8Array {
  const out = new Uint8Array(size)
  for (let i = 0; i < size; i++) out[i] = (i * 31 + (i >> 8)) & 0xff
  return out
}

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += size) yield bytes.subarray(i, Math.min(bytes.byteLength, i + size))
}

describe('HTTP gateway: jobs, events, problems, OpenAPI, dashboard', function () {
  this.timeout(60_000)
  let node: CrankNode
  let gw: BuiltGateway
  let base: string

  before(async () => {
    node = await createNode({
      name: 'gateway-node',
      listen: ['/ip4/127.0.0.1/tcp/0'],
      logLevel: 'silent',
      mesh: { dht: false },
      ...(await enrol({ name: 'gateway-node' })),
      capabilities: [echo],
    })
    await node.start()
    gw = await buildGateway(node, { listen: '127.0.0.1:0' })
    await gw.app.listen({ host: '127.0.0.1', port: 0 })
    base = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`
  })

  after(async () => {
    await gw?.close()
    await node?.stop()
  })

  const inject = (opts: InjectOptions) => gw.app.inject(opts)
  const submit = (body: Record<string, unknown>, query = '') => inject({ method: 'POST', url: `/v1/jobs${query}`, payload: body })
  const ended = async (id: string): Promise<void> => {
    await gw.context.jobs.get(id)?.handle.outcome
  }

  it('runs a JSON job with ?wait=true and answers the ended job; its output reads back', async () => {
    const res = await submit({ capability: 'example.echo', params: { echo: { a: 1 } }, input: 'hello gateway' }, '?wait=true')
    assert.equal(res.statusCode, 200, res.body)
    const job = res.json()
    assert.equal(job.state, 'succeeded')
    assert.deepEqual(job.result, { echo: { a: 1 }, bytes: 13, chunks: 1 })
    assert.equal(job.peer, 'local')
    assert.equal(job.version, '1.0.0')
    assert.equal(job.outputBytes, 13)
    assert.equal(res.headers.location, `/v1/jobs/${job.id}`)
    assert.deepEqual(job.links, { self: `/v1/jobs/${job.id}`, events: `/v1/jobs/${job.id}/events`, output: `/v1/jobs/${job.id}/output` })
    const out = await inject({ method: 'GET', url: job.links.output })
    assert.equal(out.statusCode, 200)
    assert.equal(out.headers['content-type'], 'application/octet-stream')
    assert.equal(out.body, 'hello gateway')
  })

  it('takes input as base64 bytes or as a JSON value', async () => {
    const bytes = Buffer.from([0, 255, 1, 2, 128])
    const b64 = (await submit({ capability: 'example.echo', input: { base64: bytes.toString('base64') } }, '?wait=true')).json()
    assert.deepEqual((await inject({ method: 'GET', url: b64.links.output })).rawPayload, bytes)
    const value = (await submit({ capability: 'example.echo', input: { x: [1, 2] } }, '?wait=true')).json()
    assert.equal((await inject({ method: 'GET', url: value.links.output })).body, '{"x":[1,2]}')
  })

  it('answers 202 with the job, then shows it by id and in the filtered list', async () => {
    const res = await submit({ capability: 'example.echo', params: { echo: 'later' } })
    assert.equal(res.statusCode, 202, res.body)
    const { id, links } = res.json()
    assert.equal(res.headers.location, links.self)
    await ended(id)
    const job = (await inject({ method: 'GET', url: links.self })).json()
    assert.equal(job.state, 'succeeded')
    assert.deepEqual(job.result, { echo: 'later', bytes: 0, chunks: 0 })
    const list = async (query: string) => (await inject({ method: 'GET', url: `/v1/jobs${query}` })).json()
    const listed = await list('?state=succeeded,failed&capability=example.echo')
    assert.equal(listed.source, 'gateway')
    assert.ok(listed.jobs.some((j: { id: string }) => j.id === id))
    assert.ok(!(await list('?state=failed')).jobs.some((j: { id: string }) => j.id === id))
    assert.ok(!(await list(`?since=${new Date(Date.now() + 60_000).toISOString()}`)).jobs.some((j: { id: string }) => j.id === id))
    assert.equal((await list('?limit=1')).jobs.length, 1)
    assertProblem(await inject({ method: 'GET', url: '/v1/jobs?state=bogus' }), 400, 'invalid_option')
    assertProblem(await inject({ method: 'GET', url: '/v1/jobs?since=yesterday' }), 400, 'invalid_option')
  })

  it('streams a 16 MiB raw body into the job without holding it whole, and the output back, over real HTTP', async () => {
    const input = patternBytes(16 * 1024 * 1024)
    const res = await fetch(`${base}/v1/jobs?capability=example.echo&wait=true&params=${encodeURIComponent('{"echo":"raw"}')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: chunksOf(input, 64 * 1024),
      duplex: 'half',
    } as RequestInit)
    assert.equal(res.status, 200)
    const job = (await res.json()) as {
      id: string
      state: string
      result: { bytes: number; chunks: number; echo: string }
      outputBytes: number
    }
    assert.equal(job.state, 'succeeded')
    assert.equal(job.result.echo, 'raw')
    assert.equal(job.result.bytes, input.byteLength)
    // The handler saw the body as it arrived, in many pieces: it was never gathered into one buffer.
    assert.ok(job.result.chunks > 16, `chunks: ${job.result.chunks}`)
    assert.equal(job.outputBytes, input.byteLength)
    const out = await fetch(`${base}/v1/jobs/${job.id}/output`)
    assert.equal(out.status, 200)
    assert.ok(Buffer.from(await out.arrayBuffer()).equals(input), 'output bytes differ from the input')
  })

  it('takes a raw body with its options in Crank-* headers', async () => {
    const res = await inject({
      method: 'POST',
      url: '/v1/jobs?wait=true',
      headers: { 'content-type': 'application/octet-stream', 'crank-capability': 'example.echo', 'crank-params': '{"echo":7}' },
      payload: Buffer.from('header-borne'),
    })
    assert.equal(res.statusCode, 200, res.body)
    assert.deepEqual(res.json().result, { echo: 7, bytes: 12, chunks: 1 })
    assertProblem(
      await inject({ method: 'POST', url: '/v1/jobs', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from('x') }),
      400,
      'invalid_option',
    )
    assertProblem(
      await inject({
        method: 'POST',
        url: '/v1/jobs?capability=example.echo&params=%7Bnot',
        headers: { 'content-type': 'application/octet-stream' },
        payload: Buffer.from('x'),
      }),
      422,
      'invalid_params',
    )
  })

  it('returns the first job for a repeated Idempotency-Key and refuses the key for another request', async () => {
    const body = { capability: 'example.echo', params: { echo: 'once' }, input: 'same' }
    const headers = { 'idempotency-key': `key-${Date.now()}` }
    const first = await inject({ method: 'POST', url: '/v1/jobs', payload: body, headers })
    assert.equal(first.statusCode, 202)
    const again = await inject({
      method: 'POST',
      url: '/v1/jobs?wait=true',
      payload: { input: 'same', params: { echo: 'once' }, capability: 'example.echo' },
      headers,
    })
    assert.equal(again.statusCode, 200)
    assert.equal(again.headers['idempotent-replayed'], 'true')
    assert.equal(again.json().id, first.json().id)
    assert.equal(again.json().state, 'succeeded')
    const other = await inject({ method: 'POST', url: '/v1/jobs', payload: { ...body, input: 'different' }, headers })
    const p = assertProblem(other, 422, 'idempotency_key_reused')
    assert.deepEqual(p.details, { jobId: first.json().id })
  })

  it('sends a job’s events with ids, output as base64, resumes after Last-Event-ID, and answers 204 once all are read', async () => {
    const res = await submit({ capability: 'example.echo', params: { progressEvery: 1 }, input: 'abc' }, '?wait=true')
    const { id, links } = res.json()
    const all = await openSse(`${base}${links.events}?output=true`)
    assert.equal(all.status, 200)
    assert.match(String(all.headers.get('content-type')), /^text\/event-stream/)
    const events = await all.read()
    assert.deepEqual(
      events.map((e) => e.event),
      ['accepted', 'output', 'progress', 'succeeded'],
    )
    assert.deepEqual(
      events.map((e) => e.id),
      ['1', '2', '3', '4'],
    )
    for (const e of events) assert.equal(e.data.jobId, id)
    assert.equal(events[0]!.data.peer, 'local')
    assert.equal(events[1]!.data.data, Buffer.from('abc').toString('base64'))
    assert.equal(events[2]!.data.done, 3)
    assert.deepEqual(events[3]!.data.result, { echo: null, bytes: 3, chunks: 1 })
    // Without ?output=true the output event is left out; the ids stay the job's.
    const plain = await (await openSse(`${base}${links.events}`)).read()
    assert.deepEqual(
      plain.map((e) => `${e.id}:${e.event}`),
      ['1:accepted', '3:progress', '4:succeeded'],
    )
    const resumed = await (await openSse(`${base}${links.events}?output=true`, { 'last-event-id': '1' })).read()
    assert.deepEqual(
      resumed.map((e) => e.id),
      ['2', '3', '4'],
    )
    const byQuery = await (await openSse(`${base}${links.events}?lastEventId=3`)).read()
    assert.deepEqual(
      byQuery.map((e) => e.id),
      ['4'],
    )
    const done = await openSse(`${base}${links.events}`, { 'last-event-id': '4' })
    assert.equal(done.status, 204)
  })

  it('follows a running job live over SSE and ends the stream with its cancel', async () => {
    const res = await submit({ capability: 'example.echo', params: { delayMs: 600_000 } })
    assert.equal(res.statusCode, 202)
    const { id, links } = res.json()
    const sse = await openSse(`${base}${links.events}`)
    const first = await sse.read((e) => e.event === 'accepted')
    assert.equal(first.at(-1)?.event, 'accepted')
    const cancel = await inject({ method: 'DELETE', url: links.self })
    assert.equal(cancel.statusCode, 200, cancel.body)
    assert.equal(cancel.json().state, 'cancelled')
    const rest = await sse.read()
    const last = rest.at(-1)
    assert.equal(last?.event, 'cancelled')
    assert.deepEqual(last?.data.error, { code: 'cancelled', message: 'cancelled over HTTP', retryable: false })
    assertProblem(await inject({ method: 'DELETE', url: links.self }), 409, 'invalid_state')
    assert.equal(gw.context.jobs.get(id)?.state, 'cancelled')
  })

  it('streams output while the job runs, and names how it ended in the Crank-Job-State trailer', async () => {
    const res = await submit({ capability: 'example.echo', params: { delayMs: 600_000 }, input: 'first bytes' })
    const { links } = res.json()
    const response = await new Promise<IncomingMessage>((resolve, reject) =>
      httpRequest(`${base}${links.output}`, resolve).on('error', reject).end(),
    )
    assert.equal(response.statusCode, 200)
    const chunks: Buffer[] = []
    // The job has not ended (it waits ten minutes): bytes arriving now were streamed, not read back after the end.
    const firstChunk = await new Promise<Buffer>((resolve) => response.once('data', resolve))
    chunks.push(firstChunk)
    response.on('data', (c: Buffer) => chunks.push(c))
    const finished = new Promise<void>((resolve) => response.once('end', resolve))
    assert.equal(gw.context.jobs.get(res.json().id)?.ended, false)
    assert.equal((await inject({ method: 'DELETE', url: links.self })).json().state, 'cancelled')
    await finished
    assert.equal(Buffer.concat(chunks).toString(), 'first bytes')
    assert.equal(response.trailers['crank-job-state'], 'cancelled')
  })

  it('answers problem documents for unknown capability, invalid params, unknown job, bad JSON and unknown routes', async () => {
    const unknown = assertProblem(await submit({ capability: 'no.such-capability' }), 404, 'no_provider')
    assert.equal(typeof unknown.jobId, 'string')
    assert.equal(unknown.instance, '/v1/jobs')
    const invalid = assertProblem(await submit({ capability: 'example.echo', params: { delayMs: 'soon' } }), 422, 'invalid_params')
    assert.match(String(invalid.detail), /delayMs/)
    // ?wait=true answers a refusal the same way: the job never ran, so it is a problem, not an ended job.
    const waited = assertProblem(await submit({ capability: 'no.such-capability' }, '?wait=true'), 404, 'no_provider')
    assert.equal(typeof waited.jobId, 'string')
    assertProblem(await submit({ capability: 'example.echo', params: { delayMs: 'soon' } }, '?wait=true'), 422, 'invalid_params')
    // A job that ran and failed is an ended job, with its error, not a refusal.
    const ran = await submit({ capability: 'example.echo', params: { failWith: 'echo_failed' } }, '?wait=true')
    assert.equal(ran.statusCode, 200)
    assert.equal(ran.json().state, 'failed')
    assert.equal(ran.json().error.code, 'echo_failed')
    for (const [method, url] of [
      ['GET', '/v1/jobs/nope'],
      ['GET', '/v1/jobs/nope/events'],
      ['GET', '/v1/jobs/nope/output'],
      ['DELETE', '/v1/jobs/nope'],
    ] as const)
      assertProblem(await inject({ method, url }), 404, 'unknown_job')
    assertProblem(
      await inject({ method: 'POST', url: '/v1/jobs', headers: { 'content-type': 'application/json' }, payload: '{"capability":' }),
      400,
      'invalid_request',
    )
    const field = assertProblem(await submit({ capability: 'example.echo', priority: 'urgent' }), 400, 'invalid_option')
    assert.equal((field.details as { field: string }).field, 'body/priority')
    assertProblem(await submit({ capability: 'example.echo', colour: 'blue' }), 400, 'invalid_option')
    assertProblem(await submit({ capability: 'example.echo', input: { base64: '***' } }), 400, 'invalid_request')
    assertProblem(await submit({ capability: 'example.echo', durable: true }), 501, 'no_store')
    assertProblem(
      await inject({ method: 'POST', url: '/v1/jobs', headers: { 'content-type': 'text/plain' }, payload: 'hi' }),
      415,
      'unsupported_media_type',
    )
    assertProblem(await inject({ method: 'GET', url: '/v2/nothing' }), 404, 'not_found')
  })

  it('refuses oversized bodies: JSON past maxBodyBytes, raw past maxInputBytes by length or while streaming', async () => {
    const small = await buildGateway(node, { listen: '127.0.0.1:0', maxBodyBytes: 2048, maxInputBytes: 4096 })
    try {
      await small.app.listen({ host: '127.0.0.1', port: 0 })
      const url = `http://127.0.0.1:${(small.app.server.address() as AddressInfo).port}`
      assertProblem(
        await small.app.inject({ method: 'POST', url: '/v1/jobs', payload: { capability: 'example.echo', input: 'x'.repeat(3000) } }),
        413,
        'input_too_large',
      )
      assertProblem(
        await small.app.inject({
          method: 'POST',
          url: '/v1/jobs?capability=example.echo',
          headers: { 'content-type': 'application/octet-stream' },
          payload: Buffer.alloc(5000),
        }),
        413,
        'input_too_large',
      )
      // No Content-Length: the limit is found while the body streams into the job, which then fails.
      const res = await fetch(`${url}/v1/jobs?capability=example.echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: chunksOf(Buffer.alloc(6000), 1000),
        duplex: 'half',
      } as RequestInit)
      assert.equal(res.status, 413)
      const p = (await res.json()) as { code: string; details: { jobId: string } }
      assert.equal(p.code, 'input_too_large')
      const job = small.context.jobs.get(p.details.jobId)
      await job?.handle.outcome
      assert.equal(job?.state, 'failed')
    } finally {
      await small.close()
    }
  })

  it('serves OpenAPI 3.1 generated from the routes, with each capability’s params and result schemas', async () => {
    const res = await inject({ method: 'GET', url: '/openapi.json' })
    assert.equal(res.statusCode, 200)
    const doc = JSON.parse(res.body) as {
      openapi: string
      info: { title: string; version: string }
      paths: Record<string, Record<string, unknown>>
      components: { schemas: Record<string, { description?: string }>; securitySchemes: Record<string, unknown> }
    }
    assert.equal(doc.openapi, '3.1.0')
    for (const [path, method] of [
      ['/v1/jobs', 'post'],
      ['/v1/jobs', 'get'],
      ['/v1/jobs/{id}', 'get'],
      ['/v1/jobs/{id}', 'delete'],
      ['/v1/jobs/{id}/events', 'get'],
      ['/v1/jobs/{id}/output', 'get'],
      ['/v1/capabilities', 'get'],
      ['/v1/peers', 'get'],
      ['/v1/members', 'get'],
      ['/v1/status', 'get'],
      ['/v1/events', 'get'],
      ['/healthz', 'get'],
      ['/readyz', 'get'],
    ] as const)
      assert.ok(doc.paths[path]?.[method] !== undefined, `${method} ${path} missing`)
    const { description: _p, ...params } = doc.components.schemas['example.echo.v1.params']!
    const { description: _r, ...result } = doc.components.schemas['example.echo.v1.result']!
    assert.deepEqual(params, echo.input)
    assert.deepEqual(result, echo.output)
    assert.ok(doc.components.schemas.Problem !== undefined && doc.components.schemas.Job !== undefined)
    assert.deepEqual(doc.components.securitySchemes.bearer, {
      type: 'http',
      scheme: 'bearer',
      description: 'a token from `crank-node gateway token create`',
    })
    // Every reference resolves inside the document.
    const refs = [...res.body.matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!)
    assert.ok(refs.length > 0)
    for (const ref of refs) {
      const m = /^#\/components\/schemas\/(.+)$/.exec(ref)
      assert.ok(m !== null && doc.components.schemas[m[1]!] !== undefined, `unresolved $ref ${ref}`)
    }
  })

  it('streams job changes on /v1/events with ids, mesh and stats snapshots, and resumes after Last-Event-ID', async () => {
    const live = await openSse(`${base}/v1/events`)
    const snapshots = await live.read((e) => e.event === 'stats')
    const mesh = snapshots.find((e) => e.event === 'mesh')?.data as { self: string; nodes: Array<{ peer: string; self: boolean }> }
    assert.equal(mesh.self, node.peerId.toString())
    assert.ok(mesh.nodes.some((n) => n.self && n.peer === node.peerId.toString()))
    const { id } = (await submit({ capability: 'example.echo', input: 'live' }, '?wait=true')).json()
    const events = await live.read((e) => e.event === 'job' && e.data.id === id && e.data.state === 'succeeded')
    const mine = events.filter((e) => e.event === 'job' && e.data.id === id)
    assert.deepEqual(
      mine.map((e) => e.data.state),
      ['queued', 'running', 'succeeded'],
    )
    assert.ok(mine.every((e) => e.id !== undefined))
    assert.equal(mine[0]!.data.capability, 'example.echo')
    live.close()
    const resumed = await openSse(`${base}/v1/events`, { 'last-event-id': mine[0]!.id! })
    const replay = await resumed.read((e) => e.event === 'job' && e.data.id === id && e.data.state === 'succeeded')
    resumed.close()
    assert.deepEqual(
      replay.filter((e) => e.event === 'job' && e.data.id === id).map((e) => e.data.state),
      ['running', 'succeeded'],
    )
    const stats = (await inject({ method: 'GET', url: '/v1/stats' })).json() as { points: Array<{ submitted: number; served: number }> }
    assert.ok(stats.points.reduce((n, p) => n + p.submitted, 0) > 0)
    assert.ok(stats.points.reduce((n, p) => n + p.served, 0) > 0)
  })

  it('answers the probes: alive, not ready while isolated, metrics only when the node has them', async () => {
    assert.deepEqual((await inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' })
    const ready = assertProblem(await inject({ method: 'GET', url: '/readyz' }), 503, 'not_ready')
    assert.deepEqual(ready.details, { started: true, member: true, notIsolated: false })
    assertProblem(await inject({ method: 'GET', url: '/metrics' }), 404, 'not_found')
    Object.defineProperty(node, 'metrics', {
      configurable: true,
      value: { contentType: 'text/plain; version=0.0.4; charset=utf-8', text: async () => 'crank_jobs_total 3\n' },
    })
    try {
      const metrics = await inject({ method: 'GET', url: '/metrics' })
      assert.equal(metrics.statusCode, 200)
      assert.equal(metrics.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8')
      assert.equal(metrics.body, 'crank_jobs_total 3\n')
    } finally {
      delete (node as { metrics?: unknown }).metrics
    }
    const status = (await inject({ method: 'GET', url: '/v1/status' })).json()
    assert.equal(status.peerId, node.peerId.toString())
    assert.equal(status.member, true)
    assert.equal(status.gateway.jobStore, false)
  })

  it('serves the dashboard page and every file it loads, under a strict Content-Security-Policy', async () => {
    const page = await fetch(`${base}/`)
    assert.equal(page.status, 200)
    assert.match(String(page.headers.get('content-type')), /^text\/html/)
    assert.match(String(page.headers.get('content-security-policy')), /script-src 'self'/)
    const html = await page.text()
    assert.match(html, /<table id="jobs">/)
    assert.match(html, /<caption>/)
    const assets = [...html.matchAll(/(?:src|href)="(\/dashboard\/[^"]+)"/g)].map((m) => m[1]!)
    assert.deepEqual(assets.sort(), ['/dashboard/app.js', '/dashboard/icon.svg', '/dashboard/style.css'])
    const app = await (await fetch(`${base}/dashboard/app.js`)).text()
    const imports = [...app.matchAll(/from '\.\/([^']+)'/g)].map((m) => `/dashboard/${m[1]}`)
    assert.deepEqual(imports.sort(), ['/dashboard/chart.js', '/dashboard/sse.js'])
    for (const asset of [...assets, ...imports]) {
      const res = await fetch(`${base}${asset}`)
      assert.equal(res.status, 200, asset)
      const type = asset.endsWith('.css') ? /^text\/css/ : asset.endsWith('.svg') ? /^image\/svg\+xml/ : /^text\/javascript/
      assert.match(String(res.headers.get('content-type')), type)
      assert.ok((await res.text()).length > 100, asset)
    }
  })

  it('reads, follows and cancels jobs through the node’s job store when it has one', async () => {
    const summary = (id: string, state: JobSummary['state']): JobSummary => ({
      id,
      capability: 'example.echo',
      state,
      attempts: 1,
      durable: true,
      replayable: true,
      createdAt: 1,
    })
    const records: Record<string, JobSummary> = { 'stored-1': summary('stored-1', 'succeeded'), 'stored-2': summary('stored-2', 'running') }
    const history: Record<string, JobEventRecord[]> = {
      'stored-1': [
        { seq: 1, at: 1, type: 'queued' },
        { seq: 2, at: 2, type: 'succeeded' },
      ],
      'stored-2': [{ seq: 1, at: 1, type: 'queued' }],
    }
    // What the store's feed reports after a subscriber joins: another job, an event already in the history, then stored-2 to its end.
    const script: JobChange[] = [
      { id: 'elsewhere', state: 'running', event: { seq: 5, at: 3, type: 'running', peer: 'local', version: '1.0.0' } },
      { id: 'stored-2', state: 'queued', event: { seq: 1, at: 1, type: 'queued' } },
      { id: 'stored-2', state: 'running', event: { seq: 2, at: 4, type: 'running', peer: 'local', version: '1.0.0' } },
      { id: 'stored-2', state: 'succeeded', event: { seq: 3, at: 5, type: 'succeeded' } },
    ]
    const filters: unknown[] = []
    const cancelled: string[] = []
    const known = (id: string): JobSummary => {
      const r = records[id]
      if (r === undefined) throw new CrankError('unknown_job', `no job ${id}`)
      return r
    }
    const store: Partial<JobsApi> = {
      list: async (filter) => {
        filters.push(filter)
        return [records['stored-1']!]
      },
      get: async (id) =>
        ({
          ...known(id),
          versionRange: '',
          params: {},
          options: {},
          input: { kind: 'none', bytes: 0 },
          outputKept: true,
          eventCount: 2,
        }) as JobRecord,
      events: async (id, after = 0) => (history[known(id).id] ?? []).filter((e) => e.seq > after),
      output: async (id) => (known(id).state === 'succeeded' ? Buffer.from('kept by the store') : undefined),
      cancel: async (id) => {
        known(id)
        cancelled.push(id)
      },
      changes: (opts) => ({
        async *[Symbol.asyncIterator]() {
          yield* script
          await new Promise((resolve) => opts?.signal?.addEventListener('abort', resolve, { once: true }))
        },
      }),
    }
    Object.defineProperty(node, 'jobs', { configurable: true, value: store })
    const withStore = await buildGateway(node, { listen: '127.0.0.1:0' })
    const get = (url: string, headers: Record<string, string> = {}) => withStore.app.inject({ method: 'GET', url, headers })
    try {
      const listed = (await get('/v1/jobs?state=succeeded&capability=example.echo&limit=5')).json()
      assert.equal(listed.source, 'store')
      assert.deepEqual(
        listed.jobs.map((j: { id: string; links: { self: string } }) => [j.id, j.links.self]),
        [['stored-1', '/v1/jobs/stored-1']],
      )
      assert.deepEqual(filters, [{ limit: 5, state: ['succeeded'], capability: 'example.echo' }])
      const one = (await get('/v1/jobs/stored-1')).json()
      assert.equal(one.durable, true)
      assert.equal(one.eventCount, 2)
      assertProblem(await get('/v1/jobs/missing'), 404, 'unknown_job')
      assertProblem(await get('/v1/jobs/missing/events'), 404, 'unknown_job')
      const ended = await get('/v1/jobs/stored-1/events')
      assert.match(ended.body, /^id: 1\nevent: queued\ndata: \{"jobId":"stored-1"/m)
      assert.match(ended.body, /^id: 2\nevent: succeeded\n/m)
      assert.equal((await get('/v1/jobs/stored-1/events', { 'last-event-id': '2' })).statusCode, 204)
      // A running job: its history, then its changes from the feed (others' and repeats skipped) until it ends.
      const live = await get('/v1/jobs/stored-2/events')
      assert.deepEqual(
        [...live.body.matchAll(/^id: (\d+)\nevent: (\w+)$/gm)].map((m) => `${m[1]}:${m[2]}`),
        ['1:queued', '2:running', '3:succeeded'],
      )
      assert.equal((await get('/v1/jobs/stored-1/output')).body, 'kept by the store')
      assertProblem(await get('/v1/jobs/stored-2/output'), 404, 'output_unavailable')
      const cancel = await withStore.app.inject({ method: 'DELETE', url: '/v1/jobs/stored-2' })
      assert.equal(cancel.statusCode, 202)
      assert.deepEqual(cancelled, ['stored-2'])
      const status = (await get('/v1/status')).json()
      assert.equal(status.gateway.jobStore, true)
    } finally {
      await withStore.close()
      delete (node as { jobs?: unknown }).jobs
    }
  })
})
