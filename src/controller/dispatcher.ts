/**
 * The submitting node's side of every job, in one place: a submitted job is
 * checked, routed (pinned peer, this node, or a provider known from gossip or
 * the DHT), run there, and retried on the next provider after a retryable
 * failure, until it reaches exactly one terminal state on its handle.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import type { Logger } from 'pino'
import { CrankError, ErrorCodes, toErrorInfo } from '../errors.ts'
import type { JobClient } from '../jobs/job-client.ts'
import { JobHandle } from '../jobs/job-handle.ts'
import { newJobId } from '../jobs/job-ids.ts'
import { type JobInput, noInput, toByteStream } from '../jobs/job-input.ts'
import { encodeParams, type SubmitOptions, submitOptionsError } from '../jobs/submit-options.ts'
import type { JobObserver } from '../metrics/node-metrics.ts'
import type { PeerIds } from '../net/peer-ids.ts'
import type { Membership } from '../trust/membership.ts'
import type { BanList } from './bans.ts'
import type { DhtProviders } from './dht-providers.ts'
import type { JobOutcome } from './executor.ts'
import type { LocalJobs } from './local-jobs.ts'
import { type Candidate, describe, type Router } from './router.ts'
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
}

/** What `explain` says: this node's part, the decision, and every candidate with why. */
export interface Explanation {
  local: string
  decision: string
  candidates: Candidate[]
}

export class Dispatcher {
  private readonly c: DispatcherComponents
  private readonly handles = new Set<JobHandle>()

  constructor(components: DispatcherComponents) {
    this.c = components
  }

  submit(opts: SubmitOptions): JobHandle {
    const { limits } = this.c
    const handle = new JobHandle(typeof opts.jobId === 'string' && opts.jobId !== '' ? opts.jobId : newJobId(), {
      output: opts.output === 'stream' ? 'stream' : 'collect',
      maxOutputBytes: limits.maxOutputBytes,
      streamHighWaterMark: limits.streamHighWaterMark,
    })
    if (opts.signal !== undefined) {
      if (opts.signal.aborted) handle.cancel()
      else opts.signal.addEventListener('abort', () => handle.cancel(), { once: true })
    }
    this.handles.add(handle)
    const observer = this.c.observer
    const since = observer === undefined ? 0 : performance.now()
    const capability = observer === undefined ? '' : splitCapability(String(opts.capability))[0]
    observer?.started(capability)
    const finish = (outcome: JobOutcome): void => {
      this.handles.delete(handle)
      handle.finish(outcome)
      observer?.ended(capability, outcome.state, routeKind(handle), (performance.now() - since) / 1000)
    }
    this.dispatch(handle, opts).then(finish, (err: unknown) => finish({ state: 'failed', error: toErrorInfo(err, ErrorCodes.internal) }))
    return handle
  }

  /** Cancels every job this node submitted that has not ended (the node is stopping). */
  cancelAll(reason: string): void {
    for (const h of this.handles) h.cancel(reason)
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
    if (!route.startsWith('/')) {
      try {
        return this.c.peerIds.get(route)
      } catch {
        throw new CrankError(ErrorCodes.invalidRoute, `route "${route}" is neither "local", a peer id, nor a multiaddr`)
      }
    }
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

  private async dispatch(handle: JobHandle, opts: SubmitOptions): Promise<JobOutcome> {
    if (!this.c.isRunning()) throw new CrankError(ErrorCodes.notStarted, 'node is not started')
    const invalid = submitOptionsError(opts)
    if (invalid !== undefined) throw invalid
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
    const route = opts.route ?? 'prefer-local'
    if (route !== 'local' && route !== 'prefer-local' && route !== 'any') {
      handle.attempts = 1
      const peer = await this.resolvePeer(route)
      handle.route = { peer: peer.toString(), reason: 'pinned' }
      return this.runRemote(job, peer.toString())
    }
    return this.routeAndRetry(job, route, opts)
  }

  /** Up to `attempts` providers, each tried once; a retryable failure moves on to the next after a backoff. */
  private async routeAndRetry(job: RoutedJob, route: 'local' | 'prefer-local' | 'any', opts: SubmitOptions): Promise<JobOutcome> {
    const { handle } = job
    const query = {
      id: job.id,
      range: job.versionRange,
      ...(opts.gpu === undefined ? {} : { gpu: opts.gpu }),
      ...(opts.tags === undefined ? {} : { tags: opts.tags }),
    }
    const exclude = new Set<string>()
    const maxAttempts = opts.attempts ?? this.c.limits.attempts
    let last: JobOutcome | undefined
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let decision = this.c.router.decide({ ...query, mode: route, exclude })
      if (decision.kind === 'none' && route !== 'local' && this.c.dht !== undefined && exclude.size === 0) {
        decision = this.c.router.decide({ ...query, mode: route, exclude }, await this.c.dht.find(job.id, job.versionRange, handle.signal))
      }
      if (decision.kind === 'none') {
        return last ?? { state: 'failed', error: { code: ErrorCodes.noProvider, message: decision.why, retryable: false } }
      }
      handle.attempts = attempt
      const target = decision.kind === 'local' ? 'local' : decision.peer
      handle.route = { peer: target, reason: decision.reason }
      last = target === 'local' ? await this.runLocal(job) : await this.runRemote(job, target)
      if (last.state !== 'failed' || !last.error.retryable) {
        if (target !== 'local' && last.state === 'succeeded') this.c.bans.succeed(target)
        return last
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
      if (attempt < maxAttempts) {
        handle.emit({ type: 'retry', attempt, peer: target, error: last.error })
        this.c.log.info({ job: handle.id, peer: target, code: last.error.code, attempt }, 'retrying on another provider')
        await sleep(this.c.limits.retryBackoffMs * 2 ** (attempt - 1), handle.signal)
        if (handle.signal.aborted) return { state: 'cancelled', error: toErrorInfo(handle.signal.reason) }
      }
    }
    return (
      last ?? { state: 'failed', error: { code: ErrorCodes.noProvider, message: `no provider of ${describe(query)}`, retryable: false } }
    )
  }

  private async runLocal(job: RoutedJob): Promise<JobOutcome> {
    const { handle } = job
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
    return admission.outcome
  }

  private async runRemote(job: RoutedJob, peer: string): Promise<JobOutcome> {
    const { handle } = job
    const { membership, router } = this.c
    if (!membership.isMember(peer)) {
      try {
        await this.c.libp2p.dial(this.c.peerIds.get(peer), { signal: handle.signal })
        await membership.authorize(peer)
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
    router.begin(peer)
    try {
      return await this.c.client.run(this.c.peerIds.get(peer), {
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
        onAccepted: (version, by) => handle.emit({ type: 'accepted', peer: by, version }),
      })
    } finally {
      router.end(peer)
    }
  }
}

/** Where a job ran, as a metrics label: local, remote, pinned, or none (never routed). */
function routeKind(handle: JobHandle): string {
  const route = handle.route
  if (route === undefined) return 'none'
  if (route.reason === 'pinned') return 'pinned'
  return route.peer === 'local' ? 'local' : 'remote'
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

function trackedInput(input: JobInput | undefined): TrackedInput {
  const replayable = input === undefined || typeof input === 'string' || input instanceof Uint8Array
  const tracked: TrackedInput = {
    present: input !== undefined,
    consumed: false,
    open() {
      if (input === undefined) return noInput()
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
