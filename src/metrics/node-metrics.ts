/**
 * Prometheus metrics for one node, through prom-client, on the node's own registry (never the
 * global one: an app embedding two nodes gets two sets). Made only when `metrics.enabled` is set:
 * the job path then reports through two small observers (JobObserver, ServedJobObserver) and
 * everything else is read when Prometheus scrapes (collect callbacks), so a node without metrics
 * pays nothing and one with metrics pays a few counter increments per job.
 *
 * Label cardinality is bounded: no job or peer ids; capabilities are this node's own and those the
 * mesh advertises, up to MAX_CAPABILITY_LABELS, and anything else is `other`.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

/** Distinct capability label values before the rest are counted as `other`. */
export const MAX_CAPABILITY_LABELS = 128
/** Job latency buckets, seconds: 100 µs to 5 minutes. */
const LATENCY_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 300]

/** What the submitting side reports (the dispatcher). */
export interface JobObserver {
  started(capability: string): void
  /** `route`: local, remote, pinned, or none (no provider). */
  ended(capability: string, state: string, route: string, seconds: number): void
}

/** What the providing side reports (LocalJobs): jobs this node ran, whoever asked. */
export interface ServedJobObserver {
  served(capability: string, state: string, queueSeconds: number, runSeconds: number): void
  rejected(code: string): void
  workerRestarted(capability: string, runtime: string): void
}

/** Live figures read at scrape time. */
export interface MetricSources {
  totals(): { inFlight: number; queued: number }
  queues(): Record<string, { inFlight: number; queued: number }>
  providersByCapability(): Map<string, number>
  peers(): number
  isolated(): boolean
  adverts(): { accepted: number; published: number; rejected: Record<string, number> }
  membershipRefusals(): Record<string, number>
  /** Whether this node or an advert it holds names the capability (only those get their own label). */
  knows(capability: string): boolean
  /** The job store's bytes on disk, when the node keeps one. */
  storeBytes?(): { database: number; wal: number; input: number }
}

export class NodeMetrics implements JobObserver, ServedJobObserver {
  readonly registry: Registry
  private readonly known = new Set<string>()
  private readonly sources: MetricSources
  private readonly jobsStarted: Counter<'capability'>
  private readonly jobsEnded: Counter<'capability' | 'state' | 'route'>
  private readonly endToEnd: Histogram<'capability'>
  private readonly queueWait: Histogram<'capability'>
  private readonly runTime: Histogram<'capability'>
  private readonly servedJobs: Counter<'capability' | 'state'>
  private readonly rejections: Counter<'code'>
  private readonly restarts: Counter<'capability' | 'runtime'>
  private readonly storeWrites: Histogram

