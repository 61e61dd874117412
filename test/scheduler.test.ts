import assert from 'node:assert/strict'
import pino from 'pino'
import type { JobOutcome } from '../src/controller/executor.ts'
import { type Admission, type ScheduleRequest, Scheduler } from '../src/controller/scheduler.ts'
import { CrankError } from '../src/errors.ts'
import type { PoolStats } from '../src/workers/pool.ts'
import { createRuntime } from '../src/workers/runtime.ts'
import signalIgnoring from './fixtures/capabilities/signal-ignoring/index.ts'

const KEY = 'test.work@1'

/** A job the test finishes by hand, or that ends when its signal fires (as a cooperative handler does). */
interface Held {
  started: boolean
  finish: (outcome?: JobOutcome) => void
  signal?: AbortSignal
}

function heldJob(order: string[], name: string): { held: Held; run: ScheduleRequest['run'] } {
  const held: Held = { started: false, finish: () => {} }
  const run = (signal: AbortSignal): Promise<JobOutcome> => {
    held.started = true
    held.signal = signal
    order.push(name)
    return new Promise((resolve) => {
      held.finish = (outcome = { state: 'succeeded', result: name }) => resolve(outcome)
      signal.addEventListener('abort', () => resolve({ state: 'cancelled', error: (signal.reason as CrankError).toJSON() }), { once: true })
    })
  }
  return { held, run }
}

function accepted(a: Admission): Promise<JobOutcome> {
  assert.ok(a.accepted, a.accepted ? '' : `rejected: ${a.error.code}`)
  return a.outcome
}

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms))

