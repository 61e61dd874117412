/**
 * CrankNode: assembles a node from its parts and runs their lifecycle. The parts do the work:
 * the Dispatcher routes and runs submitted jobs, LocalJobs runs this node's capabilities, the
 * JobServer serves remote callers, adverts gossip who serves what, Membership proves who belongs,
 * Connectivity keeps the node in its mesh. docs/architecture.md follows one job through them.
 */
import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { AnyCapability } from './capability.ts'
import type { CrankConfig } from './config.ts'
import { AdvertService, SNAPSHOT_PROTOCOL } from './controller/adverts.ts'
import { BanList } from './controller/bans.ts'
import { Connectivity } from './controller/connectivity.ts'
import { DhtProviders } from './controller/dht-providers.ts'
import { Dispatcher, dispatcherLimits, type Explanation } from './controller/dispatcher.ts'
import { JobJournal } from './controller/journal.ts'
import { LocalJobs } from './controller/local-jobs.ts'
import { followMembership } from './controller/membership-effects.ts'
import { MeshRegistry } from './controller/mesh-registry.ts'
import { NodeJobs } from './controller/node-jobs.ts'
import { ownAdvert } from './controller/own-advert.ts'
import { Router } from './controller/router.ts'
import { Scheduler } from './controller/scheduler.ts'
import { AdvertSnapshots } from './controller/snapshots.ts'
import type { JobHandle } from './jobs/job-handle.ts'
import { handleJobProtocols, jobProtocol } from './jobs/job-protocol.ts'
import type { JobServer } from './jobs/job-server.ts'
import type { JobStore } from './jobs/job-store.ts'
import type { JobsApi } from './jobs/jobs-api.ts'
import type { LanePool } from './jobs/lane-pool.ts'
import type { StreamPool } from './jobs/stream-pool.ts'
import type { SubmitOptions } from './jobs/submit-options.ts'
import { measureNode } from './metrics/measure-node.ts'
import type { NodeMetrics } from './metrics/node-metrics.ts'
import type { FrameBudget } from './net/frame-budget.ts'
import type { NetServices } from './net/libp2p.ts'
import { PeerIds } from './net/peer-ids.ts'
import type { AuditLog } from './trust/audit-log.ts'
import { type NodeTrust, saveNodeCrl } from './trust/commands.ts'
import { nodeJobGate } from './trust/job-gate.ts'
import type { MembersOnly } from './trust/members-only.ts'
import { Membership } from './trust/membership.ts'
import type { RefusalGate } from './trust/refusal-gate.ts'
import { CertificateRenewal, signCsrOverMesh } from './trust/renewal.ts'

export { createNode, type NodeInit } from './create-node.ts'
export type { SubmitOptions } from './jobs/submit-options.ts'

/** Parts made before libp2p, which it needs: its gater, service components and metrics registry, and the key. */
export interface Admission {
  refusals?: RefusalGate
  membersOnly?: MembersOnly
  /** The node's libp2p key: a renewal signs its CSR with it. */
  privateKey?: PrivateKey
  /** Where libp2p already reports its metrics, when `metrics` is on: the node's join it there. */
  metricsRegistry?: Registry
}

export class CrankNode {
  readonly config: CrankConfig
  readonly log: Logger
  readonly libp2p: Libp2p<NetServices>
  /** Jobs this node served, and how each ended (the newest thousand, in memory; the store keeps more). */
  readonly journal = new JobJournal()
  readonly scheduler: Scheduler
  /** Frame bytes peers make this node hold on job streams, bounded per connection and per node. */
  readonly frameBudget: FrameBudget
  /** Who is in the mesh: certificates exchanged and verified on every connection. */
  readonly membership: Membership
  /** Remote providers, as their adverts describe them. */
  readonly mesh: MeshRegistry
  readonly adverts: AdvertService
  /** Redials bootstrap peers and known members while below mesh.minPeers; says when the node is isolated. */
  readonly connectivity: Connectivity
  /** Refused and revoked peers, shut out with backoff (absent in an open mesh). */
  readonly refusals: RefusalGate | undefined
  /** Prometheus metrics, when config `metrics` is on. */
  readonly metrics: NodeMetrics | undefined
  /** Renews this node's membership certificate before it expires (absent in client mode). */
  readonly renewal: CertificateRenewal | undefined
  /** Settles when this node's capabilities have been announced in the DHT (or that failed). */
  dhtProvided: Promise<void> = Promise.resolve()

  private readonly local: LocalJobs
  private readonly server: JobServer
  private readonly pool: StreamPool
  private readonly lanes: LanePool | undefined
  private readonly dispatcher: Dispatcher
  private readonly dht: DhtProviders | undefined
  private readonly snapshots: AdvertSnapshots
  private readonly audit: AuditLog | undefined
  /** The job store's API (absent without a data dir or store.path, and in client mode). */
  private readonly history: NodeJobs | undefined
  /** Peers whose membership proof failed or was revoked, until they prove it again. */
  private readonly refusedPeers = new Set<string>()
  private readonly clientMode: boolean
  private started = false

