/**
 * This node's own capabilities and the jobs it runs on them, whoever asked: the
 * local API or a remote peer through the job server. Rejections happen here,
 * before a job starts, so both paths reject for the same reasons with the same
 * codes: unknown capability, invalid params, then admission (queue full,
 * draining). Admitted jobs run in the capability's runtime (inline, thread or
 * process), one runtime per capability version.
 */
import type { Logger } from 'pino'
import type { AnyCapability, Caller } from '../capability.ts'
import { type CrankError, toErrorInfo } from '../errors.ts'
import { IdIndex } from '../jobs/id-index.ts'
import type { ServedAnswer, ServedRecorder } from '../jobs/job-recorder.ts'
import { StoreErrorCodes } from '../jobs/store-errors.ts'
import type { ServedJobObserver } from '../metrics/node-metrics.ts'
import type { PoolEvent } from '../workers/pool.ts'
import { createRuntime, type JobRuntime } from '../workers/runtime.ts'
import { checkParams, type JobEventSink, type JobOutcome } from './executor.ts'
import type { JobJournal } from './journal.ts'
import type { ProviderQuery } from './mesh-registry.ts'
import { CapabilityRegistry, concurrencyOf, unknownCapabilityError } from './registry.ts'
import type { Priority, Scheduler } from './scheduler.ts'

export interface LocalJobRequest {
  jobId: string
  capability: string
  /** Semver range; empty means any version. */
  versionRange: string
  params: unknown
  input: AsyncIterable<Uint8Array>
  deadline?: number | undefined
  priority?: Priority | undefined
  /**
   * The job's one cancel switch, shared with whoever submitted it: the caller's cancel, the
   * deadline, a drain and an output overflow all abort it, and every layer reads its signal.
   */
  control: AbortController
  sink: JobEventSink
  /** `local`, or the remote caller's peer id. */
  caller: string
  /** What membership proved about the caller, handed to the handler as `ctx.caller`. */
  identity?: Caller | undefined
  /**
   * A durable job's replay key. With a store, a repeat from the same caller is answered with the
   * kept result (or joins the run still going) instead of running twice.
   */
  idempotencyKey?: string | undefined
}

/** What a keyed job's run keeps of its output, to answer a repeat. */
interface KeptOutput {
  key: string
  chunks: Uint8Array[]
  bytes: number
  /** Past the store's limit: counted, not kept. */
  over: boolean
}

/** A replayed answer's output goes out in chunks well inside a frame. */
const REPLAY_CHUNK_BYTES = 64 * 1024

export type Admission = { accepted: false; error: CrankError } | { accepted: true; capability: AnyCapability; outcome: Promise<JobOutcome> }

export interface LocalJobsOptions {
  capabilities: AnyCapability[]
  scheduler: Scheduler
  validateOutput: boolean
  journal: JobJournal
  /** The job store's record of served jobs; absent when the node keeps no store. */
  served?: ServedRecorder | undefined
  log: Logger
  /** Told how each job ran, of each refusal, and of worker restarts (metrics); absent, no such work is done. */
  observer?: ServedJobObserver | undefined
}

export class LocalJobs {
  readonly registry: CapabilityRegistry
  private readonly opts: LocalJobsOptions
  private readonly runtimes = new Map<string, JobRuntime>()
  /** Keyed jobs running now, by caller and key: a repeat that arrives meanwhile waits for this run. */
  private readonly keyed = new IdIndex<Promise<JobOutcome>>()

  constructor(opts: LocalJobsOptions) {
    this.opts = opts
    this.registry = new CapabilityRegistry(opts.capabilities)
    for (const cap of this.registry.list()) {
      const observer = opts.observer
      const onEvent =
        observer === undefined
          ? undefined
          : (e: PoolEvent): void => {
              if (e.type === 'restart') observer.workerRestarted(cap.id, cap.runtime ?? 'inline')
            }
      this.runtimes.set(`${cap.id}@${cap.version}`, createRuntime(cap, { log: opts.log, ...(onEvent === undefined ? {} : { onEvent }) }))
      // One admission lane per routing key: versions of one major share the slots.
      if (opts.scheduler.load(cap.key) === undefined) {
        opts.scheduler.register(cap.key, {
          concurrency: concurrencyOf(cap),
          ...(cap.queue?.limit === undefined ? {} : { queueLimit: cap.queue.limit }),
          ...(cap.queue?.timeoutMs === undefined ? {} : { queueTimeoutMs: cap.queue.timeoutMs }),
        })
      }
    }
  }

