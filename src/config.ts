/**
 * One validated config object. Sources, lowest to highest precedence: built-in
 * defaults < config file < CRANK_* environment variables < explicit overrides
 * (CLI flags or the object passed to createNode).
 */
import { readFile } from 'node:fs/promises'
import { CrankError, ErrorCodes } from './errors.ts'
import {
  IDLE_TIMEOUT_MS,
  MAX_BODY_BYTES,
  MAX_CONCURRENT_PER_TOKEN,
  MAX_EVENTS_PER_JOB,
  MAX_INPUT_BYTES,
  MAX_JOBS,
  MAX_OUTPUT_BYTES,
  OUTPUT_BUDGET_BYTES,
  REQUEST_TIMEOUT_MS,
} from './gateway/limits.ts'
import { CONNECTION_FRAME_BUDGET_BYTES, LANES_PER_CONNECTION, LANES_PER_PEER, NODE_FRAME_BUDGET_BYTES } from './jobs/limits.ts'
import type { TransportName } from './net/libp2p.ts'
import { compileSchema, describeSchemaErrors } from './schema.ts'

export interface JobsConfig {
  /** Largest protocol frame accepted (bytes). */
  maxFrameBytes: number
  /** Streamed input is sent in chunks of this size. */
  inputChunkBytes: number
  /** Input buffered ahead of a handler before the sender is paused. */
  inputBufferBytes: number
  /** How long a cancelled remote job may take to confirm before its stream is reset. */
  cancelGraceMs: number
  /** Open job streams kept per peer for reuse. */
  maxIdleStreamsPerPeer: number
  /**
   * Job lanes (`/crank/job-lane/1.0.0`) this node opens to each provider for small jobs (no input,
   * output collected), each carrying up to 64 jobs at once; 0 sends every job on a stream of its
   * own. At most 4, what a provider accepts per connection. Lanes are served either way. Default 2.
   */
  lanesPerPeer: number
  /** On stop (SIGTERM), running jobs get this long to finish before they are cancelled. */
  drainTimeoutMs: number
  /** Streams per connection for the job protocol, each way. */
  maxStreamsPerConnection: number
  /** Output collected in `collect` mode before the job fails with output_too_large. */
  maxOutputBytes: number
  /** Output bytes buffered in `stream` mode before the provider is slowed down. */
  streamHighWaterMark: number
  /** Job frame bytes (partial and unconsumed) held across all peers; past it streams are reset `buffer_full`. Default 256 MiB. */
  frameBudgetBytes: number
  /** The same, per connection of a proven member. Default 64 MiB. (Unproven peers: see src/jobs/limits.ts.) */
  connectionFrameBudgetBytes: number
}

export interface MeshConfig {
  /** Advert heartbeat; a provider is dropped after `missedHeartbeats` of them pass in silence. */
  heartbeatMs: number
  /**
   * Heartbeat of a node that serves no capability: only its presence and addresses are news, and
   * every advert costs each member a signature check, so gossip load follows providers, not nodes.
   */
  idleHeartbeatMs: number
  /** Heartbeats a provider may miss before it is dropped from the registry. */
  missedHeartbeats: number
  /** Largest advert accepted from gossip or a snapshot (bytes). */
  maxAdvertBytes: number
  /** Attempts per job, each on a different provider, for retryable failures. */
  attempts: number
  /** Backoff before a retry, doubled per attempt. */
  retryBackoffMs: number
  /** A failed provider is skipped for banBaseMs, doubling per failure up to banMaxMs. */
  banBaseMs: number
  /** Longest a failed provider is skipped. */
  banMaxMs: number
  /** Provide capabilities in the Kademlia DHT and ask it when gossip knows no provider. */
  dht: boolean
  /** Longest a DHT provider lookup may take before routing gives up on it. */
  dhtTimeoutMs: number
  /**
   * Connections a node keeps up by dialling providers it learned from adverts. Bootstrap lists
   * name only a few seeds; gossip needs a well-connected graph to reach everyone quickly.
   */
  minPeers: number
  /**
   * While below `minPeers`, bootstrap peers and members from the address book are redialled:
   * the first retry after about redialBaseMs, doubling per failure up to redialMaxMs, each
   * delay jittered down by up to half so that a mesh whose seed restarts does not redial it in
   * step. Defaults 1000 and 10000.
   */
  redialBaseMs: number
  /** Longest wait between redials of one peer (see redialBaseMs). */
  redialMaxMs: number
  /** Redials in flight at once. Default 4. */
  maxParallelRedials: number
  /** Members remembered in `<dataDir>/address-book.json`, most recently seen first. Default 256. */
  addressBookSize: number
}