  constructor(
    config: CrankConfig,
    libp2p: Libp2p<NetServices>,
    capabilities: AnyCapability[],
    log: Logger,
    trust: NodeTrust | undefined,
    client = false,
    admission: Admission = {},
    store?: JobStore,
  ) {
    this.config = config
    this.clientMode = client
    this.libp2p = libp2p
    this.log = log
    const membership = new Membership(libp2p, {
      ...(trust === undefined ? {} : { trust: trust.trust }),
      ...(trust?.certificate === undefined ? {} : { certificate: trust.certificate }),
      openMesh: config.trust.openMesh,
      gracePeriodMs: config.trust.gracePeriodMs,
      log,
    })
    this.membership = membership
    const isMember = (peer: PeerId | string): boolean => membership.isMember(peer)
    const proves = (peer: PeerId | string, timeoutMs?: number): Promise<boolean> => membership.proves(peer, timeoutMs)
    this.refusals = admission.refusals
    admission.membersOnly?.bind(isMember, (peer) => membership.authorize(peer))
    const { gate, audit } = nodeJobGate(config.trust, config.dataDir, membership)
    this.audit = audit
    this.connectivity = new Connectivity({
      libp2p,
      name: config.name,
      bootstrap: config.bootstrap,
      ...(config.dataDir === undefined ? {} : { dataDir: config.dataDir }),
      ...config.mesh,
      gracePeriodMs: config.trust.gracePeriodMs,
      isMember,
      passive: client,
      log,
    })
    this.scheduler = new Scheduler({ onChange: () => this.adverts?.loadChanged(this.scheduler.totals()) })
    this.metrics = admission.metricsRegistry === undefined ? undefined : measureNode(this, admission.metricsRegistry, store)
    this.local = new LocalJobs({
      capabilities,
      scheduler: this.scheduler,
      validateOutput: config.validateOutput,
      journal: this.journal,
      served: store,
      log,
      observer: this.metrics,
    })
    const protocol = jobProtocol(libp2p, config.jobs, {
      isMember,
      proves: (peer) => proves(peer),
      admit: (req) => this.local.admit(req),
      authorize: (req) => gate.admit({ peerId: req.peer, jobId: req.jobId, capability: req.capability, params: req.params }),
      log,
    })
    ;({ frameBudget: this.frameBudget, server: this.server, pool: this.pool, lanes: this.lanes } = protocol)
    this.mesh = new MeshRegistry({ missedHeartbeats: config.mesh.missedHeartbeats })
    const bans = new BanList({ baseMs: config.mesh.banBaseMs, maxMs: config.mesh.banMaxMs })
    const router = new Router({
      registry: this.mesh,
      bans,
      local: this.local,
      // A peer that failed membership is never chosen. One whose Hello is still in flight is:
      // the dispatcher waits for its proof before sending the job.
      ineligible: (peer) => (this.refusedPeers.has(peer) ? 'refused: not a verified mesh member' : undefined),
      // A provider only the DHT names must have proven membership (DhtProviders.find tries).
      proven: isMember,
    })
    this.adverts = new AdvertService({
      pubsub: libp2p.services.pubsub,
      self: libp2p.peerId,
      registry: this.mesh,
      build: () => ownAdvert(config.name, libp2p, this.local.registry, this.scheduler),
      heartbeatMs: config.mesh.heartbeatMs,
      idleHeartbeatMs: config.mesh.idleHeartbeatMs,
      maxBytes: config.mesh.maxAdvertBytes,
      log,
      acceptsGossip: (source, publisher) => membership.acceptsGossip(source, publisher),
      // A neighbour whose Hello is in flight: wait for it, but not the whole grace period (gossipsub
      // checks every duplicate's signature meanwhile); a publisher dropped here is asked for its
      // advert once it is verified (see membership-effects.ts).
      awaitMembership: async (source, publisher) =>
        (await proves(source, 2000)) && (!membership.isPending(publisher) || proves(publisher, 2000)),
      listenOnly: client,
      busyWith: (peer) => router.outstanding(peer) > 0,
      onAddresses: (peer) => {
        const advert = this.mesh.get(peer)?.advert
        if (advert !== undefined) this.connectivity.advertised(peer, advert.addrs ?? [], advert.name ?? undefined)
      },
    })
    this.snapshots = new AdvertSnapshots({ libp2p, membership, adverts: this.adverts, log })
    this.dht = config.mesh.dht ? new DhtProviders({ libp2p, membership, timeoutMs: config.mesh.dhtTimeoutMs, log }) : undefined
    this.dispatcher = new Dispatcher({
      libp2p,
      router,
      bans,
      local: this.local,
      client: protocol.client,
      membership,
      peerIds: new PeerIds(),
      ...(this.dht === undefined ? {} : { dht: this.dht }),
      ...(store === undefined ? {} : { recorder: store }),
      limits: dispatcherLimits(config),
      isRunning: () => this.started,
      log,
      observer: this.metrics,
    })
    this.history = store === undefined ? undefined : new NodeJobs(store, this.dispatcher, config.store, log)
    this.renewal =
      client || admission.privateKey === undefined
        ? undefined
        : new CertificateRenewal(
            { membership, privateKey: admission.privateKey, log, ...signCsrOverMesh(this) },
            {
              certificate: trust?.certificate,
              dataDir: config.dataDir,
              retryBaseMs: config.trust.renewalRetryBaseMs,
              retryMaxMs: config.trust.renewalRetryMaxMs,
            },
          )
  }

