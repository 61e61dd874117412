/**
 * The submitting node's side of every job, in one place: a submitted job is
 * checked, routed (pinned peer, this node, or a provider known from gossip or
 * the DHT), run there, and retried on the next provider after a retryable
 * failure, until it reaches exactly one terminal state on its handle.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import type { Logger } from 'pino'
import type { CrankConfig } from '../config.ts'
import { CrankError, ErrorCodes, toErrorInfo } from '../errors.ts'
import { IdIndex } from '../jobs/id-index.ts'
import type { JobClient } from '../jobs/job-client.ts'
import { JobHandle } from '../jobs/job-handle.ts'
import { newJobId } from '../jobs/job-ids.ts'
import { type JobInput, noInput, toByteStream } from '../jobs/job-input.ts'
import type { JobRecorder, StoredJob, SubmitRecord } from '../jobs/job-recorder.ts'
import type { StoredOptions } from '../jobs/jobs-api.ts'
import { Roster } from '../jobs/roster.ts'
import { encodeParams, type SubmitOptions, submitOptionsError } from '../jobs/submit-options.ts'
import type { JobObserver } from '../metrics/node-metrics.ts'
import type { PeerIds } from '../net/peer-ids.ts'
import type { Membership } from '../trust/membership.ts'
import type { BanList } from './bans.ts'
import type { DhtProviders } from './dht-providers.ts'
import type { JobOutcome } from './executor.ts'
import type { LocalJobs } from './local-jobs.ts'
import type { ProviderQuery } from './mesh-registry.ts'
import { type Candidate, describe, type RouteDecision, type RouteRequest, type Router } from './router.ts'
import type { Priority } from './scheduler.ts'

export interface DispatcherLimits {
  /** Attempts on distinct providers when a call does not say. */
  attempts: number
  /** Wait before the first retry; doubles for each one after. */
  retryBackoffMs: number
  /** Output bytes a `collect` handle gathers. */
  maxOutputBytes: number
  /** Output bytes a `stream` handle buffers before the job waits. */
  streamHighWaterMark: number
  /** How long a job resumed after a restart waits for a provider to be known (and for the one that last ran it). */
  resumeWaitMs?: number
}

/** The `exclude` of a job that has not failed anywhere yet. */
const NOBODY_EXCLUDED: ReadonlySet<string> = new Set()

/** The dispatcher's limits, as a node's config sets them. */
export function dispatcherLimits(config: Pick<CrankConfig, 'mesh' | 'jobs' | 'store'>): DispatcherLimits {
  return {
    attempts: config.mesh.attempts,
    retryBackoffMs: config.mesh.retryBackoffMs,
    maxOutputBytes: config.jobs.maxOutputBytes,
    streamHighWaterMark: config.jobs.streamHighWaterMark,
    resumeWaitMs: config.store.resumeWaitMs,
  }
}

export interface DispatcherComponents {
  libp2p: Libp2p
  router: Router
  bans: BanList
  local: LocalJobs
  client: JobClient
  membership: Membership
  peerIds: PeerIds
  /** Absent when the DHT is off. */
  dht?: DhtProviders
  /** The job store's record of submitted jobs; absent when the node keeps no store. */
  recorder?: JobRecorder
  limits: DispatcherLimits
  /** Whether the node is running; a job submitted otherwise fails `not_started`. */
  isRunning: () => boolean
  /** Told when each job starts and ends (metrics); absent, the dispatcher does no such work. */
  observer?: JobObserver | undefined
  log: Logger
}

interface RoutedJob {
  handle: JobHandle
  id: string
  versionRange: string
  params: unknown
  /** The params' JSON, encoded once for every remote attempt. */
  paramsJson: Uint8Array
  input: TrackedInput
  deadline?: number | undefined
  priority?: Priority | undefined
  /** Sent with every attempt of a durable job: a provider that already ran it answers from its store. */
  replayKey?: string | undefined
  /** The first attempt's number: 1, or one past the attempts made before a restart or a retry. */
  firstAttempt?: number | undefined
  /** A resumed job goes first to the provider that last ran it (it may have finished there). */
  lastPeer?: string | undefined
  /** Until then (epoch ms) a resumed job waits for providers to be known again. */
  resumeUntil?: number | undefined
}

