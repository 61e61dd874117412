/**
 * The HTTP gateway of a real `crank-node start` process, in a 3-node enrolled mesh of OS processes,
 * driven with Node's fetch as an outside client would: raw and JSON submissions, SSE, idempotency,
 * auth, the access policy, limits, cancellation on a remote provider, /metrics and /openapi.json.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Validator } from '@seriousme/openapi-schema-validator'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { cli, type NodeProcess, startNodeProcess, waitFor } from './helpers/cli-process.ts'

const execFileP = promisify(execFile)

interface SseEvent {
  event: string
  id?: string
  data: string
}

/** Reads a whole SSE stream (the server ends it after the terminal event). */
async function readSse(res: Response): Promise<SseEvent[]> {
  const text = await res.text()
  const events: SseEvent[] = []
  for (const block of text.split('\n\n')) {
    let event = 'message'
    let id: string | undefined
    const data: string[] = []
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7)
      else if (line.startsWith('id: ')) id = line.slice(4)
      else if (line.startsWith('data: ')) data.push(line.slice(6))
    }
    if (data.length > 0) events.push({ event, ...(id === undefined ? {} : { id }), data: data.join('\n') })
  }
  return events
}

async function mergeConfig(dataDir: string, extra: Record<string, unknown>): Promise<void> {
  const file = join(dataDir, 'config.json')
  const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
  await writeFile(file, JSON.stringify({ ...config, ...extra }, null, 2))
}