export interface TrustConfig {
  /** Development only: accept any peer, verify nothing. Never the default. */
  openMesh: boolean
  /** How long a peer may stay connected before proving membership. */
  gracePeriodMs: number
  /** Access policy file (capability patterns → allowed roles/names); default: members only, sign_csr restricted. */
  policyFile?: string
  /** Audit log (JSON lines); default <dataDir>/audit.jsonl, or none without a data dir. */
  auditFile?: string
  /** Pre-shared private-network key file (@libp2p/pnet): an extra layer under TLS. */
  swarmKeyFile?: string
  /** A refused or revoked peer's connections are refused this long after its first refusal, doubling with each further one. Default 1000. */
  refusalBackoffMs: number
  /** Longest such shut-out. Default 600000 (10 minutes). */
  refusalBackoffMaxMs: number
  /**
   * The membership certificate is renewed through certificate.sign_csr once two thirds of its
   * lifetime have passed; a failed attempt is retried after about this long, doubling with each
   * further failure (jittered down by up to half, and never later than halfway to the expiry).
   * Default 5000.
   */
  renewalRetryBaseMs: number
  /** Longest wait between renewal attempts (see renewalRetryBaseMs). Default 600000 (10 minutes). */
  renewalRetryMaxMs: number
}

export interface GatewayConfig {
  /**
   * `host:port` the HTTP gateway and dashboard listen on (`127.0.0.1:4600`; `[::1]:4600` for
   * IPv6); `crank-node start --http` sets it. Default: unset, no gateway. A non-loopback host is
   * refused unless bearer tokens exist (`crank-node gateway token create`).
   */
  listen?: string
  /** Largest JSON request body (bytes); past it the answer is 413 `input_too_large`. Default 32 MiB. */
  maxBodyBytes: number
  /** Largest raw (`application/octet-stream`) job input, streamed into the job without being held whole. Default 1 GiB. */
  maxInputBytes: number
  /** Requests one token (or, without tokens, everyone together) may have in flight, SSE streams included; past it 429. Default 64. */
  maxConcurrentPerToken: number
  /** The whole request, body included, must arrive within this (a slow upload is cut off). Default 300000. */
  requestTimeoutMs: number
  /** A connection that sends and receives nothing for this long is closed; SSE streams send a heartbeat well within it. Default 60000. */
  idleTimeoutMs: number
  /** Jobs the gateway remembers (state, events, output); past it the oldest ended ones are forgotten. Default 1000. */
  maxJobs: number
  /** Events kept per job for SSE replay (`Last-Event-ID`); the oldest are dropped past it. Default 1000. */
  maxEventsPerJob: number
  /** Output bytes the gateway keeps per job for `GET /v1/jobs/:id/output`; past it the job fails `output_too_large`. Default 64 MiB. */
  maxOutputBytes: number
  /** Output bytes kept across all jobs; past it the oldest ended jobs' output is dropped. Default 512 MiB. */
  outputBudgetBytes: number
  /** PEM certificate the gateway serves HTTPS with (`crank-node ca issue-tls --server`); with `tlsKeyFile`. Default: plain HTTP. */
  tlsCertFile?: string
  /** PEM private key of `tlsCertFile`. */
  tlsKeyFile?: string
  /**
   * Client certificates from the mesh CA (mTLS; needs HTTPS). `optional`: a valid one (EKU
   * clientAuth, not revoked) authenticates like a token, and a request without one needs a token
   * as before; `required`: no request gets through without one. Default `off`.
   */
  clientCertificates: 'off' | 'optional' | 'required'
}

