/**
 * Counters for the scale figures, read without changing what they count: this process's CPU time
 * and TCP bytes, signature checks by kind, and per node the gossip it received. Library methods
 * are wrapped by pass-through functions (same arguments, same result, same throw), so src knows
 * nothing of them and the nodes behave as in production.
 */
import { X509Certificate } from 'node:crypto'
import { subscribe } from 'node:diagnostics_channel'
import type { Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import type { GossipSub } from '@libp2p/gossipsub'
import { ADVERT_TOPIC } from '../src/controller/adverts.ts'
import type { CrankNode } from '../src/node.ts'
import { TrustStore } from '../src/trust/trust-store.ts'

/** One process at one instant. Totals since the meter was installed; rates come from two samples. */
export interface ProcessSample {
  pid: number
  /** performance.now() of this process when sampled. */
  atMs: number
  /** process.cpuUsage(), user + system, microseconds. */
  cpuUs: number
  /** Event-loop busy time (performance.eventLoopUtilization().active), ms: near the wall time means saturated. */
  loopActiveMs: number
  /** Bytes read from and written to this process's TCP sockets (TLS records and all: what goes on the wire). */
  bytesIn: number
  bytesOut: number
  /** Ed25519 verifications by what they sign: gossipsub messages, libp2p-tls handshakes, anything else (identify's signed records). */
  sig: { gossip: number; tls: number; other: number }
  /** Membership certificates checked (TrustStore.verify: one per Hello) and, of those, CA signature checks (cache misses). */
  certChecks: number
  certSignatures: number
  /** Live nodes in the process. */
  nodes: number
}

/** One node at one instant: what it published and what gossip reached it. */
export interface NodeSample {
  published: number
  accepted: number
  connections: number
  /** Its gossipsub mesh for the advert topic (the peers full messages are pushed to). */
  meshPeers: number
  /** Inbound gossipsub RPC frames and their bytes (protobuf, before yamux and TLS framing). */
  rpcs: number
  rpcBytes: number
  /** Full advert copies received, and their payload bytes. */
  messages: number
  messageBytes: number
  ihaveIds: number
  iwantIds: number
  idontwantIds: number
  grafts: number
  prunes: number
  /** Peers its membership check refused (no valid certificate in time) and connections that closed: why a mesh thins out. */
  refused: number
  closed: number
}

const PUBSUB_PREFIX = new TextEncoder().encode('libp2p-pubsub:')
const TLS_PREFIX = new TextEncoder().encode('libp2p-tls-handshake:')

function startsWith(data: Uint8Array, prefix: Uint8Array): boolean {
  if (data.byteLength < prefix.byteLength) return false
  for (let i = 0; i < prefix.byteLength; i++) if (data[i] !== prefix[i]) return false
  return true
}

const counts = { gossip: 0, tls: 0, other: 0, certChecks: 0, certSignatures: 0 }
const sockets = new Set<Socket>()
let closedIn = 0
let closedOut = 0
let installed = false

/**
 * Installs the process-wide counters (idempotent). Install before the first node starts: sockets
 * opened earlier are not seen.
 */
export function installProcessMeter(): void {
  if (installed) return
  installed = true
  // Every Ed25519 key of @libp2p/crypto (one copy in node_modules) shares this prototype.
  const ed25519 = Object.getPrototypeOf(publicKeyFromRaw(new Uint8Array(32).fill(1))) as {
    verify(data: Uint8Array | { subarray(): Uint8Array }, sig: Uint8Array, options?: unknown): boolean | Promise<boolean>
  }
  const verify = ed25519.verify
  ed25519.verify = function (this: unknown, data, sig, options) {
    const bytes = data instanceof Uint8Array ? data : data.subarray()
    if (startsWith(bytes, PUBSUB_PREFIX)) counts.gossip++
    else if (startsWith(bytes, TLS_PREFIX)) counts.tls++
    else counts.other++
    return verify.call(this, data, sig, options)
  }
  const trustVerify = TrustStore.prototype.verify
  TrustStore.prototype.verify = function (this: TrustStore, ...args: Parameters<TrustStore['verify']>) {
    counts.certChecks++
    return trustVerify.apply(this, args)
  }
  const x509Verify = X509Certificate.prototype.verify
  X509Certificate.prototype.verify = function (this: X509Certificate, key) {
    counts.certSignatures++
    return x509Verify.call(this, key)
  }
  // libp2p's TCP transport opens its sockets with net.connect and net.createServer, which announce
  // each one here; bytesRead/bytesWritten then hold every byte, handshakes included.
  const track = (message: unknown): void => {
    const socket = (message as { socket: Socket }).socket
    sockets.add(socket)
    socket.once('close', () => {
      sockets.delete(socket)
      closedIn += socket.bytesRead
      closedOut += socket.bytesWritten
    })
  }
  subscribe('net.client.socket', track)
  subscribe('net.server.socket', track)
}

export function sampleProcess(nodes: number): ProcessSample {
  let bytesIn = closedIn
  let bytesOut = closedOut
  for (const s of sockets) {
    bytesIn += s.bytesRead
    bytesOut += s.bytesWritten
  }
  const cpu = process.cpuUsage()
  return {
    pid: process.pid,
    atMs: performance.now(),
    cpuUs: cpu.user + cpu.system,
    loopActiveMs: performance.eventLoopUtilization().active,
    bytesIn,
    bytesOut,
    sig: { gossip: counts.gossip, tls: counts.tls, other: counts.other },
    certChecks: counts.certChecks,
    certSignatures: counts.certSignatures,
    nodes,
  }
}

/** The part of a decoded gossipsub RPC the meter reads. */
interface Rpc {
  messages?: Array<{ topic?: string; data?: Uint8Array }>
  control?: {
    ihave?: Array<{ messageIDs?: Uint8Array[] }>
    iwant?: Array<{ messageIDs?: Uint8Array[] }>
    idontwant?: Array<{ messageIDs?: Uint8Array[] }>
    graft?: unknown[]
    prune?: unknown[]
  }
}

const ids = (list: Array<{ messageIDs?: Uint8Array[] }> | undefined): number =>
  (list ?? []).reduce((n, e) => n + (e.messageIDs?.length ?? 0), 0)

/**
 * Counts the gossip `node` receives, from its start on (call before `node.start()`): every inbound
 * RPC goes through gossipsub's decodeRpc, wrapped here. Returns a sampler.
 */
export function attachNodeMeter(node: CrankNode): () => NodeSample {
  const c = {
    rpcs: 0,
    rpcBytes: 0,
    messages: 0,
    messageBytes: 0,
    ihaveIds: 0,
    iwantIds: 0,
    idontwantIds: 0,
    grafts: 0,
    prunes: 0,
    refused: 0,
    closed: 0,
  }
  node.membership.on('refused', () => c.refused++)
  node.libp2p.addEventListener('connection:close', () => c.closed++)
  const pubsub: GossipSub = node.libp2p.services.pubsub
  // The exported GossipSub interface omits both: decodeRpc is private (it is the one place every
  // inbound RPC passes) and getMeshPeers is on the class only.
  const inner = pubsub as unknown as { decodeRpc(bytes: Uint8Array): Rpc; getMeshPeers(topic: string): string[] }
  const decode = inner.decodeRpc
  inner.decodeRpc = (bytes: Uint8Array): Rpc => {
    const rpc = decode.call(pubsub, bytes)
    c.rpcs++
    c.rpcBytes += bytes.byteLength
    for (const m of rpc.messages ?? []) {
      c.messages++
      c.messageBytes += m.data?.byteLength ?? 0
    }
    c.ihaveIds += ids(rpc.control?.ihave)
    c.iwantIds += ids(rpc.control?.iwant)
    c.idontwantIds += ids(rpc.control?.idontwant)
    c.grafts += rpc.control?.graft?.length ?? 0
    c.prunes += rpc.control?.prune?.length ?? 0
    return rpc
  }
  return () => ({
    ...c,
    published: node.adverts.published,
    accepted: node.adverts.accepted,
    connections: node.libp2p.getConnections().length,
    meshPeers: inner.getMeshPeers(ADVERT_TOPIC).length,
  })
}