  get peerId(): PeerId {
    return this.libp2p.peerId
  }

  get multiaddrs(): Multiaddr[] {
    return this.libp2p.getMultiaddrs()
  }

  /** Started and not stopping: jobs submitted now are accepted. */
  get running(): boolean {
    return this.started
  }

  /** The capabilities this node serves. */
  get capabilities(): AnyCapability[] {
    return this.local.registry.list()
  }

  /**
   * The jobs this node submitted, as its job store records them: list, inspect, wait, retry,
   * cancel, purge, follow changes. Undefined without a store (no data dir or store.path).
   */
  get jobs(): JobsApi | undefined {
    return this.history
  }

  async start(): Promise<void> {
    if (this.started) return
    await this.local.start()
    if (!this.clientMode) {
      await handleJobProtocols(this.libp2p, this.server, this.config.jobs)
    }
    // Every protocol is registered before the node listens: a peer that dials in at once (a
    // member redialling a restarted node) must find the membership protocol there.
    await this.membership.start()
    const { dataDir } = this.config
    followMembership({
      membership: this.membership,
      mesh: this.mesh,
      connectivity: this.connectivity,
      adverts: this.adverts,
      refusedPeers: this.refusedPeers,
      snapshots: this.snapshots,
      refusals: this.refusals,
      onCrl: () => {
        const trust = this.membership.trustStore
        if (dataDir !== undefined && trust !== undefined) saveNodeCrl(dataDir, trust)
      },
    })
    await this.libp2p.handle(SNAPSHOT_PROTOCOL, this.membership.guard(this.adverts.serveSnapshot), {
      maxInboundStreams: 8,
      maxOutboundStreams: 8,
    })
    try {
      await this.libp2p.start()
    } catch (err) {
      // e.g. the listen address is taken: let go of the workers too, or they keep the process alive.
      await this.local.close()
      await this.membership.stop()
      await Promise.resolve(this.libp2p.stop()).catch(() => {})
      throw err
    }
    this.snapshots.start()
    await this.connectivity.start()
    this.started = true
    this.renewal?.start()
    this.adverts.start()
    if (this.dht !== undefined && !this.clientMode) this.dhtProvided = this.dht.provide(this.capabilities)
    this.history?.start()
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
    // From here a durable job that is cancelled (or fails retryably) is left to resume at the next start.
    this.dispatcher.stopping('node is stopping; the job resumes when it starts again')
    const drain = this.scheduler.drain(opts.drainTimeoutMs ?? this.config.jobs.drainTimeoutMs)
    this.adverts.changed()
    const report = await drain
    this.log.info(report, 'drained')
    this.adverts.stop()
    this.snapshots.stop()
    await this.connectivity.stop()
    await this.dispatcher.cancelAll('node is stopping')
    await this.server.close()
    this.pool.closeAll()
    this.lanes?.closeAll()
    await this.local.close()
    await this.membership.stop()
    this.audit?.close()
    await this.libp2p.stop()
    this.history?.stop()
    this.log.info('node stopped')
  }

  /** Connects to a peer by multiaddr (or peer id already known) and returns its peer id. */
  async connect(addr: string | Multiaddr): Promise<PeerId> {
    return this.dispatcher.resolvePeer(addr.toString())
  }

  /** Runs a job wherever the mesh can (see SubmitOptions.route); the handle follows it to exactly one terminal state. */
  submit(opts: SubmitOptions): JobHandle {
    return this.dispatcher.submit(opts)
  }

  /** Every known candidate for a capability and why it would or would not be chosen. */
  explain(capability: string, opts: { gpu?: boolean; tags?: string[] } = {}): Promise<Explanation> {
    return this.dispatcher.explain(capability, opts)
  }
}