export interface StoreConfig {
  /**
   * Keep a job store: with a data dir (or `path`), a node records the jobs it submits and serves in
   * SQLite, and `durable` jobs survive a restart (docs/jobs.md). Client-mode nodes (the CLI) open
   * none unless `path` is given. Default true.
   */
  enabled: boolean
  /** The SQLite file. Default `<dataDir>/jobs.db`; kept input goes to a `jobs/` folder beside it. */
  path?: string
  /**
   * Changes are written in one transaction at most this long after the first of them; a durable
   * submit, and a durable job's end, are written on the next tick and waited for. Default 5.
   */
  flushIntervalMs: number
  /**
   * `normal`: a committed write survives the node's process being killed (WAL, synced at
   * checkpoints). `full`: it also survives a power cut, at one fsync per commit. Default `normal`.
   */
  synchronous: 'normal' | 'full'
  /** A durable job's input up to this many bytes is kept in its row; larger, in a file under `jobs/`. Default 65536 (64 KiB). */
  inlineInputBytes: number
  /**
   * Largest input kept so a durable job can be run again; a larger one is streamed once and the
   * job is not replayable (a restart ends it `interrupted`). Default 67108864 (64 MiB).
   */
  maxInputBytes: number
  /** Input kept on disk for all jobs together; a write past it fails the job `store_full`, as a full disk does. Default 1073741824 (1 GiB). */
  maxDiskBytes: number
  /**
   * Output bytes kept with an ended job (and, by a provider, to answer a repeat of a durable job
   * without running it again); larger output is counted but not kept. Default 1048576 (1 MiB).
   */
  maxOutputBytes: number
  /** Ended jobs older than this are deleted (submitted and served alike). Default 604800000 (7 days). */
  retentionMs: number
  /** At most this many ended jobs of each kind (submitted, served) are kept; the oldest go first. Default 100000. */
  retentionJobs: number
  /** How often retention runs in the background (it also runs at start). Default 60000. */
  pruneIntervalMs: number
  /**
   * A durable job resumed after a restart waits up to this long for a provider to be known again
   * (adverts arrive some time after the node rejoins) before it fails `no_provider`. Default 15000.
   */
  resumeWaitMs: number
}

export interface CrankConfig {
  /** Human-readable node name, for logs and adverts. */
  name: string
  /** Holds identity.key, config.json and the job store (jobs.db). Without it the identity is ephemeral and no jobs are kept. */
  dataDir?: string
  /** Multiaddrs to listen on (`/ip4/0.0.0.0/tcp/4501`, `/memory/name`). */
  listen: string[]
  /**
   * Addresses other nodes should dial instead of the listen addresses: the public address of a
   * host behind NAT, or the host's address for a node in a container. Adverts and identify carry
   * these. Default: none (the listen addresses are announced).
   */
  announce: string[]
  /** Peers dialled at start and whenever the node has too few connections (`…/p2p/<peer id>`). */
  bootstrap: string[]
  /** Derived from the listen and bootstrap addresses when not given. */
  transports?: TransportName[]
  /** Validate handler results against their output schema (on unless NODE_ENV=production). */
  validateOutput: boolean
  /**
   * Keep Prometheus metrics for this node (`node.metrics`, served by the gateway at `/metrics`),
   * libp2p's own included. Off by default: the job path then does no metrics work at all.
   */
  metrics: boolean
  /** pino log level of the node's JSON logs. */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /** Connections libp2p keeps before it prunes the least useful. */
  maxConnections: number
  /**
   * Inbound connections still in their handshake, whole node (libp2p's default is 10, too few
   * for a mesh whose seed many nodes dial at once). Default 128.
   */
  maxPendingInbound: number
  /**
   * Of `maxPendingInbound`, how many one address (an IPv4 address, an IPv6 /64) may hold: a
   * host that opens sockets and never handshakes then cannot lock everyone else out. Sized for
   * a whole simulated mesh dialling from one loopback address in batches. Default 32.
   */
  maxPendingInboundPerAddress: number
  /** An inbound connection that has not finished TLS and muxer negotiation by then is closed. Default 5000. */
  inboundUpgradeTimeoutMs: number
  jobs: JobsConfig
  mesh: MeshConfig
  trust: TrustConfig
  /** The HTTP gateway (docs/gateway.md). */
  gateway: GatewayConfig
  store: StoreConfig
}