/** What `explain` says: this node's part, the decision, and every candidate with why. */
export interface Explanation {
  local: string
  decision: string
  candidates: Candidate[]
}

const RESOLVED: Promise<void> = Promise.resolve()

/** The route options a run reads: a submit's, or a recorded job's. */
type RouteOptions = Pick<SubmitOptions, 'route' | 'gpu' | 'tags' | 'attempts'>

/** A job the store records, from submit until its end is recorded. */
interface RecordedJob {
  handle: JobHandle
  durable: boolean
  /** Settles once its end (or suspension) is recorded and its handle settled. */
  settled: Promise<unknown>
}

export class Dispatcher {
  private readonly c: DispatcherComponents
  private readonly handles = new Roster<JobHandle>()
  /** Jobs the store records that have not settled, by id (only with a store). */
  private readonly recorded = new IdIndex<RecordedJob>()
  /** Set once the node is stopping (see `stopping`). */
  private stopReason: string | undefined

  constructor(components: DispatcherComponents) {
    this.c = components
  }

  submit(opts: SubmitOptions): JobHandle {
    const { recorder, observer } = this.c
    const since = observer === undefined ? 0 : performance.now()
    const handle = recorder === undefined ? this.submitInMemory(opts) : this.submitRecorded(opts, recorder)
    if (observer !== undefined) {
      const capability = splitCapability(String(opts.capability))[0]
      observer.started(capability)
      void handle.outcome.then((report) => observer.ended(capability, report.state, routeKind(handle), (performance.now() - since) / 1000))
    }
    return handle
  }

  /** Without a store: the job lives in its handle only. */
  private submitInMemory(opts: SubmitOptions): JobHandle {
    const handle = this.newHandle(typeof opts.jobId === 'string' && opts.jobId !== '' ? opts.jobId : newJobId(), opts)
    const entry = this.handles.add(handle)
    const finish = (outcome: JobOutcome): void => {
      this.handles.remove(entry)
      handle.finish(outcome)
    }
    this.dispatch(handle, opts).then(finish, (err: unknown) => finish({ state: 'failed', error: toErrorInfo(err, ErrorCodes.internal) }))
    return handle
  }

  /**
   * The node is stopping: from now on a durable job that ends cancelled (or failed, retryably)
   * is suspended instead (left unfinished in the store, to resume at the next start), since
   * it was the stop, not the job, that ended it.
   */
  stopping(reason: string): void {
    this.stopReason = reason
  }

  /** Cancels every job this node submitted that has not ended; resolves once every recorded one has written how it stopped. */
  cancelAll(reason: string): Promise<void> {
    for (const h of this.handles.values()) h.cancel(reason)
    if (this.recorded.size === 0) return Promise.resolve()
    return Promise.all(this.recorded.values().map((j) => j.settled)).then(() => {})
  }

  /** Every known candidate for a capability and why it would or would not be chosen. */
  async explain(capability: string, opts: { gpu?: boolean; tags?: string[] } = {}): Promise<Explanation> {
    const [id, range] = splitCapability(capability)
    const query = { id, range, ...opts }
    const req = { ...query, mode: 'prefer-local' as const, exclude: new Set<string>() }
    const extra = this.c.router.knows(query) || this.c.dht === undefined ? [] : await this.c.dht.find(id, range)
    const decision = this.c.router.decide(req, extra)
    const hasRoom = this.c.local.hasCapacity(id)
    const local = this.c.local.serves(query) ? `serves it${hasRoom ? '' : ', but is saturated'}` : `does not serve ${describe(query)}`
    const summary =
      decision.kind === 'none' ? decision.why : decision.kind === 'local' ? 'run locally' : `run on ${decision.peer} (${decision.reason})`
    return { local, decision: summary, candidates: this.c.router.candidates(req, extra) }
  }