  /** Starts every runtime's workers; resolves when they are ready. */
  async start(): Promise<void> {
    await Promise.all([...this.runtimes.values()].map((r) => r.start()))
  }

  /** Stops every runtime's workers; never rejects. */
  async close(): Promise<void> {
    await Promise.all([...this.runtimes.values()].map((r) => r.close().catch(() => {})))
  }

  /** Whether this node serves a version matching the query, with its GPU and tag constraints. */
  serves(q: ProviderQuery): boolean {
    const cap = this.registry.resolve(q.id, q.range)
    if (cap === undefined) return false
    if (q.gpu === true && cap.resources?.gpu !== true) return false
    return (q.tags ?? []).every((t) => (cap.tags ?? []).includes(t))
  }

  /** Whether a job of `id` would start now rather than queue. */
  hasCapacity(id: string): boolean {
    const cap = this.registry.resolve(id)
    const load = cap === undefined ? undefined : this.opts.scheduler.load(cap.key)
    return load !== undefined && load.inFlight < load.capacity
  }

  admit(req: LocalJobRequest): Admission {
    const admission = this.tryAdmit(req)
    if (!admission.accepted) this.opts.observer?.rejected(admission.error.code)
    return admission
  }

  private tryAdmit(req: LocalJobRequest): Admission {
    const served = this.opts.served
    if (req.idempotencyKey !== undefined && served !== undefined) return this.admitKeyed(req, req.idempotencyKey, served)
    return this.admitNew(req, undefined)
  }

  /**
   * A durable job's attempt. Its caller may be sending it again (it restarted, or never heard
   * the answer): a run of it still going here is joined, a kept answer is replayed, and only
   * otherwise does it run. A capability declared `idempotent` just runs.
   */
  private admitKeyed(req: LocalJobRequest, key: string, served: ServedRecorder): Admission {
    const cap = this.registry.resolve(req.capability, req.versionRange)
    if (cap === undefined || cap.idempotent === true) return this.admitNew(req, undefined)
    const slot = `${req.caller}\0${key}`
    const running = this.keyed.get(slot)
    if (running !== undefined) {
      const outcome = running.then((first): JobOutcome | Promise<JobOutcome> => {
        const answer = first.state === 'succeeded' ? served.answer(req.caller, key) : undefined
        if (answer !== undefined) return this.replay(req, answer)
        const again = this.startKeyed(req, key, slot, served)
        return again.accepted ? again.outcome : { state: 'failed', error: toErrorInfo(again.error) }
      })
      return { accepted: true, capability: cap, outcome }
    }
    const answer = served.answer(req.caller, key)
    if (answer !== undefined) return { accepted: true, capability: cap, outcome: this.replay(req, answer) }
    return this.startKeyed(req, key, slot, served)
  }

  private startKeyed(req: LocalJobRequest, key: string, slot: string, served: ServedRecorder): Admission {
    const kept: KeptOutput = { key, chunks: [], bytes: 0, over: false }
    const sink: JobEventSink = {
      progress: (update) => req.sink.progress(update),
      output: (chunk) => {
        kept.bytes += chunk.byteLength
        if (!kept.over && kept.bytes > served.maxOutputBytes) {
          kept.over = true
          kept.chunks.length = 0
        }
        if (!kept.over) kept.chunks.push(chunk)
        return req.sink.output(chunk)
      },
    }
    const admission = this.admitNew({ ...req, sink }, kept)
    if (!admission.accepted) return admission
    this.keyed.set(slot, admission.outcome)
    void admission.outcome.finally(() => {
      if (this.keyed.get(slot) === admission.outcome) this.keyed.delete(slot)
    })
    return admission
  }