export type PartialConfig = Partial<Omit<CrankConfig, 'jobs' | 'mesh' | 'trust' | 'gateway' | 'store'>> & {
  jobs?: Partial<JobsConfig>
  mesh?: Partial<MeshConfig>
  trust?: Partial<TrustConfig>
  gateway?: Partial<GatewayConfig>
  store?: Partial<StoreConfig>
}

export const DEFAULT_CONFIG: CrankConfig = {
  name: 'crank-node',
  listen: ['/ip4/127.0.0.1/tcp/0'],
  announce: [],
  bootstrap: [],
  validateOutput: process.env.NODE_ENV !== 'production',
  metrics: false,
  logLevel: 'warn',
  maxConnections: 300,
  maxPendingInbound: 128,
  maxPendingInboundPerAddress: 32,
  inboundUpgradeTimeoutMs: 5000,
  jobs: {
    maxFrameBytes: 1024 * 1024 + 1024,
    inputChunkBytes: 64 * 1024,
    inputBufferBytes: 1024 * 1024,
    cancelGraceMs: 2000,
    drainTimeoutMs: 10_000,
    maxIdleStreamsPerPeer: 64,
    lanesPerPeer: LANES_PER_PEER,
    maxStreamsPerConnection: 1024,
    maxOutputBytes: 64 * 1024 * 1024,
    streamHighWaterMark: 1024 * 1024,
    frameBudgetBytes: NODE_FRAME_BUDGET_BYTES,
    connectionFrameBudgetBytes: CONNECTION_FRAME_BUDGET_BYTES,
  },
  mesh: {
    heartbeatMs: 5000,
    idleHeartbeatMs: 30_000,
    missedHeartbeats: 3,
    maxAdvertBytes: 64 * 1024,
    attempts: 3,
    retryBackoffMs: 50,
    banBaseMs: 1000,
    banMaxMs: 60_000,
    dht: true,
    dhtTimeoutMs: 3000,
    minPeers: 8,
    redialBaseMs: 1000,
    redialMaxMs: 10_000,
    maxParallelRedials: 4,
    addressBookSize: 256,
  },
  trust: {
    openMesh: false,
    gracePeriodMs: 10_000,
    refusalBackoffMs: 1000,
    refusalBackoffMaxMs: 600_000,
    renewalRetryBaseMs: 5000,
    renewalRetryMaxMs: 600_000,
  },
  gateway: {
    maxBodyBytes: MAX_BODY_BYTES,
    maxInputBytes: MAX_INPUT_BYTES,
    maxConcurrentPerToken: MAX_CONCURRENT_PER_TOKEN,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    idleTimeoutMs: IDLE_TIMEOUT_MS,
    maxJobs: MAX_JOBS,
    maxEventsPerJob: MAX_EVENTS_PER_JOB,
    maxOutputBytes: MAX_OUTPUT_BYTES,
    outputBudgetBytes: OUTPUT_BUDGET_BYTES,
    clientCertificates: 'off',
  },
  store: {
    enabled: true,
    flushIntervalMs: 5,
    synchronous: 'normal',
    inlineInputBytes: 64 * 1024,
    maxInputBytes: 64 * 1024 * 1024,
    maxDiskBytes: 1024 * 1024 * 1024,
    maxOutputBytes: 1024 * 1024,
    retentionMs: 7 * 24 * 3600 * 1000,
    retentionJobs: 100_000,
    pruneIntervalMs: 60_000,
    resumeWaitMs: 15_000,
  },
}

