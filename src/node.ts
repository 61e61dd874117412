/**
 * CrankNode: assembles the network, the local job runner, the job protocol
 * server and client, and routes each submitted job.
 */
import { randomUUID } from 'node:crypto'
import { availableParallelism, loadavg } from 'node:os'
import { join as joinPath } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { IdentifyResult, Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import pino, { type Logger } from 'pino'
import type { AnyCapability } from './capability.ts'
import { type CrankConfig, type PartialConfig, resolveConfig, transportsFor } from './config.ts'
import { AdvertService, SNAPSHOT_PROTOCOL } from './controller/adverts.ts'
import { BanList } from './controller/bans.ts'
import { Connectivity } from './controller/connectivity.ts'
import type { JobOutcome } from './controller/executor.ts'
import { JobJournal } from './controller/journal.ts'
import { LocalJobs } from './controller/local-jobs.ts'
import { MeshRegistry, type ProviderQuery } from './controller/mesh-registry.ts'
import { CapabilityRegistry } from './controller/registry.ts'
import { type Candidate, describe, type RouteMode, Router } from './controller/router.ts'
import { type Priority, Scheduler } from './controller/scheduler.ts'
import { CrankError, ErrorCodes, toErrorInfo } from './errors.ts'
import { JobClient } from './jobs/job-client.ts'
import { JobHandle, type OutputMode, type RouteInfo } from './jobs/job-handle.ts'
import { type JobInput, noInput, toByteStream } from './jobs/job-input.ts'
import { JobServer } from './jobs/job-server.ts'
import { UNPROVEN_CONNECTION_FRAME_BUDGET_BYTES } from './jobs/limits.ts'
import { JOB_PROTOCOL } from './jobs/messages.ts'
import { StreamPool } from './jobs/stream-pool.ts'
import { submitOptionsError } from './jobs/submit-options.ts'
import { capabilityCid } from './net/capability-cid.ts'
import { FrameBudget } from './net/frame-budget.ts'
import { loadOrCreateIdentity } from './net/identity.ts'
import { createNet, type NetServices } from './net/libp2p.ts'
import { AccessPolicy } from './trust/access-policy.ts'
import { AuditLog } from './trust/audit-log.ts'
import { loadNodeTrust, type NodeTrust, saveNodeCrl } from './trust/commands.ts'
import { JobGate } from './trust/job-gate.ts'
import { MembersOnly } from './trust/members-only.ts'
import { Membership } from './trust/membership.ts'
import { proveMembers } from './trust/prove-members.ts'
import { RefusalGate } from './trust/refusal-gate.ts'
import { CertificateRenewal, signCsrOverMesh } from './trust/renewal.ts'
import { loadOrCreateSwarmKey } from './trust/swarm-key.ts'
import { TrustStore } from './trust/trust-store.ts'
import { createRuntime, type JobRuntime } from './workers/runtime.ts'

export interface NodeInit extends PartialConfig {
  /** The capabilities this node serves. The node imports none by itself. */
  capabilities?: AnyCapability[]
  /** Use this logger instead of creating one from `logLevel`. */
  logger?: Logger
  /** Trust material given directly (embedders, tests); otherwise read from the data dir (ca.crt, membership.crt, crl.pem). */
  membership?: { ca: string; certificate?: string; crl?: string }
  /** This libp2p key instead of the data dir's (e.g. a key the mesh CA has already certified). */
  privateKey?: PrivateKey
  /**
   * Client mode (the CLI): joins the mesh to route and submit jobs, but publishes no adverts,
   * serves no job protocol and announces nothing in the DHT, so it may briefly share an
   * identity with a node running from the same data dir without being mistaken for it.
   */
  client?: boolean
}

export interface SubmitOptions {
  /** `id`, or `id@range` such as `example.echo@^1`. */
  capability: string
  /** Semver range; overrides one given in `capability`. */
  version?: string
  params?: unknown
  input?: JobInput
  /**
   * `prefer-local` (default): here if this node serves it and has room, else the least loaded
   * of two random remote providers. `any`: the same, but local only when it has room.
   * `local`: never leaves this node. A peer id or peer multiaddr pins the job to that peer.
   */
  route?: RouteMode | string
  /** Only providers that advertise a GPU for this capability. */
  gpu?: boolean
  /** Only providers whose capability carries every one of these tags. */
  tags?: string[]
  /** Attempts on distinct providers for retryable failures (default: config mesh.attempts). */
  attempts?: number
  /** Queue priority on the provider: `high`, `normal` (default) or `low`. */
  priority?: Priority
  /** Milliseconds from now after which the job ends `expired`. */
  deadlineMs?: number
  /** Aborting it cancels the job, like `handle.cancel()`. */
  signal?: AbortSignal
  /** `collect` (default) gathers output into the result; `stream` yields it from the handle with backpressure. */
  output?: OutputMode
  jobId?: string
}

export class CrankNode {
  readonly config: CrankConfig
  readonly log: Logger
  readonly libp2p: Libp2p<NetServices>
  /** Jobs this node served, and how each ended. */
  readonly journal = new JobJournal()
  private readonly registry: CapabilityRegistry
  private readonly localJobs: LocalJobs
  readonly scheduler: Scheduler
  private readonly runtimes = new Map<string, JobRuntime>()
  private readonly server: JobServer
  /** Frame bytes peers make this node hold on job streams, bounded per connection and per node. */
  readonly frameBudget: FrameBudget
  private readonly pool: StreamPool
  private readonly client: JobClient
  private readonly handles = new Set<JobHandle>()
  private readonly peerIds = new Map<string, PeerId>()
  /** Peers whose membership proof failed or was revoked, until they prove it again. */
  private readonly refusedPeers = new Set<string>()
  /** Who is in the mesh: certificates exchanged and verified on every connection. */
  readonly membership: Membership
  private readonly gate: JobGate
  private readonly audit: AuditLog | undefined
  /** Remote providers, as their adverts describe them. */
  readonly mesh: MeshRegistry
  readonly adverts: AdvertService
  private readonly bans: BanList
  private readonly router: Router
  private started = false
  private snapshot: 'none' | 'pending' | 'taken' = 'none'
  /** Redials bootstrap peers and known members while below mesh.minPeers; says when the node is isolated. */
  readonly connectivity: Connectivity
  /** Settles when this node's capabilities have been announced in the DHT (or that failed). */
  dhtProvided: Promise<void> = Promise.resolve()

  private readonly clientMode: boolean
  /** Refused and revoked peers, shut out with backoff (absent in an open mesh). */
  readonly refusals: RefusalGate | undefined
  /** Renews this node's membership certificate before it expires; `status()` says how that goes (absent in client mode). */
  readonly renewal: CertificateRenewal | undefined

  constructor(
    config: CrankConfig,
    libp2p: Libp2p<NetServices>,
    capabilities: AnyCapability[],
    log: Logger,
    trust: NodeTrust | undefined,
    client = false,
    admission: { refusals?: RefusalGate; membersOnly?: MembersOnly; privateKey?: PrivateKey } = {},
  ) {
    this.config = config
    this.clientMode = client
    this.libp2p = libp2p
    this.log = log
    this.membership = new Membership(libp2p, {
      ...(trust === undefined ? {} : { trust: trust.trust }),
      ...(trust?.certificate === undefined ? {} : { certificate: trust.certificate }),
      openMesh: config.trust.openMesh,
      gracePeriodMs: config.trust.gracePeriodMs,
      log,
    })
    this.refusals = admission.refusals
    admission.membersOnly?.bind(
      (peer) => this.membership.isMember(peer),
      (peer) => this.membership.authorize(peer),
    )
    const auditFile = config.trust.auditFile ?? (config.dataDir === undefined ? undefined : joinPath(config.dataDir, 'audit.jsonl'))
    this.audit = auditFile === undefined ? undefined : new AuditLog(auditFile)
    this.gate = new JobGate({
      policy: config.trust.policyFile === undefined ? new AccessPolicy() : AccessPolicy.load(config.trust.policyFile),
      membership: this.membership,
      ...(this.audit === undefined ? {} : { audit: this.audit }),
    })
    this.connectivity = new Connectivity({
      libp2p,
      name: config.name,
      bootstrap: config.bootstrap,
      ...(config.dataDir === undefined ? {} : { dataDir: config.dataDir }),
      ...config.mesh,
      gracePeriodMs: config.trust.gracePeriodMs,
      isMember: (peer) => this.membership.isMember(peer),
      passive: client,
      log,
    })
    this.registry = new CapabilityRegistry(capabilities)
    this.scheduler = new Scheduler({ onChange: () => this.adverts?.loadChanged(this.scheduler.totals()) })
    for (const cap of this.registry.list()) {
      this.runtimes.set(`${cap.id}@${cap.version}`, createRuntime(cap, { log }))
      // One admission lane per routing key: versions of one major share the slots.
      if (this.scheduler.load(cap.key) === undefined) {
        this.scheduler.register(cap.key, {
          concurrency: cap.concurrency ?? DEFAULT_CONCURRENCY,
          ...(cap.queue?.limit === undefined ? {} : { queueLimit: cap.queue.limit }),
          ...(cap.queue?.timeoutMs === undefined ? {} : { queueTimeoutMs: cap.queue.timeoutMs }),
        })
      }
    }
    this.localJobs = new LocalJobs({
      registry: this.registry,
      scheduler: this.scheduler,
      runtimes: this.runtimes,
      validateOutput: config.validateOutput,
      journal: this.journal,
      log,
    })
    this.frameBudget = new FrameBudget(
      {
        nodeBytes: config.jobs.frameBudgetBytes,
        connectionBytes: config.jobs.connectionFrameBudgetBytes,
        unprovenConnectionBytes: UNPROVEN_CONNECTION_FRAME_BUDGET_BYTES,
      },
      (peer) => this.membership.isMember(peer),
    )
    this.server = new JobServer({
      budget: this.frameBudget,
      whenProven: (peer) =>
        this.membership.authorize(peer).then(
          () => true,
          () => false,
        ),
      admit: (req) => this.localJobs.admit(req),
      authorize: (req) => {
        const decide = (d: Awaited<ReturnType<JobGate['admit']>>) =>
          d.allowed ? { allowed: true as const, caller: d.caller } : { allowed: false as const, reason: d.reason }
        const d = this.gate.admit({ peerId: req.peer, jobId: req.jobId, capability: req.capability, params: req.params })
        return d instanceof Promise ? d.then(decide) : decide(d)
      },
      log,
      maxFrameBytes: config.jobs.maxFrameBytes,
      inputBufferBytes: config.jobs.inputBufferBytes,
    })
    this.pool = new StreamPool(libp2p, {
      maxFrameBytes: config.jobs.maxFrameBytes,
      maxIdlePerPeer: config.jobs.maxIdleStreamsPerPeer,
      maxOutboundStreams: config.jobs.maxStreamsPerConnection,
    })
    this.client = new JobClient({ pool: this.pool, inputChunkBytes: config.jobs.inputChunkBytes, cancelGraceMs: config.jobs.cancelGraceMs })
    this.mesh = new MeshRegistry({ missedHeartbeats: config.mesh.missedHeartbeats })
    this.bans = new BanList({ baseMs: config.mesh.banBaseMs, maxMs: config.mesh.banMaxMs })
    this.router = new Router({
      registry: this.mesh,
      bans: this.bans,
      local: {
        serves: (q) => this.servesLocally(q),
        hasCapacity: (id) => this.localJobs.hasCapacity(id),
      },
      // A peer that failed membership is never chosen. One whose Hello is still in flight is:
      // runRemote waits for its proof before sending the job.
      ineligible: (peer) => (this.refusedPeers.has(peer) ? 'refused: not a verified mesh member' : undefined),
      // A provider only the DHT names must have proven membership (findDhtProviders tries).
      proven: (peer) => this.membership.isMember(peer),
    })
    this.adverts = new AdvertService({
      pubsub: libp2p.services.pubsub,
      self: libp2p.peerId,
      registry: this.mesh,
      build: () => this.advertBody(),
      heartbeatMs: config.mesh.heartbeatMs,
      idleHeartbeatMs: config.mesh.idleHeartbeatMs,
      maxBytes: config.mesh.maxAdvertBytes,
      log,
      acceptsGossip: (source, publisher) => this.membership.acceptsGossip(source, publisher),
      // A neighbour whose membership Hello is still in flight: wait for it rather than drop its adverts.
      awaitMembership: async (source, publisher) => {
        // Not the whole grace period: while one copy waits here, gossipsub validates every
        // duplicate that arrives (each a signature check). A publisher dropped here is asked for
        // its advert directly once it is verified (see the 'verified' handler).
        const proved = (peer: PeerId): Promise<boolean> =>
          this.membership.authorize(peer, 2000).then(
            () => true,
            () => false,
          )
        if (!(await proved(source))) return false
        return !this.membership.isPending(publisher) || proved(publisher)
      },
      listenOnly: client,
      busyWith: (peer) => this.router.outstanding(peer) > 0,
      onAddresses: (peer) => this.learnAddresses(peer),
    })
    this.renewal =
      client || admission.privateKey === undefined
        ? undefined
        : new CertificateRenewal(
            { membership: this.membership, privateKey: admission.privateKey, log, ...signCsrOverMesh(this) },
            {
              certificate: trust?.certificate,
              dataDir: config.dataDir,
              retryBaseMs: config.trust.renewalRetryBaseMs,
              retryMaxMs: config.trust.renewalRetryMaxMs,
            },
          )
  }

  /** The first member we meet that serves snapshots tells us the mesh at once (see SNAPSHOT_PROTOCOL). */
  private readonly onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
    if (this.snapshot !== 'none' || !evt.detail.protocols.includes(SNAPSHOT_PROTOCOL)) return
    this.snapshot = 'pending'
    void this.takeSnapshot(evt.detail.peerId, 'joining').then((ok) => {
      this.snapshot = ok ? 'taken' : 'none' // on failure, try the next member that identifies
    })
  }

  /** Asks one verified member for every advert it holds (its own included); resolves whether that worked. */
  private async takeSnapshot(peer: PeerId, why: string): Promise<boolean> {
    try {
      await this.membership.authorize(peer)
      const stream = await this.libp2p.dialProtocol(peer, SNAPSHOT_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
      const learned = await this.adverts.fetchSnapshot(stream)
      this.log.debug({ peer: peer.toString(), learned, why }, 'advert snapshot taken')
      return true
    } catch (err) {
      this.log.debug({ peer: peer.toString(), err: (err as Error).message, why }, 'advert snapshot failed')
      return false
    }
  }

  /** A provider we only heard of through gossip must still be dialable: its advert carries its addresses. */
  private learnAddresses(peer: string): void {
    const addrs = this.mesh.get(peer)?.advert.addrs ?? []
    const multiaddrs: Multiaddr[] = []
    for (const bytes of addrs) {
      try {
        multiaddrs.push(multiaddr(bytes))
      } catch {
        // a malformed address is ignored; the rest of the advert is still useful
      }
    }
    if (multiaddrs.length === 0) return
    this.connectivity.advertised(peer, multiaddrs, this.mesh.get(peer)?.advert.name ?? undefined)
    this.libp2p.peerStore.merge(this.peerIdOf(peer), { multiaddrs }).catch((err: unknown) => {
      this.log.debug({ peer, err: (err as Error).message }, 'could not record advertised addresses')
    })
  }

  private servesLocally(q: ProviderQuery): boolean {
    const cap = this.registry.resolve(q.id, q.range)
    if (cap === undefined) return false
    if (q.gpu === true && cap.resources?.gpu !== true) return false
    return (q.tags ?? []).every((t) => (cap.tags ?? []).includes(t))
  }

  private advertBody() {
    const caps = this.registry.list()
    const load = this.scheduler.totals()
    return {
      name: this.config.name,
      health: this.scheduler.isDraining ? 'draining' : 'ok',
      load: {
        inFlight: load.inFlight,
        queued: load.queued,
        capacity: load.capacity,
        cpu: loadavg()[0]! / CORES,
        memoryBytes: process.memoryUsage.rss(),
      },
      addrs: this.libp2p.getMultiaddrs().map((ma) => ma.bytes),
      capabilities: caps.map((c) => ({
        id: c.id,
        version: c.version,
        tags: c.tags ?? [],
        gpu: c.resources?.gpu === true,
        concurrency: c.concurrency ?? DEFAULT_CONCURRENCY,
      })),
    }
  }

  get peerId(): PeerId {
    return this.libp2p.peerId
  }

  get multiaddrs(): Multiaddr[] {
    return this.libp2p.getMultiaddrs()
  }

  /** The capabilities this node serves. */
  get capabilities(): AnyCapability[] {
    return this.registry.list()
  }

  async start(): Promise<void> {
    if (this.started) return
    await Promise.all([...this.runtimes.values()].map((r) => r.start()))
    if (!this.clientMode) {
      await this.libp2p.handle(JOB_PROTOCOL, this.server.handle, {
        maxInboundStreams: this.config.jobs.maxStreamsPerConnection,
        maxOutboundStreams: this.config.jobs.maxStreamsPerConnection,
      })
    }
    try {
      await this.libp2p.start()
    } catch (err) {
      // e.g. the listen address is taken: let go of the workers too, or they keep the process alive.
      await Promise.all([...this.runtimes.values()].map((r) => r.close().catch(() => {})))
      await Promise.resolve(this.libp2p.stop()).catch(() => {})
      throw err
    }
    await this.membership.start()
    // A refused or revoked peer's adverts go too: routers must not pick it, snapshots must not relay it.
    const shutOut = (r: { peerId: string; code: string }): void => {
      this.refusedPeers.add(r.peerId)
      this.mesh.remove(r.peerId)
      this.refusals?.refuse(r.peerId, r.code)
      this.connectivity.forget(r.peerId)
    }
    this.membership.on('refused', shutOut)
    this.membership.on('removed', shutOut)
    this.membership.on('verified', (id) => {
      this.refusedPeers.delete(id.peerId)
      this.refusals?.clear(id.peerId)
      this.connectivity.verified(id.peerId, id.name)
      // Our first adverts may have gone out before any neighbour had verified us; once one has, speak.
      // (Receivers also hold an advert while its sender's Hello is in flight: see awaitMembership.)
      if (!this.adverts.heard) this.adverts.changed()
      if (this.adverts.takeDropped(id.peerId)) void this.takeSnapshot(peerIdFromString(id.peerId), 'a dropped advert')
    })
    await this.libp2p.handle(SNAPSHOT_PROTOCOL, this.membership.guard(this.adverts.serveSnapshot), {
      maxInboundStreams: 8,
      maxOutboundStreams: 8,
    })
    this.libp2p.addEventListener('peer:identify', this.onIdentify)
    await this.connectivity.start()
    const dataDir = this.config.dataDir
    if (dataDir !== undefined) {
      this.membership.on('crl', () => {
        const trust = this.membership.trustStore
        if (trust !== undefined) saveNodeCrl(dataDir, trust)
      })
    }
    this.started = true
    this.renewal?.start()
    this.adverts.start()
    if (this.config.mesh.dht && !this.clientMode) this.dhtProvided = this.provideCapabilities()
    this.log.info(
      {
        peerId: this.peerId.toString(),
        multiaddrs: this.multiaddrs.map(String),
        capabilities: this.capabilities.map((c) => `${c.id}@${c.version}`),
      },
      'node started',
    )
  }

  /**
   * Drains, then stops: no new jobs are accepted (callers get `shutting_down`, retryable, and
   * adverts say `draining`), running jobs get `drainTimeoutMs` to finish, the rest are cancelled.
   */
  async stop(opts: { drainTimeoutMs?: number } = {}): Promise<void> {
    if (!this.started) return
    this.started = false
    this.renewal?.stop()
    const drain = this.scheduler.drain(opts.drainTimeoutMs ?? this.config.jobs.drainTimeoutMs)
    this.adverts.changed()
    const report = await drain
    this.log.info(report, 'drained')
    this.adverts.stop()
    this.libp2p.removeEventListener('peer:identify', this.onIdentify)
    await this.connectivity.stop()
    for (const h of this.handles) h.cancel('node is stopping')
    await this.server.close()
    this.pool.closeAll()
    await Promise.all([...this.runtimes.values()].map((r) => r.close()))
    await this.membership.stop()
    this.audit?.close()
    await this.libp2p.stop()
    this.log.info('node stopped')
  }

  /** Connects to a peer by multiaddr (or peer id already known) and returns its peer id. */
  async connect(addr: string | Multiaddr): Promise<PeerId> {
    return this.resolvePeer(addr.toString())
  }

  submit(opts: SubmitOptions): JobHandle {
    const handle = new JobHandle(typeof opts.jobId === 'string' && opts.jobId !== '' ? opts.jobId : randomUUID(), {
      output: opts.output === 'stream' ? 'stream' : 'collect',
      maxOutputBytes: this.config.jobs.maxOutputBytes,
      streamHighWaterMark: this.config.jobs.streamHighWaterMark,
    })
    if (opts.signal !== undefined) {
      if (opts.signal.aborted) handle.cancel()
      else opts.signal.addEventListener('abort', () => handle.cancel(), { once: true })
    }
    this.handles.add(handle)
    void this.run(handle, opts)
      .catch((err): JobOutcome => ({ state: 'failed', error: toErrorInfo(err, ErrorCodes.internal) }))
      .then((outcome) => {
        this.handles.delete(handle)
        handle.finish(outcome)
      })
    return handle
  }

  private async run(handle: JobHandle, opts: SubmitOptions): Promise<JobOutcome> {
    if (!this.started) throw new CrankError(ErrorCodes.notStarted, 'node is not started')
    const invalid = submitOptionsError(opts)
    if (invalid !== undefined) throw invalid
    const [id, rangeInName] = splitCapability(opts.capability)
    const job: RoutedJob = {
      handle,
      id,
      versionRange: opts.version ?? rangeInName,
      params: opts.params ?? {},
      input: trackedInput(opts.input),
      ...(opts.deadlineMs === undefined ? {} : { deadline: Date.now() + opts.deadlineMs }),
      ...(opts.priority === undefined ? {} : { priority: opts.priority }),
    }
    const route = opts.route ?? 'prefer-local'
    if (route !== 'local' && route !== 'prefer-local' && route !== 'any') {
      handle.attempts = 1
      const peer = await this.resolvePeer(route)
      handle.route = { peer: peer.toString(), reason: 'pinned' } satisfies RouteInfo
      return this.runRemote(job, peer.toString())
    }

    const query = {
      id,
      range: job.versionRange,
      ...(opts.gpu === undefined ? {} : { gpu: opts.gpu }),
      ...(opts.tags === undefined ? {} : { tags: opts.tags }),
    }
    const exclude = new Set<string>()
    const maxAttempts = opts.attempts ?? this.config.mesh.attempts
    let last: JobOutcome | undefined
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let decision = this.router.decide({ ...query, mode: route, exclude })
      if (decision.kind === 'none' && route !== 'local' && this.config.mesh.dht && exclude.size === 0) {
        decision = this.router.decide({ ...query, mode: route, exclude }, await this.findDhtProviders(id, job.versionRange, handle.signal))
      }
      if (decision.kind === 'none') {
        return last ?? { state: 'failed', error: { code: ErrorCodes.noProvider, message: decision.why, retryable: false } }
      }
      handle.attempts = attempt
      handle.route = { peer: decision.kind === 'local' ? 'local' : decision.peer, reason: decision.reason }
      const target = decision.kind === 'local' ? 'local' : decision.peer
      last = target === 'local' ? await this.runLocal(job) : await this.runRemote(job, target)
      if (last.state !== 'failed' || !last.error.retryable) {
        if (target !== 'local' && last.state === 'succeeded') this.bans.succeed(target)
        return last
      }
      exclude.add(target)
      if (target !== 'local') this.bans.fail(target)
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
        this.log.info({ job: handle.id, peer: target, code: last.error.code, attempt }, 'retrying on another provider')
        await sleep(this.config.mesh.retryBackoffMs * 2 ** (attempt - 1), handle.signal)
        if (handle.signal.aborted) return { state: 'cancelled', error: toErrorInfo(handle.signal.reason) }
      }
    }
    return (
      last ?? { state: 'failed', error: { code: ErrorCodes.noProvider, message: `no provider of ${describe(query)}`, retryable: false } }
    )
  }

  private async runLocal(job: RoutedJob): Promise<JobOutcome> {
    const { handle } = job
    const admission = this.localJobs.admit({
      jobId: handle.id,
      capability: job.id,
      versionRange: job.versionRange,
      params: job.params,
      input: job.input.open(),
      ...(job.deadline === undefined ? {} : { deadline: job.deadline }),
      ...(job.priority === undefined ? {} : { priority: job.priority }),
      signal: handle.signal,
      sink: handle.sink,
      caller: 'local',
    })
    if (!admission.accepted) return { state: 'failed', error: toErrorInfo(admission.error) }
    handle.emit({ type: 'accepted', peer: 'local', version: admission.capability.version })
    return admission.outcome
  }

  private async runRemote(job: RoutedJob, peer: string): Promise<JobOutcome> {
    const { handle } = job
    if (!this.membership.isMember(peer)) {
      try {
        await this.libp2p.dial(this.peerIdOf(peer), { signal: handle.signal })
        await this.membership.authorize(peer)
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
    this.router.begin(peer)
    try {
      return await this.client.run(this.peerIdOf(peer), {
        jobId: handle.id,
        capability: job.id,
        versionRange: job.versionRange,
        params: job.params,
        ...(job.input.present ? { input: job.input.open() } : {}),
        ...(job.deadline === undefined ? {} : { deadline: job.deadline }),
        ...(job.priority === undefined ? {} : { priority: job.priority }),
        signal: handle.signal,
        sink: handle.sink,
        onAccepted: (version, by) => handle.emit({ type: 'accepted', peer: by, version }),
      })
    } finally {
      this.router.end(peer)
    }
  }

  /** Every known candidate for a capability and why it would or would not be chosen. */
  async explain(
    capability: string,
    opts: { gpu?: boolean; tags?: string[] } = {},
  ): Promise<{ local: string; decision: string; candidates: Candidate[] }> {
    const [id, range] = splitCapability(capability)
    const query = { id, range, ...opts }
    const req = { ...query, mode: 'prefer-local' as const, exclude: new Set<string>() }
    let extra: string[] = []
    if (this.mesh.find(query).length === 0 && this.config.mesh.dht) extra = await this.findDhtProviders(id, range)
    const decision = this.router.decide(req, extra)
    const hasRoom = this.localJobs.hasCapacity(id)
    const local = this.servesLocally(query) ? `serves it${hasRoom ? '' : ', but is saturated'}` : `does not serve ${describe(query)}`
    const summary =
      decision.kind === 'none' ? decision.why : decision.kind === 'local' ? 'run locally' : `run on ${decision.peer} (${decision.reason})`
    return { local, decision: summary, candidates: this.router.candidates(req, extra) }
  }

  private async provideCapabilities(): Promise<void> {
    for (const cap of this.registry.list()) {
      try {
        await this.libp2p.contentRouting.provide(await capabilityCid(cap.id, cap.major), { signal: AbortSignal.timeout(30_000) })
      } catch (err) {
        // Routine on a lone node (no DHT peers yet); gossip still announces us.
        this.log.debug({ err: (err as Error).message, capability: cap.key }, 'DHT provide failed')
      }
    }
  }

  /** Providers of any major the range admits, from the DHT; empty on timeout. */
  private async findDhtProviders(id: string, range: string, signal?: AbortSignal): Promise<string[]> {
    const major = /^\^?(\d+)/.exec(range)?.[1]
    const cid = await capabilityCid(id, major === undefined ? 1 : Number(major))
    const found = new Map<string, PeerId>()
    const timeout = AbortSignal.timeout(this.config.mesh.dhtTimeoutMs)
    try {
      for await (const p of this.libp2p.contentRouting.findProviders(cid, {
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      })) {
        if (!p.id.equals(this.peerId)) found.set(p.id.toString(), p.id)
        if (found.size >= 8) break
      }
    } catch (err) {
      this.log.debug({ err: (err as Error).message, capability: id }, 'DHT lookup ended')
    }
    const proving = AbortSignal.timeout(this.config.mesh.dhtTimeoutMs)
    await proveMembers(
      this.libp2p,
      this.membership,
      [...found.values()],
      signal === undefined ? proving : AbortSignal.any([signal, proving]),
      this.log,
    )
    return [...found.keys()]
  }

  /** Parsing a peer id is a base58 decode: keep the objects, they're on every remote job's path. */
  private peerIdOf(peer: string): PeerId {
    let id = this.peerIds.get(peer)
    if (id === undefined) {
      id = peerIdFromString(peer)
      if (this.peerIds.size > 10_000) this.peerIds.clear()
      this.peerIds.set(peer, id)
    }
    return id
  }

  /** A peer id string, or a multiaddr we dial to learn whose it is. */
  private async resolvePeer(route: string): Promise<PeerId> {
    if (!route.startsWith('/')) {
      try {
        return this.peerIdOf(route)
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
      const conn = await this.libp2p.dial(addr)
      return conn.remotePeer
    } catch (err) {
      throw new CrankError(ErrorCodes.peerUnreachable, `cannot reach ${route}: ${(err as Error).message}`, { retryable: true })
    }
  }
}

const DEFAULT_CONCURRENCY = 4
const CORES = availableParallelism()

interface RoutedJob {
  handle: JobHandle
  id: string
  versionRange: string
  params: unknown
  input: TrackedInput
  deadline?: number
  priority?: Priority
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

function splitCapability(spec: string): [string, string] {
  const at = spec.indexOf('@')
  return at === -1 ? [spec, ''] : [spec.slice(0, at), spec.slice(at + 1)]
}

/** Builds a node from config layers: the init object wins over `CRANK_*` env, which wins over defaults. */
export async function createNode(init: NodeInit = {}): Promise<CrankNode> {
  const { capabilities = [], logger, membership, privateKey: givenKey, client, ...partial } = init
  const config = resolveConfig(partial)
  const log = logger ?? pino({ name: config.name, level: config.logLevel })
  const privateKey =
    givenKey ?? (config.dataDir === undefined ? await generateKeyPair('Ed25519') : (await loadOrCreateIdentity(config.dataDir)).key)
  let trust: NodeTrust | undefined
  if (membership !== undefined) {
    trust = {
      trust: await TrustStore.create(membership.ca, membership.crl),
      ...(membership.certificate === undefined ? {} : { certificate: membership.certificate }),
    }
  } else if (config.dataDir !== undefined) {
    trust = await loadNodeTrust(config.dataDir)
  }
  if (trust === undefined && !config.trust.openMesh) {
    throw new CrankError(
      ErrorCodes.invalidConfig,
      `no mesh CA${config.dataDir === undefined ? '' : ` in ${config.dataDir}`}: enrol with \`crank-node join\` or \`crank-node ca issue\`, or set trust.openMesh (development only: any peer is accepted)`,
    )
  }
  const admission = config.trust.openMesh
    ? {}
    : {
        refusals: new RefusalGate({ baseMs: config.trust.refusalBackoffMs, maxMs: config.trust.refusalBackoffMaxMs, log }),
        membersOnly: new MembersOnly(),
      }
  const { libp2p } = await createNet({
    privateKey,
    listen: config.listen,
    announce: config.announce,
    transports: transportsFor(config),
    maxStreamsPerConnection: config.jobs.maxStreamsPerConnection,
    maxConnections: config.maxConnections,
    maxPendingInbound: config.maxPendingInbound,
    maxPendingInboundPerAddress: config.maxPendingInboundPerAddress,
    inboundUpgradeTimeoutMs: config.inboundUpgradeTimeoutMs,
    maxPubsubMessageBytes: config.mesh.maxAdvertBytes * 2,
    dht: config.mesh.dht,
    ...(config.trust.swarmKeyFile === undefined ? {} : { swarmKey: loadOrCreateSwarmKey(config.trust.swarmKeyFile) }),
    ...(admission.refusals === undefined ? {} : { connectionGater: admission.refusals.connectionGater }),
    ...(admission.membersOnly === undefined ? {} : { serviceComponents: (c) => admission.membersOnly.components(c) }),
  })
  return new CrankNode(config, libp2p, capabilities, log, trust, client === true, { ...admission, privateKey })
}