  constructor(sources: MetricSources, opts: { registry?: Registry; defaultMetrics?: boolean } = {}) {
    this.sources = sources
    this.registry = opts.registry ?? new Registry()
    const registers = [this.registry]
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'crank_' })
    this.jobsStarted = new Counter({
      name: 'crank_jobs_started_total',
      help: 'Jobs submitted through this node',
      labelNames: ['capability'],
      registers,
    })
    this.jobsEnded = new Counter({
      name: 'crank_jobs_ended_total',
      help: 'Jobs submitted through this node that ended, by terminal state and where they ran',
      labelNames: ['capability', 'state', 'route'],
      registers,
    })
    this.endToEnd = new Histogram({
      name: 'crank_job_duration_seconds',
      help: 'Submit to terminal state, on the submitting node',
      labelNames: ['capability'],
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.queueWait = new Histogram({
      name: 'crank_job_queue_wait_seconds',
      help: 'Admission to start, on the node that ran the job',
      labelNames: ['capability'],
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.runTime = new Histogram({
      name: 'crank_job_run_seconds',
      help: 'Start to end of the handler, on the node that ran the job',
      labelNames: ['capability'],
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.servedJobs = new Counter({
      name: 'crank_jobs_served_total',
      help: 'Jobs this node ran for any caller, by terminal state',
      labelNames: ['capability', 'state'],
      registers,
    })
    this.rejections = new Counter({
      name: 'crank_job_rejections_total',
      help: 'Jobs refused before they ran, by error code',
      labelNames: ['code'],
      registers,
    })
    this.restarts = new Counter({
      name: 'crank_worker_restarts_total',
      help: 'Worker threads or processes restarted after they exited',
      labelNames: ['capability', 'runtime'],
      registers,
    })
    this.storeWrites = new Histogram({
      name: 'crank_store_write_seconds',
      help: 'One batched job store write (a transaction of every change since the last), on the event loop',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    })
    const storeBytes = sources.storeBytes
    if (storeBytes !== undefined) {
      new Gauge({
        name: 'crank_store_bytes',
        help: 'The job store on disk: the SQLite database, its write-ahead log, and kept job input',
        labelNames: ['part'],
        registers,
        collect() {
          const b = storeBytes()
          this.set({ part: 'database' }, b.database)
          this.set({ part: 'wal' }, b.wal)
          this.set({ part: 'input' }, b.input)
        },
      })
    }
    new Gauge({
      name: 'crank_jobs_in_flight',
      help: 'Jobs running on this node',
      registers,
      collect() {
        this.set(sources.totals().inFlight)
      },
    })
    const labelOf = (id: string): string => this.label(id)
    new Gauge({
      name: 'crank_queue_depth',
      help: 'Jobs waiting for a slot, per capability lane',
      labelNames: ['capability'],
      registers,
      collect() {
        this.reset()
        for (const [key, load] of Object.entries(sources.queues())) this.set({ capability: labelOf(key.split('@')[0] ?? key) }, load.queued)
      },
    })
    new Gauge({
      name: 'crank_providers',
      help: 'Remote providers known from adverts, per capability',
      labelNames: ['capability'],
      registers,
      collect() {
        this.reset()
        for (const [id, n] of sources.providersByCapability()) this.inc({ capability: labelOf(id) }, n)
      },
    })
    new Gauge({
      name: 'crank_peers',
      help: 'Open libp2p connections',
      registers,
      collect() {
        this.set(sources.peers())
      },
    })
    new Gauge({
      name: 'crank_isolated',
      help: '1 while the node is below mesh.minPeers and redialling',
      registers,
      collect() {
        this.set(sources.isolated() ? 1 : 0)
      },
    })
    // Counts the node already keeps: copied at scrape time rather than counted twice.
    new Counter({
      name: 'crank_adverts_total',
      help: 'Adverts received from gossip or snapshots, by outcome and rejection reason',
      labelNames: ['outcome', 'reason'],
      registers,
      collect() {
        const a = sources.adverts()
        this.reset()
        this.inc({ outcome: 'accepted', reason: '' }, a.accepted)
        for (const [reason, n] of Object.entries(a.rejected)) this.inc({ outcome: 'rejected', reason }, n)
      },
    })
    new Counter({
      name: 'crank_adverts_published_total',
      help: 'Adverts this node published',
      registers,
      collect() {
        this.reset()
        this.inc(sources.adverts().published)
      },
    })
    new Counter({
      name: 'crank_membership_refusals_total',
      help: 'Peers refused or removed by membership, by code',
      labelNames: ['code'],
      registers,
      collect() {
        this.reset()
        for (const [code, n] of Object.entries(sources.membershipRefusals())) this.inc({ code }, n)
      },
    })
  }

  get contentType(): string {
    return this.registry.contentType
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics()
  }

  started(capability: string): void {
    this.jobsStarted.inc({ capability: this.label(capability) })
  }

  ended(capability: string, state: string, route: string, seconds: number): void {
    const label = this.label(capability)
    this.jobsEnded.inc({ capability: label, state, route })
    this.endToEnd.observe({ capability: label }, seconds)
  }

  served(capability: string, state: string, queueSeconds: number, runSeconds: number): void {
    const label = this.label(capability)
    this.servedJobs.inc({ capability: label, state })
    this.queueWait.observe({ capability: label }, queueSeconds)
    this.runTime.observe({ capability: label }, runSeconds)
  }

  rejected(code: string): void {
    // Codes come from Crank's own error tables, but a peer's Rejected frame could name anything.
    this.rejections.inc({ code: /^[a-z_]{1,40}$/.test(code) ? code : 'other' })
  }

  workerRestarted(capability: string, runtime: string): void {
    this.restarts.inc({ capability: this.label(capability), runtime })
  }

  storeWritten(seconds: number): void {
    this.storeWrites.observe(seconds)
  }

  /** Capabilities the node knows of get their own label value, up to the bound; the rest are `other`. */
  private label(capability: string): string {
    if (this.known.has(capability)) return capability
    if (this.known.size >= MAX_CAPABILITY_LABELS || !this.sources.knows(capability)) return 'other'
    this.known.add(capability)
    return capability
  }
}