const positiveInt = { type: 'integer', minimum: 1 }
export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1 },
    dataDir: { type: 'string', minLength: 1 },
    listen: { type: 'array', items: { type: 'string', pattern: '^/' } },
    announce: { type: 'array', items: { type: 'string', pattern: '^/' } },
    bootstrap: { type: 'array', items: { type: 'string', pattern: '^/' } },
    transports: { type: 'array', items: { enum: ['tcp', 'memory'] }, minItems: 1 },
    validateOutput: { type: 'boolean' },
    metrics: { type: 'boolean' },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    maxConnections: positiveInt,
    maxPendingInbound: positiveInt,
    maxPendingInboundPerAddress: positiveInt,
    inboundUpgradeTimeoutMs: { type: 'integer', minimum: 100 },
    jobs: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxFrameBytes: { type: 'integer', minimum: 1024 },
        inputChunkBytes: positiveInt,
        inputBufferBytes: positiveInt,
        cancelGraceMs: positiveInt,
        drainTimeoutMs: { type: 'integer', minimum: 0 },
        maxIdleStreamsPerPeer: { type: 'integer', minimum: 0 },
        lanesPerPeer: { type: 'integer', minimum: 0, maximum: LANES_PER_CONNECTION },
        maxStreamsPerConnection: positiveInt,
        maxOutputBytes: positiveInt,
        streamHighWaterMark: positiveInt,
        frameBudgetBytes: { type: 'integer', minimum: 65_536 },
        connectionFrameBudgetBytes: { type: 'integer', minimum: 65_536 },
      },
    },
    mesh: {
      type: 'object',
      additionalProperties: false,
      properties: {
        heartbeatMs: { type: 'integer', minimum: 10 },
        idleHeartbeatMs: { type: 'integer', minimum: 10 },
        missedHeartbeats: positiveInt,
        maxAdvertBytes: { type: 'integer', minimum: 256 },
        attempts: { type: 'integer', minimum: 1, maximum: 20 },
        retryBackoffMs: { type: 'integer', minimum: 0 },
        banBaseMs: { type: 'integer', minimum: 0 },
        banMaxMs: { type: 'integer', minimum: 0 },
        dht: { type: 'boolean' },
        dhtTimeoutMs: positiveInt,
        minPeers: { type: 'integer', minimum: 0 },
        redialBaseMs: { type: 'integer', minimum: 10 },
        redialMaxMs: { type: 'integer', minimum: 10 },
        maxParallelRedials: positiveInt,
        addressBookSize: { type: 'integer', minimum: 0 },
      },
    },
    trust: {
      type: 'object',
      additionalProperties: false,
      properties: {
        openMesh: { type: 'boolean' },
        gracePeriodMs: positiveInt,
        policyFile: { type: 'string', minLength: 1 },
        auditFile: { type: 'string', minLength: 1 },
        swarmKeyFile: { type: 'string', minLength: 1 },
        refusalBackoffMs: positiveInt,
        refusalBackoffMaxMs: positiveInt,
        renewalRetryBaseMs: { type: 'integer', minimum: 10 },
        renewalRetryMaxMs: { type: 'integer', minimum: 10 },
      },
    },
    gateway: {
      type: 'object',
      additionalProperties: false,
      properties: {
        // host:port; the gateway reads the host (a name, IPv4, or bracketed IPv6) exactly when it starts.
        listen: { type: 'string', pattern: '^\\S+:[0-9]{1,5}$' },
        maxBodyBytes: { type: 'integer', minimum: 1024 },
        maxInputBytes: { type: 'integer', minimum: 1024 },
        maxConcurrentPerToken: positiveInt,
        requestTimeoutMs: { type: 'integer', minimum: 1000 },
        idleTimeoutMs: { type: 'integer', minimum: 1000 },
        maxJobs: positiveInt,
        maxEventsPerJob: { type: 'integer', minimum: 16 },
        maxOutputBytes: positiveInt,
        outputBudgetBytes: positiveInt,
        tlsCertFile: { type: 'string', minLength: 1 },
        tlsKeyFile: { type: 'string', minLength: 1 },
        clientCertificates: { enum: ['off', 'optional', 'required'] },
      },
    },
    store: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        path: { type: 'string', minLength: 1 },
        flushIntervalMs: { type: 'integer', minimum: 0, maximum: 1000 },
        synchronous: { enum: ['normal', 'full'] },
        inlineInputBytes: { type: 'integer', minimum: 0 },
        maxInputBytes: { type: 'integer', minimum: 0 },
        maxDiskBytes: { type: 'integer', minimum: 0 },
        maxOutputBytes: { type: 'integer', minimum: 0 },
        retentionMs: positiveInt,
        retentionJobs: { type: 'integer', minimum: 0 },
        pruneIntervalMs: { type: 'integer', minimum: 100 },
        resumeWaitMs: { type: 'integer', minimum: 0 },
      },
    },
  },
}
const validate = compileSchema<CrankConfig>(CONFIG_SCHEMA)

