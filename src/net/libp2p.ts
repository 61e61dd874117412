/**
 * libp2p assembly: TCP and/or memory transports, TLS, yamux, identify, ping.
 * Everything Crank-specific (protocols, pubsub topics) is registered by the
 * node on the instance this returns. Bootstrap peers are not dialled here: libp2p's
 * bootstrap module dials once and gives up, so the node's Reconnector dials them instead.
 */
import { type GossipSub, gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { ConnectionGater, Libp2p, PrivateKey } from '@libp2p/interface'
import { type KadDHT, kadDHT } from '@libp2p/kad-dht'
import { memory } from '@libp2p/memory'
import { ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import type { Registry } from 'prom-client'
import { guardClosedTransport } from './closed-transport-guard.ts'
import { composeGaters } from './gaters.ts'
import { PendingInboundLimiter } from './pending-inbound.ts'

export type TransportName = 'tcp' | 'memory'

export interface NetOptions {
  privateKey: PrivateKey
  listen: string[]
  /** Addresses announced to peers instead of the listen addresses (NAT, containers); empty: the listen addresses. */
  announce?: string[]
  transports: TransportName[]
  /** libp2p's own metrics go into this registry (absent: libp2p keeps none). */
  metricsRegistry?: Registry
  /** Per-connection stream limit for Crank protocols (libp2p's default of 32/64 is far too low). */
  maxStreamsPerConnection: number
  maxConnections: number
  /** Inbound connections still in their handshake, for the whole node. */
  maxPendingInbound: number
  /** Of those, how many one address may hold (an IPv4 address, an IPv6 /64): see PendingInboundLimiter. */
  maxPendingInboundPerAddress: number
  /** An inbound connection that has not finished its handshake by then is closed. */
  inboundUpgradeTimeoutMs: number
  /** Largest pubsub message accepted, bytes. */
  maxPubsubMessageBytes: number
  /** Run the Kademlia DHT (off: no DHT traffic, no provider records). */
  dht: boolean
  /** Pre-shared private-network key (@libp2p/pnet): peers without it cannot even start TLS with us. */
  swarmKey?: Uint8Array
  /**
   * Refuses dials and connections by peer id (the node gates refused peers: src/trust/refusal-gate.ts);
   * composed with the per-address pending-connection limit.
   */
  connectionGater?: ConnectionGater
  /** The components gossipsub and the DHT see (the node admits only proven members: src/trust/members-only.ts). */
  serviceComponents?: <C extends object>(components: C) => C
}

export const DHT_PROTOCOL = '/crank/kad/1.0.0'

export interface NetServices extends Record<string, unknown> {
  identify: unknown
  ping: unknown
  pubsub: GossipSub
  dht?: KadDHT
}

export interface Net {
  libp2p: Libp2p<NetServices>
  pendingInbound: PendingInboundLimiter
}

export async function createNet(opts: NetOptions): Promise<Net> {
  const transports = opts.transports.map((t) => (t === 'tcp' ? tcp() : memory()))
  const pendingInbound = new PendingInboundLimiter({ maxPerAddress: opts.maxPendingInboundPerAddress })
  const libp2p = await createLibp2p({
    privateKey: opts.privateKey,
    addresses: { listen: opts.listen, ...(opts.announce?.length ? { announce: opts.announce } : {}) },
    transports,
    connectionEncrypters: [tls()],
    ...(opts.metricsRegistry === undefined
      ? {}
      : { metrics: prometheusMetrics({ registry: opts.metricsRegistry, collectDefaultMetrics: false }) }),
    ...(opts.swarmKey === undefined ? {} : { connectionProtector: preSharedKey({ psk: opts.swarmKey }) }),
    streamMuxers: [
      guardClosedTransport(
        yamux({
          maxInboundStreams: opts.maxStreamsPerConnection,
          maxOutboundStreams: opts.maxStreamsPerConnection,
          // Below libp2p's 4 MiB read buffer: a paused stream (our backpressure) then stops the
          // sender through the window before the buffer overflows and the stream is reset.
          streamOptions: { maxStreamWindowSize: 1024 * 1024 },
        }),
      ),
    ],
    connectionGater: composeGaters(pendingInbound.gater, opts.connectionGater),
    connectionManager: {
      maxConnections: opts.maxConnections,
      // New connections per second from one host. Loopback meshes (100 simulated nodes on one
      // host) open many at once; what one host may *hold* is bounded per address by the gater.
      inboundConnectionThreshold: 1000,
      maxIncomingPendingConnections: opts.maxPendingInbound,
      inboundUpgradeTimeout: opts.inboundUpgradeTimeoutMs,
    },
    services: guardServices(opts, {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        // Adverts must be attributable: the sender signs, and the signer is the advertiser.
        globalSignaturePolicy: 'StrictSign',
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        maxInboundDataLength: opts.maxPubsubMessageBytes,
        // Gossipsub's sybil guard scores down every peer once more than 10 share an IP. In Crank a
        // sybil needs a CA-signed membership certificate, and members often share an address
        // (several nodes on one host, a site behind NAT): past 10 of them the penalty emptied
        // nodes' gossip meshes and their heartbeats stopped arriving.
        scoreParams: { IPColocationFactorWeight: 0 },
        // Without a fast id, gossipsub verifies the signature of every duplicate copy before its
        // seen-cache check: at 60 nodes that was most of the CPU. From + seqno is the message id
        // StrictSign already uses, so this drops duplicates before any crypto.
        fastMsgIdFn: (msg) =>
          msg.from != null && msg.seqno != null
            ? `${Buffer.from(msg.from).toString('base64')}/${Buffer.from(msg.seqno).toString('base64')}`
            : `${msg.data?.byteLength ?? 0}`,
      }),
      ...(opts.dht
        ? {
            dht: kadDHT({
              protocol: DHT_PROTOCOL,
              clientMode: false,
              // Keep loopback and LAN addresses: Crank meshes often live on one host or one LAN.
              peerInfoMapper: (peer) => peer,
            }),
          }
        : {}),
    }),
  })
  return { libp2p, pendingInbound }
}

/** Gossipsub and the DHT see their components through `serviceComponents`; identify and ping do not need to. */
function guardServices<S extends { pubsub: unknown; dht?: unknown }>(opts: NetOptions, services: S): S {
  const wrap = opts.serviceComponents
  if (wrap === undefined) return services
  // A service factory takes libp2p's components and returns the service; only what it is handed changes.
  const guarded = <F>(factory: F): F => ((components: object) => (factory as (c: object) => unknown)(wrap(components))) as F
  return { ...services, pubsub: guarded(services.pubsub), ...(services.dht === undefined ? {} : { dht: guarded(services.dht) }) }
}
