/**
 * CrankNode: assembles the network, the local job runner, the job protocol
 * server and client, and routes each submitted job.
 */
import { randomUUID } from 'node:crypto'
import type { Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import pino, { type Logger } from 'pino'
import type { AnyCapability } from './capability.ts'
import { type CrankConfig, type PartialConfig, resolveConfig, transportsFor } from './config.ts'
import type { JobOutcome } from './controller/executor.ts'
import { JobJournal } from './controller/journal.ts'
import { LocalJobs } from './controller/local-jobs.ts'
import { CapabilityRegistry } from './controller/registry.ts'
import { CrankError, ErrorCodes, toErrorInfo } from './errors.ts'
import { JobClient } from './jobs/job-client.ts'
import { JobHandle, type OutputMode, type RouteInfo } from './jobs/job-handle.ts'
import { type JobInput, noInput, toByteStream } from './jobs/job-input.ts'
import { JobServer } from './jobs/job-server.ts'
import { JOB_PROTOCOL } from './jobs/messages.ts'
import { StreamPool } from './jobs/stream-pool.ts'
import { loadOrCreateIdentity } from './net/identity.ts'
import { createNet, type NetServices } from './net/libp2p.ts'
import { generateKeyPair } from '@libp2p/crypto/keys'

export interface NodeInit extends PartialConfig {
  /** The capabilities this node serves. The node imports none by itself. */
  capabilities?: AnyCapability[]
  /** Use this logger instead of creating one from `logLevel`. */
  logger?: Logger
}

export interface SubmitOptions {
  /** `id`, or `id@range` such as `example.echo@^1`. */
  capability: string
  /** Semver range; overrides one given in `capability`. */
  version?: string
  params?: unknown
  input?: JobInput
  /** `local`, a peer id, or a peer multiaddr. Defaults to local. */
  route?: string
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
  private readonly server: JobServer
  private readonly pool: StreamPool
  private readonly client: JobClient
  private readonly handles = new Set<JobHandle>()
  private started = false

  constructor(config: CrankConfig, libp2p: Libp2p<NetServices>, capabilities: AnyCapability[], log: Logger) {
    this.config = config
    this.libp2p = libp2p
    this.log = log
    this.registry = new CapabilityRegistry(capabilities)
    this.localJobs = new LocalJobs({ registry: this.registry, validateOutput: config.validateOutput, journal: this.journal, log })
    this.server = new JobServer({
      admit: (req) => this.localJobs.admit(req),
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
    await this.libp2p.handle(JOB_PROTOCOL, this.server.handle, {
      maxInboundStreams: this.config.jobs.maxStreamsPerConnection,
      maxOutboundStreams: this.config.jobs.maxStreamsPerConnection,
    })
    await this.libp2p.start()
    this.started = true
    this.log.info({ peerId: this.peerId.toString(), multiaddrs: this.multiaddrs.map(String), capabilities: this.capabilities.map((c) => `${c.id}@${c.version}`) }, 'node started')
  }

  async stop(): Promise<void> {
    if (!this.started) return
    this.started = false
    for (const h of this.handles) h.cancel('node is stopping')
    this.server.closeAll()
    this.pool.closeAll()
    await this.libp2p.stop()
    this.log.info('node stopped')
  }

  /** Connects to a peer by multiaddr (or peer id already known) and returns its peer id. */
  async connect(addr: string | Multiaddr): Promise<PeerId> {
    return this.resolvePeer(addr.toString())
  }

  submit(opts: SubmitOptions): JobHandle {
    const handle = new JobHandle(opts.jobId ?? randomUUID(), {
      output: opts.output ?? 'collect',
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
    const [id, rangeInName] = splitCapability(opts.capability)
    const versionRange = opts.version ?? rangeInName
    const deadline = opts.deadlineMs === undefined ? undefined : Date.now() + opts.deadlineMs
    const route = opts.route ?? 'local'
    handle.attempts = 1

    if (route === 'local') {
      handle.route = { peer: 'local', reason: 'local' }
      const admission = this.localJobs.admit({
        jobId: handle.id,
        capability: id,
        versionRange,
        params: opts.params ?? {},
        input: opts.input === undefined ? noInput() : toByteStream(opts.input),
        ...(deadline === undefined ? {} : { deadline }),
        signal: handle.signal,
        sink: handle.sink,
        caller: 'local',
      })
      if (!admission.accepted) return { state: 'failed', error: toErrorInfo(admission.error) }
      handle.emit({ type: 'accepted', peer: 'local', version: admission.capability.version })
      return admission.outcome
    }

    const peer = await this.resolvePeer(route)
    handle.route = { peer: peer.toString(), reason: 'pinned' } satisfies RouteInfo
    return this.client.run(peer, {
      jobId: handle.id,
      capability: id,
      versionRange,
      params: opts.params ?? {},
      ...(opts.input === undefined ? {} : { input: toByteStream(opts.input) }),
      ...(deadline === undefined ? {} : { deadline }),
      signal: handle.signal,
      sink: handle.sink,
      onAccepted: (version, by) => handle.emit({ type: 'accepted', peer: by, version }),
    })
  }

  /** A peer id string, or a multiaddr we dial to learn whose it is. */
  private async resolvePeer(route: string): Promise<PeerId> {
    if (!route.startsWith('/')) {
      try {
        return peerIdFromString(route)
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

function splitCapability(spec: string): [string, string] {
  const at = spec.indexOf('@')
  return at === -1 ? [spec, ''] : [spec.slice(0, at), spec.slice(at + 1)]
}

/** Builds a node from config layers: the init object wins over `CRANK_*` env, which wins over defaults. */
export async function createNode(init: NodeInit = {}): Promise<CrankNode> {
  const { capabilities = [], logger, ...partial } = init
  const config = resolveConfig(partial)
  const log = logger ?? pino({ name: config.name, level: config.logLevel })
  const privateKey = config.dataDir === undefined ? await generateKeyPair('Ed25519') : (await loadOrCreateIdentity(config.dataDir)).key
  const libp2p = await createNet({
    privateKey,
    listen: config.listen,
    bootstrap: config.bootstrap,
    transports: transportsFor(config),
    maxStreamsPerConnection: config.jobs.maxStreamsPerConnection,
    maxConnections: config.maxConnections,
  })
  return new CrankNode(config, libp2p, capabilities, log)
}