describe('HTTP gateway of a crank-node process in a 3-process mesh', function () {
  this.timeout(90_000)
  let dir: string
  const nodes: NodeProcess[] = []
  let url: string
  let token: string
  const auth = (): Record<string, string> => ({ authorization: `Bearer ${token}` })

  before(async function () {
    // Seven CLI processes and three nodes, each loading the whole stack (see mesh-processes.test.ts).
    this.timeout(240_000)
    dir = await mkdtemp(join(tmpdir(), 'crank-gw-mesh-'))
    const names = ['a', 'b', 'c']
    const setup = await Promise.all([
      cli(['ca', 'init', '--ca-dir', join(dir, 'ca')]),
      ...names.map((name) => cli(['init', '--data-dir', join(dir, name), '--name', name])),
    ])
    for (const r of setup) assert.equal(r.code, 0, r.stderr)
    for (const name of names) {
      const issued = await cli(['ca', 'issue', '--ca-dir', join(dir, 'ca'), '--data-dir', join(dir, name), '--name', name])
      assert.equal(issued.code, 0, issued.stderr)
    }
    // Tokens carry no scopes: the 403 comes from b's access policy, which lets only c run document.convert.
    const policy = join(dir, 'b-policy.json')
    await writeFile(policy, JSON.stringify({ default: 'members', rules: [{ capability: 'document.convert', allow: { names: ['c'] } }] }))
    await mergeConfig(join(dir, 'b'), { trust: { policyFile: policy } })
    await mergeConfig(join(dir, 'a'), { gateway: { maxBodyBytes: 64 * 1024 } })
    const created = await cli(['gateway', 'token', 'create', '--data-dir', join(dir, 'a'), '--name', 'test'])
    assert.equal(created.code, 0, created.stderr)
    token = created.stdout.trim()
    assert.match(token, /^crank_\S{43}$/)
    const a = await startNodeProcess(join(dir, 'a'), ['--ca-dir', join(dir, 'ca'), '--http', '127.0.0.1:0'])
    nodes.push(a)
    // b logs at debug level: its "job ended" lines tell how a job ended on the provider.
    nodes.push(
      ...(await Promise.all([
        startNodeProcess(join(dir, 'b'), ['--bootstrap', a.addr, '--log-level', 'debug']),
        startNodeProcess(join(dir, 'c'), ['--bootstrap', a.addr]),
      ])),
    )
    url = (
      await waitFor(
        () => a.logs.find((l) => l.msg === 'gateway listening'),
        (v) => v !== undefined,
      )
    )?.url as string
    // The gateway sees both providers before the tests route jobs to them.
    const peers = [nodes[1]!.peerId, nodes[2]!.peerId]
    const deadline = Date.now() + 60_000
    for (;;) {
      const mesh = (await (await fetch(`${url}/v1/mesh`, { headers: auth() })).json()) as { nodes: Array<{ peer: string }> }
      if (peers.every((p) => mesh.nodes.some((n) => n.peer === p))) break
      if (Date.now() > deadline) throw new Error(`providers never appeared: ${JSON.stringify(mesh)}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  })

  after(async () => {
    for (const n of nodes) n.proc.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })

  it('runs a raw-body job and returns its result and output', async () => {
    const body = Buffer.from('raw bytes over HTTP')
    const res = await fetch(`${url}/v1/jobs?capability=example.echo&wait=true&params=${encodeURIComponent('{"echo":"raw"}')}`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/octet-stream' },
      body,
    })
    assert.equal(res.status, 200)
    const job = (await res.json()) as { state: string; result: unknown; links: { output: string } }
    assert.equal(job.state, 'succeeded')
    assert.deepEqual(job.result, { echo: 'raw', bytes: body.length, chunks: 1 })
    const out = await fetch(`${url}${job.links.output}`, { headers: auth() })
    assert.equal(await out.text(), body.toString())
  })

  it('runs a raw-body job submitted with curl', async function () {
    const curl = ['/usr/bin/curl', '/bin/curl'].find((p) => existsSync(p))
    if (curl === undefined) this.skip()
    const { stdout } = await execFileP(curl!, [
      '-sS',
      '--fail-with-body',
      '-H',
      `Authorization: Bearer ${token}`,
      '-H',
      'Content-Type: application/octet-stream',
      '--data-binary',
      'from curl',
      `${url}/v1/jobs?capability=example.echo&wait=true`,
    ])
    const job = JSON.parse(stdout) as { state: string; result: { bytes: number } }
    assert.equal(job.state, 'succeeded')
    assert.equal(job.result.bytes, 9)
  })

  it('streams a job’s events over SSE in order, ending in its terminal state', async () => {
    const res = await fetch(`${url}/v1/jobs`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ capability: 'example.echo', params: { progressEvery: 4 }, input: 'sixteen bytes!!!' }),
    })
    assert.equal(res.status, 202)
    const { links } = (await res.json()) as { links: { events: string } }
    const events = await readSse(await fetch(`${url}${links.events}`, { headers: auth() }))
    const names = events.map((e) => e.event)
    assert.equal(names[0], 'accepted', names.join(','))
    assert.equal(names.at(-1), 'succeeded', names.join(','))
    assert.ok(names.includes('progress'), names.join(','))
    // Ids are the job's event numbers, output events counted though not sent: increasing, from 1.
    const ids = events.map((e) => Number(e.id))
    assert.equal(ids[0], 1)
    assert.ok(
      ids.every((id, i) => i === 0 || id > ids[i - 1]!),
      ids.join(','),
    )
    assert.equal((JSON.parse(events.at(-1)!.data) as { state: string }).state, 'succeeded')
  })

  it('an Idempotency-Key sent twice gives one job', async () => {
    const send = (): Promise<Response> =>
      fetch(`${url}/v1/jobs?wait=true`, {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'application/json', 'idempotency-key': `key-${dir}` },
        body: JSON.stringify({ capability: 'example.echo', params: { echo: 'once' } }),
      })
    const first = await send()
    const firstJob = (await first.json()) as { id: string }
    const second = await send()
    assert.equal(second.status, 200)
    assert.equal(second.headers.get('idempotent-replayed'), 'true')
    assert.equal(((await second.json()) as { id: string }).id, firstJob.id)
  })

  it('refuses a wrong token (401), a forbidden capability (403) and an oversize body (413)', async () => {
    const wrong = await fetch(`${url}/v1/jobs`, { headers: { authorization: `Bearer crank_${'x'.repeat(43)}` } })
    assert.equal(wrong.status, 401)
    assert.match(wrong.headers.get('www-authenticate') ?? '', /^Bearer/)
    assert.equal(((await wrong.json()) as { code: string }).code, 'unauthorized')
    const forbidden = await fetch(`${url}/v1/jobs`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ capability: 'document.convert', route: nodes[1]!.peerId, input: '# hi' }),
    })
    const problem = (await forbidden.json()) as { code: string }
    assert.equal(forbidden.status, 403, JSON.stringify(problem))
    assert.equal(problem.code, 'forbidden')
    const big = await fetch(`${url}/v1/jobs`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ capability: 'example.echo', input: 'x'.repeat(100 * 1024) }),
    })
    assert.equal(big.status, 413)
    assert.equal(((await big.json()) as { code: string }).code, 'input_too_large')
  })

  it('a job cancelled through DELETE ends cancelled on the remote provider', async () => {
    const b = nodes[1]!
    const res = await fetch(`${url}/v1/jobs`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ capability: 'example.echo', route: b.peerId, params: { delayMs: 60_000 } }),
    })
    assert.equal(res.status, 202)
    const { id } = (await res.json()) as { id: string }
    const del = await fetch(`${url}/v1/jobs/${id}`, { method: 'DELETE', headers: auth() })
    assert.ok(del.status === 200 || del.status === 202, String(del.status))
    await waitFor(
      () => b.logs.filter((l) => l.msg === 'job ended').map((l) => l.state),
      (states) => states.includes('cancelled'),
    )
    const job = (await (await fetch(`${url}/v1/jobs/${id}`, { headers: auth() })).json()) as { state: string; peer: string }
    assert.equal(job.state, 'cancelled')
    assert.equal(job.peer, b.peerId)
  })

  it('/metrics parses as Prometheus text and its jobs counter grows as jobs run', async () => {
    const ended = async (): Promise<number> => {
      const text = await (await fetch(`${url}/metrics`, { headers: auth() })).text()
      const family = parsePrometheusTextFormat(text).find((f) => f.name === 'crank_jobs_ended_total')
      assert.ok(family, 'crank_jobs_ended_total missing')
      assert.equal(family.type, 'COUNTER')
      return family.metrics.reduce((sum, m) => sum + Number(m.value ?? 0), 0)
    }
    const before = await ended()
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${url}/v1/jobs?wait=true`, {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'application/json' },
        body: JSON.stringify({ capability: 'example.echo' }),
      })
      assert.equal(r.status, 200)
    }
    assert.equal(await ended(), before + 3)
  })

  it('/openapi.json is a valid OpenAPI 3.1 document', async () => {
    const doc = (await (await fetch(`${url}/openapi.json`, { headers: auth() })).json()) as { openapi: string }
    assert.match(doc.openapi, /^3\.1\./)
    const validator = new Validator()
    const res = await validator.validate(doc)
    assert.equal(res.valid, true, JSON.stringify(res.errors, null, 1)?.slice(0, 4000))
    assert.equal(validator.version, '3.1')
  })
})