/** Merges partial configs left to right over the defaults and validates the result. */
export function resolveConfig(...layers: PartialConfig[]): CrankConfig {
  let merged: CrankConfig = {
    ...DEFAULT_CONFIG,
    jobs: { ...DEFAULT_CONFIG.jobs },
    mesh: { ...DEFAULT_CONFIG.mesh },
    trust: { ...DEFAULT_CONFIG.trust },
    gateway: { ...DEFAULT_CONFIG.gateway },
    store: { ...DEFAULT_CONFIG.store },
  }
  for (const layer of layers) {
    const defined = Object.fromEntries(Object.entries(layer).filter(([, v]) => v !== undefined)) as PartialConfig
    merged = {
      ...merged,
      ...defined,
      jobs: { ...merged.jobs, ...defined.jobs },
      mesh: { ...merged.mesh, ...defined.mesh },
      trust: { ...merged.trust, ...defined.trust },
      gateway: { ...merged.gateway, ...defined.gateway },
      store: { ...merged.store, ...defined.store },
    } as CrankConfig
  }
  if (!validate(merged)) {
    const { message } = describeSchemaErrors(validate.errors, 'config')
    throw new CrankError(ErrorCodes.invalidConfig, message)
  }
  if (merged.jobs.inputChunkBytes + 1024 > merged.jobs.maxFrameBytes) {
    throw new CrankError(ErrorCodes.invalidConfig, 'config/jobs/inputChunkBytes must leave room for framing within maxFrameBytes')
  }
  return merged
}

export async function readConfigFile(file: string): Promise<PartialConfig> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new CrankError(
      ErrorCodes.invalidConfig,
      `cannot read config ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    )
  }
  try {
    return JSON.parse(text) as PartialConfig
  } catch (err) {
    throw new CrankError(ErrorCodes.invalidConfig, `config ${file} is not JSON: ${(err as Error).message}`)
  }
}

const list = (v: string | undefined): string[] | undefined =>
  v === undefined
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)

/** CRANK_NAME, CRANK_DATA_DIR, CRANK_LISTEN, CRANK_ANNOUNCE, CRANK_BOOTSTRAP (comma lists), CRANK_LOG_LEVEL, CRANK_OPEN_MESH. */
export function configFromEnv(env: NodeJS.ProcessEnv): PartialConfig {
  const out: PartialConfig = {}
  if (env.CRANK_NAME) out.name = env.CRANK_NAME
  if (env.CRANK_DATA_DIR) out.dataDir = env.CRANK_DATA_DIR
  const listen = list(env.CRANK_LISTEN)
  if (listen) out.listen = listen
  const announce = list(env.CRANK_ANNOUNCE)
  if (announce) out.announce = announce
  const bootstrap = list(env.CRANK_BOOTSTRAP)
  if (bootstrap) out.bootstrap = bootstrap
  if (env.CRANK_LOG_LEVEL) out.logLevel = env.CRANK_LOG_LEVEL as CrankConfig['logLevel']
  if (env.CRANK_OPEN_MESH === '1' || env.CRANK_OPEN_MESH === 'true') out.trust = { openMesh: true }
  return out
}

export function transportsFor(config: CrankConfig): TransportName[] {
  if (config.transports !== undefined) return config.transports
  const addrs = [...config.listen, ...config.bootstrap]
  // A node with no addresses of its own is a client that may dial anything: give it both.
  if (addrs.length === 0) return ['tcp', 'memory']
  const out: TransportName[] = []
  if (addrs.some((a) => a.includes('/tcp/'))) out.push('tcp')
  if (addrs.some((a) => a.startsWith('/memory/'))) out.push('memory')
  return out
}
