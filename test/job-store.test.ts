/**
 * The job store through real nodes (TCP + TLS + yamux on loopback, enrolled in a test CA) and real
 * SQLite files in temp dirs: what is recorded, idempotency, repeats answered by a provider, dead
 * letters, the store's failures at start and when full, retention. The kill -9 cases are in
 * job-store-recovery.test.ts.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import pino from 'pino'
import echo from '../capabilities/example.echo/index.ts'
import { registerJobsCommands } from '../src/cli/jobs-commands.ts'
import { defineCapability, JobError } from '../src/index.ts'
import { JobRetention } from '../src/jobs/job-retention.ts'
import { JobStore } from '../src/jobs/job-store.ts'
import type { JobChange } from '../src/jobs/jobs-api.ts'
import { type CrankNode, createNode, type NodeInit } from '../src/node.ts'
import { slowCapability } from './helpers/capabilities.ts'
import { storeOf } from './helpers/node-store.ts'
import { enrol } from './helpers/trust.ts'
import { until } from './helpers/wait.ts'

const dirs: string[] = []
const tempDir = (name: string): string => {
  const d = mkdtempSync(join(tmpdir(), `crank-store-${name}-`))
  dirs.push(d)
  return d
}
const running: CrankNode[] = []

async function start(name: string, init: NodeInit = {}): Promise<CrankNode> {
  const node = await createNode({
    listen: ['/ip4/127.0.0.1/tcp/0'],
    logLevel: 'silent',
    mesh: { dht: false },
    ...(await enrol({ name })),
    ...init,
  })
  await node.start()
  running.push(node)
  return node
}

async function stop(node: CrankNode): Promise<void> {
  running.splice(running.indexOf(node), 1)
  await node.stop({ drainTimeoutMs: 0 })
}

/** `a` learns of `b` as a provider (its advert arrives). */
async function meet(a: CrankNode, b: CrankNode): Promise<void> {
  await a.connect(b.multiaddrs[0]!)
  await until('the provider advert', () => a.mesh.get(b.peerId.toString()) !== undefined)
}

/** Fails with a retryable `busy` while `state.broken`, else answers `{ ok: true }`. */
function toggleCapability(id: string, state: { broken: boolean; runs: number }) {
  return defineCapability<Record<string, never>, { ok: boolean }>({
    id,
    version: '1.0.0',
    description: 'fails while broken',
    input: { type: 'object' },
    output: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
    errors: { busy: { retryable: true, description: 'try another provider' } },
    handler: async () => {
      state.runs++
      if (state.broken) throw new JobError('busy', 'broken for now')
      return { ok: true }
    },
  })
}

async function* chunks(n: number, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < n; i++) yield new Uint8Array(size).fill(i)
}