describe('scheduler admission control', () => {
  it('runs up to its concurrency, queues to its bound, and rejects a full queue at once', async () => {
    let changes = 0
    const s = new Scheduler({ onChange: () => changes++ })
    s.register(KEY, { concurrency: 1, queueLimit: 2 })
    const order: string[] = []
    const jobs = ['a', 'b', 'c'].map((name) => heldJob(order, name))
    const outcomes = jobs.map((j, i) => accepted(s.submit({ jobId: `j${i}`, capability: KEY, run: j.run })))
    assert.deepEqual(s.load(KEY), { inFlight: 1, queued: 2, capacity: 1, queueLimit: 2 })
    const full = s.submit({ jobId: 'j3', capability: KEY, run: heldJob(order, 'd').run })
    assert.ok(!full.accepted)
    assert.equal(full.error.code, 'queue_full')
    assert.equal(full.error.retryable, true)
    for (const j of jobs) {
      await tick()
      j.held.finish()
    }
    assert.deepEqual(
      (await Promise.all(outcomes)).map((o) => o.state),
      ['succeeded', 'succeeded', 'succeeded'],
    )
    assert.deepEqual(order, ['a', 'b', 'c'])
    assert.deepEqual(s.load(KEY), { inFlight: 0, queued: 0, capacity: 1, queueLimit: 2 })
    assert.ok(changes > 0, 'figure changes are announced for adverts')
  })

  it('serves high before normal before low, FIFO within a priority', async () => {
    const s = new Scheduler()
    s.register(KEY, { concurrency: 1, queueLimit: 10 })
    const order: string[] = []
    const blocker = heldJob(order, 'blocker')
    const all = [accepted(s.submit({ jobId: 'b', capability: KEY, run: blocker.run }))]
    const queued = [
      ['low-1', 'low'],
      ['normal-1', 'normal'],
      ['high-1', 'high'],
      ['normal-2', 'normal'],
      ['high-2', 'high'],
      ['low-2', 'low'],
    ] as const
    const held = new Map<string, Held>()
    for (const [name, priority] of queued) {
      const j = heldJob(order, name)
      held.set(name, j.held)
      all.push(accepted(s.submit({ jobId: name, capability: KEY, priority, run: j.run })))
    }
    blocker.held.finish()
    const finished = new Set<string>()
    for (;;) {
      await tick()
      const running = [...held].find(([name, h]) => h.started && !finished.has(name))
      if (running === undefined) break
      finished.add(running[0])
      running[1].finish()
    }
    await Promise.all(all)
    assert.deepEqual(order, ['blocker', 'high-1', 'high-2', 'normal-1', 'normal-2', 'low-1', 'low-2'])
  })

  it('a job that waits past its queue timeout or deadline ends expired; a cancel while queued ends it cancelled', async () => {
    const s = new Scheduler()
    s.register(KEY, { concurrency: 1, queueLimit: 5, queueTimeoutMs: 80 })
    const order: string[] = []
    const blocker = heldJob(order, 'blocker')
    const first = accepted(s.submit({ jobId: 'b', capability: KEY, run: blocker.run }))
    const timedOut = accepted(s.submit({ jobId: 't', capability: KEY, run: heldJob(order, 'timed-out').run }))
    const pastDeadline = accepted(s.submit({ jobId: 'd', capability: KEY, deadline: Date.now() + 30, run: heldJob(order, 'deadline').run }))
    const ac = new AbortController()
    const cancelled = accepted(s.submit({ jobId: 'c', capability: KEY, signal: ac.signal, run: heldJob(order, 'cancelled').run }))
    ac.abort(new CrankError('cancelled', 'caller gave up'))
    const t = await timedOut
    assert.ok(t.state === 'expired' && t.error.code === 'queue_timeout' && t.error.retryable, JSON.stringify(t))
    const d = await pastDeadline
    assert.ok(d.state === 'expired' && d.error.code === 'deadline_exceeded')
    const c = await cancelled
    assert.ok(c.state === 'cancelled' && c.error.message === 'caller gave up')
    blocker.held.finish()
    assert.equal((await first).state, 'succeeded')
    assert.deepEqual(order, ['blocker'], 'none of the expired or cancelled jobs ever ran')
  })

  it('keeps figures per capability and in total, and rejects unknown capabilities', () => {
    const s = new Scheduler({ defaults: { queueLimit: 3 } })
    s.register('a.one@1', { concurrency: 2 })
    s.register('b.two@1', { concurrency: 3 })
    accepted(s.submit({ jobId: '1', capability: 'a.one@1', run: heldJob([], '1').run }))
    assert.deepEqual(s.totals(), { inFlight: 1, queued: 0, capacity: 5, queueLimit: 6 })
    const unknown = s.submit({ jobId: '2', capability: 'c.three@1', run: heldJob([], '2').run })
    assert.ok(!unknown.accepted && unknown.error.code === 'unknown_capability')
    assert.throws(() => s.register('d.four@1', { concurrency: 0 }), /concurrency/)
  })

  it('drains: refuses new jobs, lets in-flight ones finish, cancels what is left at the deadline', async () => {
    const s = new Scheduler()
    s.register(KEY, { concurrency: 2, queueLimit: 5 })
    const order: string[] = []
    const quick = heldJob(order, 'quick')
    const slow = heldJob(order, 'slow')
    const queued = heldJob(order, 'queued')
    const quickOut = accepted(s.submit({ jobId: 'q', capability: KEY, run: quick.run }))
    const slowOut = accepted(s.submit({ jobId: 's', capability: KEY, run: slow.run }))
    const queuedOut = accepted(s.submit({ jobId: 'w', capability: KEY, run: queued.run }))
    const draining = s.drain(300)
    const refused = s.submit({ jobId: 'n', capability: KEY, run: heldJob(order, 'new').run })
    assert.ok(!refused.accepted && refused.error.code === 'shutting_down' && refused.error.retryable)
    setTimeout(() => quick.held.finish(), 50)
    const report = await draining
    assert.equal((await quickOut).state, 'succeeded')
    // The queued job got quick's slot and ran, but was still running at the deadline, like slow.
    for (const out of [await slowOut, await queuedOut]) {
      assert.ok(out.state === 'cancelled' && out.error.code === 'shutting_down' && out.error.retryable, JSON.stringify(out))
    }
    assert.deepEqual(report, { finished: 1, cancelled: 2 })
    assert.deepEqual(s.totals().inFlight, 0)
  })

  it('drains real thread workers: the cancel reaches the handler, which lets go of its worker', async function () {
    this.timeout(15_000)
    const log = pino({ level: 'silent' })
    const rt = createRuntime(signalIgnoring, { log, size: 1, cancelGraceMs: 2_000 })
    await rt.start()
    try {
      const s = new Scheduler()
      s.register(signalIgnoring.key, { concurrency: 1 })
      const out = accepted(
        s.submit({
          jobId: 'long',
          capability: signalIgnoring.key,
          run: (signal) =>
            rt.run({
              jobId: 'long',
              capability: signalIgnoring,
              params: { how: 'cooperate', ms: 30_000 },
              input: (async function* () {})(),
              signal,
              sink: { progress: () => {}, output: async () => {} },
              validateOutput: true,
              log,
            }),
        }),
      )
      await tick(100)
      assert.deepEqual(await s.drain(200), { finished: 0, cancelled: 1 })
      const outcome = await out
      assert.ok(outcome.state === 'cancelled' && outcome.error.code === 'shutting_down', JSON.stringify(outcome))
      for (let i = 0; i < 100 && (rt.stats() as PoolStats).idle !== 1; i++) await tick(10)
      const stats = rt.stats() as PoolStats
      assert.equal(stats.idle, 1, 'the worker was freed by the handler itself')
      assert.equal(stats.graceKills, 0)
    } finally {
      await rt.close()
    }
  })
})