  /** A peer id string, or a multiaddr we dial to learn whose it is. */
  async resolvePeer(route: string): Promise<PeerId> {
    if (!route.startsWith('/')) return this.peerIdOf(route)
    let addr: Multiaddr
    try {
      addr = multiaddr(route)
    } catch (err) {
      throw new CrankError(ErrorCodes.invalidRoute, `route "${route}" is not a valid multiaddr: ${(err as Error).message}`)
    }
    try {
      const conn = await this.c.libp2p.dial(addr)
      return conn.remotePeer
    } catch (err) {
      throw new CrankError(ErrorCodes.peerUnreachable, `cannot reach ${route}: ${(err as Error).message}`, { retryable: true })
    }
  }

  private peerIdOf(route: string): PeerId {
    try {
      return this.c.peerIds.get(route)
    } catch {
      throw new CrankError(ErrorCodes.invalidRoute, `route "${route}" is neither "local", a peer id, nor a multiaddr`)
    }
  }

  /**
   * Not async, nor are `run` and `runRemote` on a pinned job's way: an async function that returns
   * another promise costs that promise, a thenable job and two more microtask turns per layer.
   */
  private dispatch(handle: JobHandle, opts: SubmitOptions): Promise<JobOutcome> {
    try {
      if (!this.c.isRunning()) throw new CrankError(ErrorCodes.notStarted, 'node is not started')
      const invalid = submitOptionsError(opts)
      if (invalid !== undefined) throw invalid
      if (opts.durable === true || opts.idempotencyKey !== undefined) throw noStoreError(opts)
      const paramsJson = encodeParams(opts.params)
      const [id, rangeInName] = splitCapability(opts.capability)
      const job: RoutedJob = {
        handle,
        id,
        versionRange: opts.version ?? rangeInName,
        params: opts.params ?? {},
        paramsJson,
        input: trackedInput(opts.input),
        deadline: opts.deadlineMs === undefined ? undefined : Date.now() + opts.deadlineMs,
        priority: opts.priority,
      }
      return this.run(job, opts)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** A pinned job goes to its peer; any other is routed, and retried on the next provider. Rejects rather than throws. */
  private run(job: RoutedJob, opts: RouteOptions): Promise<JobOutcome> {
    const route = opts.route ?? 'prefer-local'
    if (route === 'local' || route === 'prefer-local' || route === 'any') return this.routeAndRetry(job, route, opts)
    // A peer id needs no dial to resolve: no promise for it (pinned jobs are the bench's and the CLI's).
    if (route.startsWith('/')) return this.resolvePeer(route).then((id) => this.runPinned(job, id.toString()))
    try {
      return this.runPinned(job, this.peerIdOf(route).toString())
    } catch (err) {
      return Promise.reject(err)
    }
  }

  private runPinned(job: RoutedJob, peer: string): Promise<JobOutcome> {
    const { handle } = job
    handle.attempts = job.firstAttempt ?? 1
    handle.route = { peer, reason: 'pinned' }
    const recorder = this.c.recorder
    if (recorder !== undefined) recorder.routed(handle.id, handle.attempts, peer, 'pinned')
    return this.runRemote(job, peer)
  }

  // ---- jobs the store records --------------------------------------------------------------

  /**
   * With a store, every job is recorded. A durable one is acknowledged (`handle.stored`) once it
   * is on disk, and its result only once its end is; it runs meanwhile, so a fast job costs one
   * row write. A key the store has seen gives a handle on that first job instead of a new one.
   */
  private submitRecorded(opts: SubmitOptions, recorder: JobRecorder): JobHandle {
    const chosenId = typeof opts.jobId === 'string' && opts.jobId !== ''
    const id = chosenId ? (opts.jobId as string) : newJobId()
    const invalid = this.c.isRunning() ? submitOptionsError(opts) : new CrankError(ErrorCodes.notStarted, 'node is not started')
    if (invalid !== undefined) return this.failedHandle(id, opts, invalid)
    const [capability, rangeInName] = splitCapability(opts.capability)
    const versionRange = opts.version ?? rangeInName
    const durable = opts.durable === true
    const deadline = opts.deadlineMs === undefined ? undefined : Date.now() + opts.deadlineMs
    const params = opts.params ?? {}
    let handle: JobHandle | undefined
    let record: SubmitRecord
    let paramsJson: Uint8Array
    try {
      paramsJson = encodeParams(params)
      record = recorder.submitted(
        {
          id,
          capability,
          versionRange,
          params,
          options: storedOptions(opts, deadline),
          durable,
          idempotencyKey: opts.idempotencyKey,
          input: opts.input,
          chosenId,
        },
        (err) => handle?.control.abort(err),
      )
    } catch (err) {
      return this.failedHandle(id, opts, err)
    }
    if (record.existing !== undefined) return this.follow(record.existing, opts, recorder)
    handle = this.newHandle(id, opts)
    const job: RoutedJob = {
      handle,
      id: capability,
      versionRange,
      params,
      paramsJson,
      input: trackedInput(record.input),
      deadline,
      priority: opts.priority,
      replayKey: durable ? id : undefined,
    }
    const { stored, runAfter } = record
    if (stored !== undefined) {
      handle.stored = stored
      // A job that could not be stored does not go on as if it had been (see JobRecorder.submitted).
      if (runAfter === undefined) stored.catch((err: unknown) => handle.control.abort(err))
    }
    this.track(handle, durable, runAfter === undefined ? this.run(job, opts) : runAfter.then(() => this.run(job, opts)), recorder)
    return handle
  }

  /**
   * Runs a recorded job again under its own id: after a restart (`restart`: it goes first to
   * the provider that last ran it, and waits for providers to be known) or by `retry`. Its
   * attempts keep counting; each take-up gets the job's full number of attempts.
   */
  resume(stored: StoredJob, why: 'restart' | 'retry'): JobHandle {
    const recorder = this.c.recorder
    if (recorder === undefined) throw noStoreError({})
    const o = stored.options
    // Nobody holds a resumed job's handle to read a stream: its output is collected.
    const handle = this.newHandle(stored.id, {})
    const first = stored.attempts + 1
    recorder.resumed(stored.id, first, why)
    const restart = why === 'restart'
    const job: RoutedJob = {
      handle,
      id: stored.capability,
      versionRange: stored.versionRange,
      params: stored.params,
      paramsJson: encodeParams(stored.params),
      input: trackedInput(stored.input),
      // A restart keeps the deadline the caller set; a retry gives the job its span again.
      deadline: restart ? o.deadline : o.deadlineMs === undefined ? undefined : Date.now() + o.deadlineMs,
      priority: o.priority,
      replayKey: stored.durable ? stored.id : undefined,
      firstAttempt: first,
      lastPeer: restart ? stored.peer : undefined,
      resumeUntil: restart ? Date.now() + (this.c.limits.resumeWaitMs ?? 0) : undefined,
    }
    this.track(handle, stored.durable, this.run(job, o), recorder)
    return handle
  }

  /** Cancels a recorded job that runs here; false when none by that id does. */
  cancel(id: string, reason?: string): boolean {
    const job = this.recorded.get(id)
    if (job === undefined) return false
    job.handle.cancel(reason)
    return true
  }

  private newHandle(id: string, opts: Pick<SubmitOptions, 'output' | 'signal'>): JobHandle {
    const { limits } = this.c
    const handle = new JobHandle(id, {
      output: opts.output === 'stream' ? 'stream' : 'collect',
      maxOutputBytes: limits.maxOutputBytes,
      streamHighWaterMark: limits.streamHighWaterMark,
    })
    if (opts.signal !== undefined) {
      if (opts.signal.aborted) handle.cancel()
      else opts.signal.addEventListener('abort', () => handle.cancel(), { once: true })
    }
    return handle
  }

  /** A handle that ends at once with `err` (a submit refused before anything was recorded). */
  private failedHandle(id: string, opts: SubmitOptions, err: unknown): JobHandle {
    const handle = this.newHandle(id, opts)
    handle.finish({ state: 'failed', error: toErrorInfo(err, ErrorCodes.internal) })
    return handle
  }

  /** A handle on a job recorded before under the same idempotency key: it settles with that job's report. */
  private follow(existing: string, opts: SubmitOptions, recorder: JobRecorder): JobHandle {
    const handle = this.newHandle(existing, opts)
    handle.replayed = true
    // Its cancel is the job's cancel, as with any handle on it.
    handle.signal.addEventListener('abort', () => this.recorded.get(existing)?.handle.cancel((handle.signal.reason as Error).message), {
      once: true,
    })
    recorder.report(existing).then(
      async (report) => {
        // A streaming caller reads the first job's kept output as events, as it would have from the run.
        if (handle.outputMode === 'stream' && report.output !== undefined) {
          const { output, ...rest } = report
          if (output.byteLength > 0) await handle.sink.output(output)
          report = rest
        }
        handle.settle(report)
      },
      (err: unknown) => handle.finish({ state: 'failed', error: toErrorInfo(err, ErrorCodes.internal) }),
    )
    return handle
  }

  /** Records how the job ends (a durable one before its caller hears), then settles its handle. */
  private track(handle: JobHandle, durable: boolean, run: Promise<JobOutcome>, recorder: JobRecorder): void {
    const entry: RecordedJob = { handle, durable, settled: RESOLVED }
    const member = this.handles.add(handle)
    this.recorded.set(handle.id, entry)
    const end = (outcome: JobOutcome): Promise<void> | undefined => {
      const report = handle.report(outcome)
      const stopped = this.stopReason
      const byTheStop =
        durable &&
        stopped !== undefined &&
        (report.state === 'cancelled' || (report.state === 'failed' && report.error?.retryable === true))
      const written = byTheStop ? recorder.suspended(handle.id, stopped) : recorder.ended(handle.id, report)
      const settle = (): void => {
        this.handles.remove(member)
        if (this.recorded.get(handle.id) === entry) this.recorded.delete(handle.id)
        handle.settle(report)
      }
      // A job that is not durable is settled now: its record is written with the next batch.
      if (!durable) {
        settle()
        return undefined
      }
      return written.then(settle)
    }
    entry.settled = run.then(end, (err: unknown) => end({ state: 'failed', error: toErrorInfo(err, ErrorCodes.internal) }))
  }

  /** Up to `attempts` providers, each tried once; a retryable failure moves on to the next after a backoff. */
  private async routeAndRetry(job: RoutedJob, route: 'local' | 'prefer-local' | 'any', opts: RouteOptions): Promise<JobOutcome> {
    const { handle } = job
    const recorder = this.c.recorder
    // One request object for every decision, its fields set one by one: this runs for every job.
    const query: RouteRequest = { id: job.id, range: job.versionRange, mode: route, exclude: NOBODY_EXCLUDED }
    if (opts.gpu !== undefined) query.gpu = opts.gpu
    if (opts.tags !== undefined) query.tags = opts.tags
    // Made at the first failure: most jobs succeed on their first provider.
    let exclude: Set<string> | undefined
    const maxAttempts = opts.attempts ?? this.c.limits.attempts
    // A job taken up again (restart, retry) keeps counting its attempts, with a full set more.
    const first = job.firstAttempt ?? 1
    const lastAttempt = first + maxAttempts - 1
    let last: JobOutcome | undefined
    let waited = 0
    for (let attempt = first; attempt <= lastAttempt; attempt++) {
      let decision: RouteDecision =
        job.lastPeer !== undefined && attempt === first ? this.resumedDecision(job, query, route) : this.c.router.decide(query)
      if (decision.kind === 'none' && route !== 'local' && this.c.dht !== undefined && exclude === undefined) {
        decision = this.c.router.decide(query, await this.c.dht.find(job.id, job.versionRange, handle.signal))
      }
      if (decision.kind === 'none' && job.resumeUntil !== undefined && Date.now() < job.resumeUntil) {
        // After a restart the mesh is learnt again from adverts: wait for providers rather than fail.
        if (!handle.signal.aborted) await sleep(Math.min(1000, 50 * 2 ** waited++), handle.signal)
        if (handle.signal.aborted) return { state: 'cancelled', error: toErrorInfo(handle.signal.reason) }
        attempt--
        continue
      }
      if (decision.kind === 'none') {
        return last ?? { state: 'failed', error: { code: ErrorCodes.noProvider, message: decision.why, retryable: false } }
      }
      handle.attempts = attempt
      const target = decision.kind === 'local' ? 'local' : decision.peer
      handle.route = { peer: target, reason: decision.reason }
      if (recorder !== undefined) recorder.routed(handle.id, attempt, target, decision.reason)
      last = target === 'local' ? await this.runLocal(job) : await this.runRemote(job, target)
      if (last.state !== 'failed' || !last.error.retryable) {
        if (target !== 'local' && last.state === 'succeeded') this.c.bans.succeed(target)
        return last
      }
      if (exclude === undefined) {
        exclude = new Set<string>()
        query.exclude = exclude
      }
      exclude.add(target)
      if (target !== 'local') this.c.bans.fail(target)
      if (job.input.consumed) {
        return {
          state: 'failed',
          error: {
            code: ErrorCodes.notReplayable,
            message: `${last.error.code} on ${target} after streamed input was sent; it cannot be replayed (${last.error.message})`,
            retryable: false,
          },
        }
      }
      if (attempt < lastAttempt) {
        handle.emit({ type: 'retry', attempt, peer: target, error: last.error })
        if (recorder !== undefined) recorder.retrying(handle.id, attempt, target, last.error)
        this.c.log.info({ job: handle.id, peer: target, code: last.error.code, attempt }, 'retrying on another provider')
        await sleep(this.c.limits.retryBackoffMs * 2 ** (attempt - first), handle.signal)
        if (handle.signal.aborted) return { state: 'cancelled', error: toErrorInfo(handle.signal.reason) }
      }
    }
    return (
      last ?? { state: 'failed', error: { code: ErrorCodes.noProvider, message: `no provider of ${describe(query)}`, retryable: false } }
    )
  }

  /**
   * A resumed job's first attempt: the provider that last ran it, if it is (again) a candidate,
   * since it may have finished the job and kept the answer. While the resume window is open
   * and that provider is not known yet, none (so the caller waits); after it, the usual choice.
   */
  private resumedDecision(job: RoutedJob, query: ProviderQuery, route: 'local' | 'prefer-local' | 'any'): RouteDecision {
    const peer = job.lastPeer as string
    const req = { ...query, mode: route, exclude: new Set<string>() }
    if (peer === 'local') {
      if (this.c.local.serves(query)) return { kind: 'local', reason: 'resumed' }
    } else if (this.c.router.candidates(req).some((c) => c.peer === peer && c.eligible)) {
      return { kind: 'remote', peer, reason: 'resumed' }
    } else if (job.resumeUntil !== undefined && Date.now() < job.resumeUntil) {
      return { kind: 'none', why: `waiting for ${peer}, which last ran this job, to be known again` }
    }
    return this.c.router.decide(req)
  }

  private async runLocal(job: RoutedJob): Promise<JobOutcome> {
    const { handle } = job
    // No replay key: a job that ran here is recorded in this node's own store, which recovery reads.
    const admission = this.c.local.admit({
      jobId: handle.id,
      capability: job.id,
      versionRange: job.versionRange,
      params: job.params,
      input: job.input.open(),
      deadline: job.deadline,
      priority: job.priority,
      control: handle.control,
      sink: handle.sink,
      caller: 'local',
    })
    if (!admission.accepted) return { state: 'failed', error: toErrorInfo(admission.error) }
    handle.emit({ type: 'accepted', peer: 'local', version: admission.capability.version })
    const recorder = this.c.recorder
    if (recorder !== undefined) recorder.running(handle.id, 'local', admission.capability.version)
    return admission.outcome
  }

  /** Never rejects: every failure is an outcome. */
  private runRemote(job: RoutedJob, peer: string): Promise<JobOutcome> {
    if (this.c.membership.isMember(peer)) return this.runOnMember(job, peer)
    return this.proveMember(job, peer).then((failed) => failed ?? this.runOnMember(job, peer))
  }

  /** Dials a peer not yet known as a member and waits for its proof; undefined once it is one. */
  private async proveMember(job: RoutedJob, peer: string): Promise<JobOutcome | undefined> {
    try {
      await this.c.libp2p.dial(this.c.peerIds.get(peer), { signal: job.handle.signal })
      await this.c.membership.authorize(peer)
      return undefined
    } catch (err) {
      return {
        state: 'failed',
        error: {
          code: ErrorCodes.notMember,
          message: `${peer} did not prove mesh membership: ${(err as Error).message}`,
          retryable: true,
        },
      }
    }
  }

  private runOnMember(job: RoutedJob, peer: string): Promise<JobOutcome> {
    const { handle } = job
    const { router } = this.c
    router.begin(peer)
    let running: Promise<JobOutcome>
    try {
      running = this.c.client.run(this.c.peerIds.get(peer), {
        jobId: handle.id,
        capability: job.id,
        versionRange: job.versionRange,
        params: job.params,
        paramsJson: job.paramsJson,
        input: job.input.present ? job.input.open() : undefined,
        deadline: job.deadline,
        priority: job.priority,
        signal: handle.signal,
        control: handle.control,
        sink: handle.sink,
        collectsOutput: handle.outputMode === 'collect',
        replayKey: job.replayKey,
        onAccepted: (version, by) => {
          handle.emit({ type: 'accepted', peer: by, version })
          const recorder = this.c.recorder
          if (recorder !== undefined) recorder.running(handle.id, by, version)
        },
      })
    } catch (err) {
      router.end(peer)
      return Promise.reject(err)
    }
    return running.then(
      (outcome) => {
        router.end(peer)
        return outcome
      },
      (err: unknown) => {
        router.end(peer)
        throw err
      },
    )
  }
}

/** Where a job ran, as a metrics label: local, remote, pinned, or none (never routed). */
function routeKind(handle: JobHandle): string {
  const route = handle.route
  if (route === undefined) return 'none'
  if (route.reason === 'pinned') return 'pinned'
  return route.peer === 'local' ? 'local' : 'remote'
}

/** The submit options a replay needs, with the deadline made absolute. */
function storedOptions(opts: SubmitOptions, deadline: number | undefined): StoredOptions {
  // Assigned one by one: this runs for every recorded job, and a spread per option allocates.
  const o: StoredOptions = {}
  if (opts.route !== undefined) o.route = opts.route
  if (opts.gpu !== undefined) o.gpu = opts.gpu
  if (opts.tags !== undefined) o.tags = opts.tags
  if (opts.attempts !== undefined) o.attempts = opts.attempts
  if (opts.priority !== undefined) o.priority = opts.priority
  if (deadline !== undefined) o.deadline = deadline
  if (opts.deadlineMs !== undefined) o.deadlineMs = opts.deadlineMs
  if (opts.output !== undefined) o.output = opts.output
  return o
}

function noStoreError(opts: Pick<SubmitOptions, 'durable'>): CrankError {
  return new CrankError(
    ErrorCodes.invalidOption,
    `${opts.durable === true ? 'durable' : 'idempotencyKey'} needs a job store, and this node keeps none: give it a data dir or store.path`,
    { details: { field: opts.durable === true ? 'durable' : 'idempotencyKey' } },
  )
}

/** `id@range` → [id, range]; no `@` means any version. */
export function splitCapability(spec: string): [string, string] {
  const at = spec.indexOf('@')
  return at === -1 ? [spec, ''] : [spec.slice(0, at), spec.slice(at + 1)]
}

/**
 * Job input that knows whether it was read. Bytes and strings replay for a
 * retry; a stream can be retried only if no attempt has started reading it.
 */
interface TrackedInput {
  present: boolean
  consumed: boolean
  open(): AsyncIterable<Uint8Array>
}

/** Every job without input shares this: nothing to open more than once, nothing consumed. */
const NO_INPUT: TrackedInput = Object.freeze({ present: false, consumed: false, open: () => noInput() })

function trackedInput(input: JobInput | undefined): TrackedInput {
  if (input === undefined) return NO_INPUT
  const replayable = typeof input === 'string' || input instanceof Uint8Array
  const tracked: TrackedInput = {
    present: true,
    consumed: false,
    open() {
      const source = toByteStream(input)
      if (replayable) return source
      return {
        [Symbol.asyncIterator]: () => {
          tracked.consumed = true
          return source[Symbol.asyncIterator]()
        },
      }
    },
  }
  return tracked
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t)
        resolve()
      },
      { once: true },
    )
  })
}