describe('job store (real nodes, real SQLite files)', function () {
  this.timeout(60_000)
  afterEach(async () => {
    await Promise.all(running.splice(0).map((n) => n.stop({ drainTimeoutMs: 0 })))
  })
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  it('records every transition with its time: queued, routed, running, retrying, then the end, with route, attempts and result', async () => {
    const here = { broken: true, runs: 0 }
    const there = { broken: false, runs: 0 }
    const provider = await start('provider', { capabilities: [toggleCapability('test.toggle', there)], dataDir: tempDir('provider') })
    const submitter = await start('submitter', { capabilities: [toggleCapability('test.toggle', here)], dataDir: tempDir('submitter') })
    await meet(submitter, provider)
    const h = submitter.submit({ capability: 'test.toggle', durable: true })
    const result = await h.result
    assert.deepEqual(result.value, { ok: true })
    const events = await storeOf(submitter).events(h.id)
    const far = provider.peerId.toString()
    assert.deepEqual(
      events.map((e) => [
        e.seq,
        e.type,
        'peer' in e ? (e.peer === far ? 'far' : e.peer) : undefined,
        'attempt' in e ? e.attempt : undefined,
      ]),
      [
        [1, 'queued', undefined, undefined],
        [2, 'routed', 'local', 1],
        [3, 'running', 'local', undefined],
        [4, 'retrying', 'local', 1],
        [5, 'routed', 'far', 2],
        [6, 'running', 'far', undefined],
        [7, 'succeeded', undefined, undefined],
      ],
    )
    for (let i = 1; i < events.length; i++) assert.ok(events[i]!.at >= events[i - 1]!.at, 'event times never go back')
    const retry = events[3]!
    assert.equal(retry.type === 'retrying' && retry.error.code, 'busy')
    const rec = await storeOf(submitter).get(h.id)
    assert.equal(rec.state, 'succeeded')
    assert.equal(rec.attempts, 2)
    // It serves the capability itself, so going elsewhere after its own try reads "local-saturated".
    assert.deepEqual(rec.route, { peer: far, reason: 'local-saturated' })
    assert.equal(rec.version, '1.0.0')
    assert.deepEqual(rec.result, { ok: true })
    assert.equal(rec.durable, true)
    assert.ok(rec.startedAt !== undefined && rec.endedAt !== undefined && rec.startedAt <= rec.endedAt)
    assert.equal(rec.durationMs, rec.endedAt - rec.createdAt)
    // The provider's side of the same job, in its own store.
    const served = await storeOf(provider).served()
    assert.deepEqual(
      served.map((s) => [s.jobId, s.caller, s.state, s.idempotencyKey]),
      [[h.id, submitter.peerId.toString(), 'succeeded', h.id]],
    )
    assert.equal(provider.journal.get(h.id)?.state, 'succeeded', 'node.journal still follows served jobs')
  })

  it('an idempotency key runs its job once: 100 concurrent submits, one run, one id, one result; also after a restart', async () => {
    let runs = 0
    const cap = slowCapability('test.slow', { onStart: () => runs++ })
    const dataDir = tempDir('idem')
    const identity = await enrol({ name: 'idem' })
    const init = { ...identity, dataDir, capabilities: [cap] }
    const node = await start('idem', init)
    const handles = Array.from({ length: 100 }, () =>
      node.submit({ capability: 'test.slow', params: { ms: 20 }, idempotencyKey: 'order-42', durable: true }),
    )
    const reports = await Promise.all(handles.map((h) => h.result))
    assert.equal(runs, 1)
    assert.equal(new Set(handles.map((h) => h.id)).size, 1)
    for (const r of reports) assert.deepEqual(r.value, { waited: 20 })
    // Later, and with other params: still the first job.
    const again = await node.submit({ capability: 'test.slow', params: { ms: 5 }, idempotencyKey: 'order-42' }).result
    assert.equal(again.jobId, handles[0]!.id)
    assert.deepEqual(again.value, { waited: 20 })
    assert.equal((await storeOf(node).list()).length, 1)
    await stop(node)
    const restarted = await start('idem', init)
    const after = await restarted.submit({ capability: 'test.slow', params: { ms: 20 }, idempotencyKey: 'order-42' }).result
    assert.equal(after.jobId, handles[0]!.id)
    assert.deepEqual(after.value, { waited: 20 })
    assert.equal(runs, 1)
  })

  it('a provider answers the repeat of a durable job from its store instead of running it again (unless the capability is idempotent)', async () => {
    const done = { slow: 0, pure: 0 }
    const pure = slowCapability('test.pure', { onDone: () => done.pure++, idempotent: true })
    const provider = await start('repeat-provider', {
      dataDir: tempDir('repeat-provider'),
      capabilities: [slowCapability('test.slow', { onDone: () => done.slow++ }), pure],
    })
    // Two stores, one identity: a node that lost its store and sends the same jobs again.
    const identity = await enrol({ name: 'repeater' })
    const first = await start('repeater', { ...identity, dataDir: tempDir('repeater-1') })
    await meet(first, provider)
    const a = await first.submit({ capability: 'test.slow', params: { ms: 1 }, jobId: 'repeat-1', durable: true }).result
    const b = await first.submit({ capability: 'test.pure', params: { ms: 1 }, jobId: 'repeat-2', durable: true }).result
    await stop(first)
    const second = await start('repeater', { ...identity, dataDir: tempDir('repeater-2') })
    await meet(second, provider)
    const a2 = await second.submit({ capability: 'test.slow', params: { ms: 1 }, jobId: 'repeat-1', durable: true }).result
    const b2 = await second.submit({ capability: 'test.pure', params: { ms: 1 }, jobId: 'repeat-2', durable: true }).result
    assert.deepEqual([a2.value, b2.value], [a.value, b.value])
    assert.equal(done.slow, 1, 'answered from the store')
    assert.equal(done.pure, 2, 'an idempotent capability just runs again')
  })

  it('dead letters: a job that fails after its attempts stays failed; retry runs it again, purge deletes it', async () => {
    const state = { broken: true, runs: 0 }
    const farState = { broken: true, runs: 0 }
    const far = await start('far', { capabilities: [toggleCapability('test.toggle', farState)] })
    const node = await start('letters', {
      dataDir: tempDir('letters'),
      capabilities: [toggleCapability('test.toggle', state)],
      store: { inlineInputBytes: 16, maxInputBytes: 1000 },
    })
    await meet(node, far)
    const dead = await node.submit({ capability: 'test.toggle', durable: true }).outcome
    assert.equal(dead.state, 'failed')
    assert.equal(dead.error?.code, 'busy')
    assert.equal(dead.attempts, 2, 'here, then the other provider')
    const more = await Promise.all([1, 2].map(() => node.submit({ capability: 'test.toggle' }).outcome))
    // Input past store.maxInputBytes is not kept: that job cannot be run again.
    const unkept = await node.submit({ capability: 'test.toggle', input: new Uint8Array(5000), durable: true }).outcome
    const failed = await storeOf(node).list({ state: 'failed' })
    assert.deepEqual(failed.map((j) => j.id).sort(), [dead.jobId, ...more.map((m) => m.jobId), unkept.jobId].sort())
    const u = await storeOf(node).get(unkept.jobId)
    assert.equal(u.replayable, false)
    assert.deepEqual(u.input, { kind: 'stream', bytes: 5000 })
    await assert.rejects(storeOf(node).retry(unkept.jobId), { code: 'not_replayable' })

    state.broken = false
    assert.deepEqual(await storeOf(node).retry(dead.jobId), [dead.jobId])
    const retried = await storeOf(node).wait(dead.jobId)
    assert.equal(retried.state, 'succeeded')
    assert.equal(retried.attempts, 3, 'attempts count on')
    const kinds = (await storeOf(node).events(dead.jobId)).map((e) => (e.type === 'resumed' ? `resumed:${e.why}` : e.type))
    assert.deepEqual(kinds.slice(-4), ['resumed:retry', 'routed', 'running', 'succeeded'])
    await assert.rejects(storeOf(node).retry(dead.jobId), { code: 'invalid_state' }, 'a job that succeeded is not retried')

    // By filter: the failed jobs whose input was kept (not the unkept one).
    const bulk = await storeOf(node).retry({ state: 'failed' })
    assert.deepEqual(bulk.sort(), more.map((m) => m.jobId).sort())
    for (const id of bulk) assert.equal((await storeOf(node).wait(id)).state, 'succeeded')

    assert.equal(await storeOf(node).purge({ state: 'succeeded' }), 3)
    await assert.rejects(storeOf(node).get(dead.jobId), { code: 'unknown_job' })
    assert.deepEqual(
      (await storeOf(node).list()).map((j) => j.id),
      [unkept.jobId],
    )
    await assert.rejects(storeOf(node).purge({ state: 'running' }), { code: 'invalid_option' })
  })

  it('an unknown job id is a clear unknown_job error', async () => {
    const node = await start('unknown', { dataDir: tempDir('unknown') })
    for (const call of [
      () => storeOf(node).get('nope'),
      () => storeOf(node).events('nope'),
      () => storeOf(node).output('nope'),
      () => storeOf(node).wait('nope'),
      () => storeOf(node).retry('nope'),
      () => storeOf(node).cancel('nope'),
    ]) {
      await assert.rejects(call(), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'unknown_job')
        assert.match(err.message, /no job "nope"/)
        return true
      })
    }
    await assert.rejects(storeOf(node).list({ state: 'done' as never }), { code: 'invalid_option' })
  })

  it('a corrupt database stops the node at start with store_corrupt, and is left as it was', async () => {
    const garbage = tempDir('corrupt')
    const file = join(garbage, 'jobs.db')
    writeFileSync(file, 'this is not a database, but somebody may want it back\n'.repeat(200))
    const before = readFileSync(file)
    await assert.rejects(start('corrupt', { dataDir: garbage }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'store_corrupt')
      assert.match(err.message, /left untouched/)
      return true
    })
    assert.deepEqual(readFileSync(file), before)
    assert.deepEqual(readdirSync(garbage).sort(), ['jobs.db'])

    // A real store whose pages were overwritten: its header reads, its table does not.
    const damaged = tempDir('damaged')
    const node = await start('damaged', { dataDir: damaged, capabilities: [slowCapability('test.slow')] })
    await Promise.all(Array.from({ length: 200 }, () => node.submit({ capability: 'test.slow', params: { ms: 0 } }).result))
    await stop(node)
    const path = join(damaged, 'jobs.db')
    const bytes = readFileSync(path)
    bytes.fill(0xa5, 4096, bytes.length)
    writeFileSync(path, bytes)
    const mangled = readFileSync(path)
    await assert.rejects(start('damaged', { dataDir: damaged }), { code: 'store_corrupt' })
    assert.deepEqual(readFileSync(path), mangled)
  })

  it('a second node on the same data dir: store_locked, and the first keeps its store', async () => {
    const dataDir = tempDir('locked')
    const first = await start('locked-1', { dataDir, capabilities: [slowCapability('test.slow')] })
    await assert.rejects(start('locked-2', { dataDir }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'store_locked')
      assert.match(err.message, /already running from this data dir/)
      return true
    })
    assert.equal((await first.submit({ capability: 'test.slow', params: { ms: 0 }, durable: true }).result).state, 'succeeded')
  })

  it('input that does not fit ends the job failed `store_full` (a tiny store.maxDiskBytes stands in for a full disk)', async () => {
    let runs = 0
    const dataDir = tempDir('full')
    const node = await start('full', {
      dataDir,
      capabilities: [slowCapability('test.slow', { onStart: () => runs++ }), echo],
      store: { inlineInputBytes: 16, maxDiskBytes: 1000 },
    })
    const whole = node.submit({ capability: 'test.slow', params: { ms: 0 }, input: new Uint8Array(5000), durable: true })
    await assert.rejects(whole.stored, { code: 'store_full' })
    const r = await whole.outcome
    assert.deepEqual([r.state, r.error?.code], ['failed', 'store_full'])
    assert.equal(runs, 0, 'never routed')
    // A stream is kept as the job reads it: example.echo reads all of it.
    const streamed = await node.submit({ capability: 'example.echo', input: chunks(10, 500), durable: true }).outcome
    assert.deepEqual([streamed.state, streamed.error?.code], ['failed', 'store_full'])
    for (const id of [r.jobId, streamed.jobId]) assert.equal((await storeOf(node).get(id)).error?.code, 'store_full')
    assert.deepEqual(readdirSync(join(dataDir, 'jobs')), [], 'no partial input file is left')
  })

  it('streamed input is kept as it is read, up to store.maxInputBytes, so the job can be run again', async () => {
    const node = await start('stream', {
      dataDir: tempDir('stream'),
      capabilities: [echo],
      store: { inlineInputBytes: 16 },
    })
    const r = await node.submit({ capability: 'example.echo', input: chunks(3, 1000), durable: true }).result
    assert.equal(r.output?.byteLength, 3000)
    const rec = await storeOf(node).get(r.jobId)
    assert.deepEqual(rec.input, { kind: 'file', bytes: 3000 })
    assert.equal(rec.replayable, true)
    assert.deepEqual(Buffer.from((await storeOf(node).output(r.jobId)) ?? []), Buffer.from(r.output ?? []))
  })

  it("a repeat of a keyed job gets the first run's kept output, collected or streamed", async () => {
    const node = await start('repeat-output', { dataDir: tempDir('repeat-output'), capabilities: [echo] })
    const first = await node.submit({ capability: 'example.echo', input: 'kept bytes', idempotencyKey: 'out-1' }).result
    const collected = await node.submit({ capability: 'example.echo', input: 'other', idempotencyKey: 'out-1' }).result
    assert.equal(collected.jobId, first.jobId)
    assert.equal(Buffer.from(collected.output ?? []).toString(), 'kept bytes')
    const streamed = node.submit({ capability: 'example.echo', input: 'other', idempotencyKey: 'out-1', output: 'stream' })
    assert.equal(streamed.replayed, true)
    const parts: Uint8Array[] = []
    for await (const e of streamed) if (e.type === 'output') parts.push(e.data)
    assert.equal(Buffer.concat(parts).toString(), 'kept bytes')
    assert.equal((await streamed.outcome).state, 'succeeded')
  })

  it('a stopped node leaves its durable jobs unfinished, and the next start runs them to the end', async () => {
    const dataDir = tempDir('restart')
    const identity = await enrol({ name: 'restart' })
    const gate = { open: false }
    const waiting = defineCapability<Record<string, never>, { ok: boolean }>({
      id: 'test.gate',
      version: '1.0.0',
      description: 'waits for the gate',
      input: { type: 'object' },
      output: { type: 'object' },
      handler: async (ctx) => {
        while (!gate.open) {
          ctx.signal.throwIfAborted()
          await new Promise((r) => setTimeout(r, 5))
        }
        return { ok: true }
      },
    })
    const init = { ...identity, dataDir, capabilities: [waiting] }
    const node = await start('restart', init)
    const h = node.submit({ capability: 'test.gate', durable: true })
    const plain = node.submit({ capability: 'test.gate' })
    await until('the job runs', () => node.scheduler.totals().inFlight === 2)
    await stop(node)
    assert.equal((await h.outcome).state, 'cancelled', 'its caller hears the stop')
    assert.equal((await plain.outcome).state, 'cancelled')
    gate.open = true
    const again = await start('restart', init)
    const rec = await storeOf(again).wait(h.id)
    assert.equal(rec.state, 'succeeded')
    assert.equal(rec.attempts, 2)
    const kinds = (await storeOf(again).events(h.id)).map((e) => e.type)
    assert.deepEqual(kinds, ['queued', 'routed', 'running', 'suspended', 'resumed', 'routed', 'running', 'succeeded'])
    assert.equal((await storeOf(again).get(plain.id)).state, 'cancelled', 'a job that was not durable ended with the stop')
  })

  it('storeOf(node).changes follows every event of every job', async () => {
    const node = await start('changes', { dataDir: tempDir('changes'), capabilities: [slowCapability('test.slow')] })
    const abort = new AbortController()
    const seen: JobChange[] = []
    const reading = (async () => {
      for await (const c of storeOf(node).changes({ signal: abort.signal })) {
        seen.push(c)
        if (c.state === 'succeeded') abort.abort()
      }
    })()
    const h = node.submit({ capability: 'test.slow', params: { ms: 1 } })
    await reading
    assert.deepEqual(
      seen.map((c) => [c.id, c.event.type, c.state]),
      [
        [h.id, 'queued', 'queued'],
        [h.id, 'routed', 'routed'],
        [h.id, 'running', 'running'],
        [h.id, 'succeeded', 'succeeded'],
      ],
    )
  })

  it('without a data dir there is no store: durable and idempotency keys are refused, node.jobs is undefined', async () => {
    const node = await start('nostore', { capabilities: [slowCapability('test.slow')] })
    for (const opts of [{ durable: true }, { idempotencyKey: 'k' }]) {
      const r = await node.submit({ capability: 'test.slow', params: { ms: 0 }, ...opts }).outcome
      assert.equal(r.error?.code, 'invalid_option')
      assert.match(r.error?.message ?? '', /needs a job store/)
    }
    assert.equal(node.jobs, undefined)
    assert.equal((await node.submit({ capability: 'test.slow', params: { ms: 0 } }).result).state, 'succeeded')
    assert.equal(existsSync(join(tmpdir(), 'jobs.db')), false)
  })

  it('retention deletes ended jobs past their count in the background, with their input files', async () => {
    const dataDir = tempDir('retention')
    const node = await start('retention', {
      dataDir,
      capabilities: [slowCapability('test.slow')],
      store: { inlineInputBytes: 16, retentionJobs: 5, pruneIntervalMs: 100 },
    })
    for (let i = 0; i < 12; i++)
      await node.submit({ capability: 'test.slow', params: { ms: 0 }, input: new Uint8Array(100), durable: true }).result
    await until('retention keeps 5', () => readdirSync(join(dataDir, 'jobs')).length === 5)
    assert.equal((await storeOf(node).list({ limit: 100 })).length, 5)
  })

  it('retention by age keeps jobs that have not ended', () => {
    const dir = tempDir('age')
    const log = pino({ level: 'silent' })
    const store = new JobStore({
      path: join(dir, 'jobs.db'),
      inputDir: join(dir, 'jobs'),
      flushIntervalMs: 5,
      synchronous: 'normal',
      inlineInputBytes: 16,
      maxInputBytes: 1 << 20,
      maxDiskBytes: 1 << 20,
      maxOutputBytes: 1 << 20,
      log,
    })
    try {
      const job = (id: string) => ({ id, capability: 'x.y', versionRange: '', params: {}, options: {}, durable: true, input: undefined })
      for (const id of ['a', 'b', 'c']) store.submitted(job(id), () => {})
      for (const id of ['a', 'b']) void store.ended(id, { jobId: id, state: 'succeeded', value: 1, attempts: 1, durationMs: 1 })
      store.served({
        jobId: 's',
        caller: 'peer',
        capability: 'x.y',
        version: '1.0.0',
        state: 'succeeded',
        startedAt: 1,
        endedAt: Date.now(),
      })
      const retention = new JobRetention(store, { maxAgeMs: 60_000, maxJobs: 100, intervalMs: 60_000, log })
      assert.deepEqual(retention.prune(Date.now()), { jobs: 0, served: 0 }, 'young jobs stay')
      assert.deepEqual(retention.prune(Date.now() + 61_000), { jobs: 2, served: 1 })
      assert.deepEqual(
        store.list().map((j) => [j.id, j.state]),
        [['c', 'queued']],
      )
    } finally {
      store.close()
    }
  })

  it('the jobs commands print node.jobs as text and JSON: ls, show, logs, wait, retry, purge', async () => {
    const state = { broken: true, runs: 0 }
    const node = await start('cli', { dataDir: tempDir('cli'), capabilities: [toggleCapability('test.toggle', state)] })
    const failed = await node.submit({ capability: 'test.toggle', durable: true }).outcome
    let out = ''
    const exits: number[] = []
    const cli = async (...args: string[]): Promise<string> => {
      out = ''
      const program = new Command('crank-node').exitOverride()
      registerJobsCommands(program, async () => storeOf(node), { write: (t) => (out += t), exit: (c) => exits.push(c) })
      await program.parseAsync(args, { from: 'user' })
      return out
    }
    assert.match(await cli('jobs', 'ls'), new RegExp(`^ID +STATE +CAPABILITY.*\n${failed.jobId} +failed +test.toggle +1 +local .* busy\n$`))
    assert.deepEqual(
      (JSON.parse(await cli('jobs', 'ls', '--state', 'failed', '--since', '1h', '--json')) as Array<{ id: string }>).map((j) => j.id),
      [failed.jobId],
    )
    assert.equal(await cli('jobs', 'ls', '--state', 'succeeded'), 'no jobs\n')
    assert.match(await cli('jobs', 'show', failed.jobId), /state +failed\n[\s\S]*error +busy \(retryable\): broken for now/)
    assert.match(
      await cli('jobs', 'logs', failed.jobId),
      /1 {2}queued\n.*2 {2}routed to local \(local\), attempt 1\n.*3 {2}running on local.*\n.*4 {2}retrying after attempt 1 on local failed: busy.*\n.*5 {2}failed: busy/,
    )
    await cli('jobs', 'wait', failed.jobId)
    assert.deepEqual(exits, [1], 'wait exits 1 for a job that failed')
    state.broken = false
    assert.equal(await cli('jobs', 'retry', '--state', 'failed'), `retried 1: ${failed.jobId}\n`)
    assert.match(await cli('jobs', 'wait', failed.jobId, '--json'), /"state": "succeeded"/)
    assert.equal(await cli('jobs', 'purge', '--before', '2999-01-01'), 'purged 1 ended job(s)\n')
    await assert.rejects(cli('jobs', 'ls', '--since', 'yesterday'), { code: 'invalid_option' })
    await assert.rejects(cli('jobs', 'retry'), { code: 'invalid_option' })
  })
})