  /** Answers a repeat with what the first run kept, without running the handler. */
  private async replay(req: LocalJobRequest, answer: ServedAnswer): Promise<JobOutcome> {
    if (answer.output === undefined) {
      return {
        state: 'failed',
        error: {
          code: StoreErrorCodes.answerNotKept,
          message: `job ${req.jobId} already ran to completion here; its output (${answer.outputBytes} bytes) was larger than store.maxOutputBytes, so it cannot be answered again and is not run twice`,
          retryable: false,
        },
      }
    }
    for (let off = 0; off < answer.output.byteLength; off += REPLAY_CHUNK_BYTES) {
      await req.sink.output(answer.output.subarray(off, off + REPLAY_CHUNK_BYTES))
    }
    this.opts.log.info({ job: req.jobId, caller: req.caller }, 'answered a repeat of a durable job from the store')
    return { state: 'succeeded', result: answer.result }
  }

  private admitNew(req: LocalJobRequest, kept: KeptOutput | undefined): Admission {
    const { registry, runtimes } = this
    const cap = registry.resolve(req.capability, req.versionRange)
    if (cap === undefined) return { accepted: false, error: unknownCapabilityError(registry, req.capability, req.versionRange) }
    const invalid = checkParams(cap, req.params)
    if (invalid !== undefined) return { accepted: false, error: invalid }
    const runtime = runtimes.get(`${cap.id}@${cap.version}`)
    if (runtime === undefined) return { accepted: false, error: unknownCapabilityError(registry, req.capability, req.versionRange) }
    const startedAt = Date.now()
    const { log, validateOutput, observer } = this.opts
    let ranAt = startedAt
    const admission = this.opts.scheduler.submit({
      jobId: req.jobId,
      capability: cap.key,
      priority: req.priority,
      deadline: req.deadline,
      signal: req.control.signal,
      control: req.control,
      run: (signal) => {
        if (observer !== undefined) ranAt = Date.now()
        return runtime.run({
          jobId: req.jobId,
          capability: cap,
          params: req.params,
          input: req.input,
          deadline: req.deadline,
          signal,
          control: req.control,
          sink: req.sink,
          validateOutput,
          log,
          caller: req.identity,
        })
      },
      ended: (outcome) => {
        observer?.served(cap.id, outcome.state, (ranAt - startedAt) / 1000, (Date.now() - ranAt) / 1000)
        return this.ended(req, cap, startedAt, outcome, kept)
      },
    })
    if (!admission.accepted) return admission
    return { accepted: true, capability: cap, outcome: admission.outcome }
  }

  private ended(
    req: LocalJobRequest,
    cap: AnyCapability,
    startedAt: number,
    outcome: JobOutcome,
    kept: KeptOutput | undefined,
  ): JobOutcome {
    const endedAt = Date.now()
    const { log, journal, served } = this.opts
    if (log.isLevelEnabled('info')) {
      const code = outcome.state === 'succeeded' ? undefined : outcome.error.code
      log.info({ job: req.jobId, capability: cap.id, caller: req.caller, state: outcome.state, code, ms: endedAt - startedAt }, 'job ended')
    }
    journal.record({
      jobId: req.jobId,
      capability: cap.id,
      version: cap.version,
      caller: req.caller,
      state: outcome.state,
      ...(outcome.state === 'succeeded' ? {} : { error: outcome.error }),
      startedAt,
      endedAt,
    })
    if (served !== undefined) {
      served.served({
        jobId: req.jobId,
        caller: req.caller,
        capability: cap.id,
        version: cap.version,
        state: outcome.state,
        error: outcome.state === 'succeeded' ? undefined : outcome.error,
        idempotencyKey: kept?.key,
        result: outcome.state === 'succeeded' ? outcome.result : undefined,
        output: kept === undefined || kept.over ? undefined : Buffer.concat(kept.chunks),
        outputBytes: kept?.bytes,
        startedAt,
        endedAt,
      })
    }
    return outcome
  }
}
