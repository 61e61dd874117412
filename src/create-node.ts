/**
 * createNode: resolves config from its layers, loads or makes the identity and
 * the trust material, builds libp2p with the admission parts it needs, and hands
 * them to a CrankNode.
 */
import { dirname, join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import pino, { type Logger } from 'pino'
import { Registry } from 'prom-client'
import type { AnyCapability } from './capability.ts'
import { type CrankConfig, type PartialConfig, resolveConfig, transportsFor } from './config.ts'
import { CrankError, ErrorCodes } from './errors.ts'
import { JobStore } from './jobs/job-store.ts'
import { loadOrCreateIdentity } from './net/identity.ts'
import { createNet } from './net/libp2p.ts'
import { type Admission, CrankNode } from './node.ts'
import { loadNodeTrust, type NodeTrust } from './trust/commands.ts'
import { MembersOnly } from './trust/members-only.ts'
import { RefusalGate } from './trust/refusal-gate.ts'
import { loadOrCreateSwarmKey } from './trust/swarm-key.ts'
import { TrustStore } from './trust/trust-store.ts'

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

/** Builds a node from config layers: the init object wins over `CRANK_*` env, which wins over defaults. */
export async function createNode(init: NodeInit = {}): Promise<CrankNode> {
  const { capabilities = [], logger, membership, privateKey: givenKey, client, ...partial } = init
  const config = resolveConfig(partial)
  const log = logger ?? pino({ name: config.name, level: config.logLevel })
  // First, so that a corrupt or locked store stops the node before it listens on anything.
  const store = openStore(config, client === true, log)
  try {
    return await assemble(config, log, { capabilities, membership, givenKey, client, store })
  } catch (err) {
    store?.close()
    throw err
  }
}

/**
 * The node's job store, when it keeps one: with a data dir (or an explicit `store.path`), unless
 * `store.enabled` is false. A client-mode node (the CLI) opens none of its data dir's, which the
 * node running from that dir holds.
 */
function openStore(config: CrankConfig, client: boolean, log: Logger): JobStore | undefined {
  const { store } = config
  if (!store.enabled) return undefined
  const path = store.path ?? (config.dataDir === undefined || client ? undefined : join(config.dataDir, 'jobs.db'))
  if (path === undefined) return undefined
  return new JobStore({
    path,
    inputDir: join(dirname(path), 'jobs'),
    flushIntervalMs: store.flushIntervalMs,
    synchronous: store.synchronous,
    inlineInputBytes: store.inlineInputBytes,
    maxInputBytes: store.maxInputBytes,
    maxDiskBytes: store.maxDiskBytes,
    maxOutputBytes: store.maxOutputBytes,
    log,
  })
}

interface Parts {
  capabilities: AnyCapability[]
  membership: NodeInit['membership']
  givenKey: PrivateKey | undefined
  client: boolean | undefined
  store: JobStore | undefined
}

async function assemble(config: CrankConfig, log: Logger, parts: Parts): Promise<CrankNode> {
  const { capabilities, membership, givenKey, client, store } = parts
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
  const membersOnly = config.trust.openMesh ? undefined : new MembersOnly()
  const refusals = config.trust.openMesh
    ? undefined
    : new RefusalGate({ baseMs: config.trust.refusalBackoffMs, maxMs: config.trust.refusalBackoffMaxMs, log })
  const metricsRegistry = config.metrics ? new Registry() : undefined
  const admission: Admission = {
    privateKey,
    ...(metricsRegistry === undefined ? {} : { metricsRegistry }),
    ...(refusals === undefined ? {} : { refusals }),
    ...(membersOnly === undefined ? {} : { membersOnly }),
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
    ...(metricsRegistry === undefined ? {} : { metricsRegistry }),
    ...(config.trust.swarmKeyFile === undefined ? {} : { swarmKey: loadOrCreateSwarmKey(config.trust.swarmKeyFile) }),
    ...(refusals === undefined ? {} : { connectionGater: refusals.connectionGater }),
    ...(membersOnly === undefined ? {} : { serviceComponents: (c) => membersOnly.components(c) }),
  })
  return new CrankNode(config, libp2p, capabilities, log, trust, client === true, admission, store)
}
