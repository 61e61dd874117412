/**
 * Capability, health and load adverts over gossipsub (`crank/adverts/1`):
 * published at start, on change and as a heartbeat; validated on receipt
 * (decodes, size limit, signed sender, sequence never goes backwards, member),
 * with every rejection counted by reason.
 */
import { type GossipSub, type Message, type SubscriptionChangeData, TopicValidatorResult } from '@libp2p/gossipsub'
import type { PeerId, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Logger } from 'pino'
import { FrameReader, FrameWriter } from '../net/frame-stream.ts'
import { crank } from '../net/pb/advert.js'
import type { Advert, MeshRegistry } from './mesh-registry.ts'

export const ADVERT_TOPIC = 'crank/adverts/1'
/**
 * Gossipsub only tells direct neighbours about a new subscriber, so a newcomer would wait up to
 * a heartbeat to hear from providers it is not connected to. Instead it asks one verified member
 * for a snapshot of the adverts it holds: O(1) work per join, where asking every provider to
 * re-publish would be O(N) adverts, each flooded to N nodes.
 */
export const SNAPSHOT_PROTOCOL = '/crank/adverts/snapshot/1.0.0'
const MAX_SNAPSHOT_BYTES = 16 * 1024 * 1024
const MAX_DROPPED = 1024

/**
 * Floor on the gap between two adverts from one node, as a fraction of its heartbeat. Every advert
 * costs each receiver a signature check: 100 nodes re-publishing on every job start and end would
 * be 10^5 verifications a second. Routers add their own in-flight counts to cover the gap.
 */
const MIN_INTERVAL_FRACTION = 0.2
const MIN_INTERVAL_FLOOR_MS = 100
const MIN_INTERVAL_CEILING_MS = 1000

const pb = crank.advert.v1

export type AdvertBody = Omit<ConstructorParameters<typeof pb.Advert>[0] & object, 'seq' | 'timestampMs' | 'heartbeatMs'>

export interface LoadFigures {
  inFlight?: number | null
  queued?: number | null
  capacity?: number | null
}

function isFull(load: LoadFigures): boolean {
  const capacity = load.capacity ?? 0
  return capacity > 0 && (load.inFlight ?? 0) + (load.queued ?? 0) >= capacity
}

export type RejectReason = 'unsigned' | 'oversize' | 'malformed' | 'seq_regression' | 'not_member'

export interface AdvertServiceOptions {
  pubsub: GossipSub
  self: PeerId
  registry: MeshRegistry
  /** Builds this node's current advert from its real figures. */
  build: () => AdvertBody
  heartbeatMs: number
  /**
   * A provider we have jobs running on is alive whatever its adverts say: under load, heartbeats
   * slip (a saturated event loop on either side), and dropping a busy provider would strand routing.
   */
  busyWith?: (peer: string) => boolean
  /** Heartbeat while this node serves no capability (default: heartbeatMs). */
  idleHeartbeatMs?: number
  maxBytes: number
  /** Membership rule for gossip: the relaying neighbour must be a member, and the publisher when we know it. Absent: accept all. */
  acceptsGossip?: (source: PeerId, publisher: PeerId) => boolean
  /**
   * Resolves true once `source`, and `publisher` if we are connected to it, have proved
   * membership (a Hello may still be in flight: a newcomer's first advert often arrives through a
   * relay while the newcomer's own connection to us is still being verified).
   */
  awaitMembership?: (source: PeerId, publisher: PeerId) => Promise<boolean>
  log: Logger
  /** A peer's advertised addresses are new or changed (so it can be dialled without a DHT lookup). */
  onAddresses?: (peer: string) => void
  /** Listen only: a client (the CLI) learns the mesh without announcing itself. */
  listenOnly?: boolean
}

export class AdvertService {
  readonly rejected: Record<RejectReason, number> = { unsigned: 0, oversize: 0, malformed: 0, seq_regression: 0, not_member: 0 }
  accepted = 0
  published = 0
  private readonly opts: AdvertServiceOptions
  private readonly lastSeq = new Map<string, number>()
  private seq = Date.now() * 1000 // survives restarts: peers that remember our old seq still accept us
  private timer: NodeJS.Timeout | undefined
  private pending = false
  /** Adverts the validator decoded, for the delivery that follows (each is decoded once). */
  private readonly decoded = new WeakMap<Uint8Array, Advert>()
  private lastPublished = 0
  /** Whether an advert of ours has reached any neighbour yet. */
  heard = false
  /** Publishers whose adverts we dropped while their membership was unproven (bounded). */
  private readonly dropped = new Set<string>()
  /** Whether our last advert said we had no room (in-flight + queued at capacity). */
  private lastFull = false
  /** Whether our last advert listed no capability (it then states the idle heartbeat). */
  private servesNothing = false

  constructor(opts: AdvertServiceOptions) {
    this.opts = opts
  }

  start(): void {
    const { pubsub } = this.opts
    pubsub.topicValidators.set(ADVERT_TOPIC, this.validate)
    pubsub.addEventListener('message', this.onMessage)
    pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    pubsub.subscribe(ADVERT_TOPIC)
    this.publish()
    this.timer = setInterval(() => {
      if (!this.servesNothing || Date.now() - this.lastPublished >= this.idleHeartbeatMs - this.opts.heartbeatMs / 2) this.publish()
      for (const peer of this.opts.registry.prune(Date.now(), this.opts.busyWith))
        this.opts.log.info({ peer }, 'provider dropped: adverts stopped')
    }, this.opts.heartbeatMs)
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
    const { pubsub } = this.opts
    pubsub.removeEventListener('message', this.onMessage)
    pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    pubsub.topicValidators.delete(ADVERT_TOPIC)
  }

  /**
   * Something in the advert changed (load, capabilities, health): publish soon, once.
   * Changes within the minimum interval share one advert, so a busy node doesn't flood the topic.
   */
  changed(): void {
    if (this.pending) return
    this.pending = true
    const minInterval = Math.min(MIN_INTERVAL_CEILING_MS, Math.max(MIN_INTERVAL_FLOOR_MS, this.opts.heartbeatMs * MIN_INTERVAL_FRACTION))
    const wait = Math.max(0, this.lastPublished + minInterval - Date.now())
    setTimeout(() => {
      this.pending = false
      if (this.timer !== undefined) this.publish()
    }, wait)
  }

  /**
   * Our load moved. Every advert costs every member a signature check, so a busy provider does
   * not publish each job's start and end: routers add their own in-flight counts to the last
   * advert, and the heartbeat refreshes it. Only a crossing between room and no room (what
   * routers act on) is published early, within the minimum interval.
   */
  loadChanged(load: LoadFigures): void {
    if (isFull(load) !== this.lastFull) this.changed()
  }

  /**
   * Our first neighbour on the topic: the advert we published at start reached nobody, so publish
   * now rather than at the next heartbeat. Members do not re-publish for every newcomer (that
   * would be O(N) floods per join): a newcomer learns the mesh from one snapshot instead.
   */
  private readonly onSubscriptionChange = (evt: CustomEvent<SubscriptionChangeData>): void => {
    if (!this.heard && evt.detail.subscriptions.some((s) => s.topic === ADVERT_TOPIC && s.subscribe)) this.changed()
  }

  private get idleHeartbeatMs(): number {
    return this.opts.idleHeartbeatMs ?? this.opts.heartbeatMs
  }

  /** Serves a snapshot of every advert we hold (the caller is a verified member: the node guards the handler). */
  readonly serveSnapshot = (stream: Stream): void => {
    const now = Date.now()
    const entries = this.opts.registry
      .all()
      .map((p) => ({ peer: p.peer, advert: pb.Advert.encode(p.advert).finish(), ageMs: now - p.receivedAt }))
    // A stopped service is silent: it no more names itself in a snapshot than on gossip.
    const own =
      this.opts.listenOnly === true || this.timer === undefined
        ? []
        : [{ peer: this.opts.self.toString(), advert: pb.Advert.encode(this.current()).finish(), ageMs: 0 }]
    const bytes = pb.AdvertSnapshot.encode({ entries: [...own, ...entries] }).finish()
    // The close can fail too (the peer reset the stream): that must not become an unhandled rejection.
    new FrameWriter(stream)
      .write(bytes)
      .then(() => stream.close())
      .catch((err: unknown) => stream.abort(err instanceof Error ? err : new Error(String(err))))
  }

  /** Fills the registry from one member's snapshot; returns how many providers it learned. */
  async fetchSnapshot(stream: Stream): Promise<number> {
    const reader = new FrameReader(stream, { maxFrameBytes: MAX_SNAPSHOT_BYTES, highWaterMark: MAX_SNAPSHOT_BYTES })
    const first = await reader.next()
    await stream.close().catch(() => {})
    if (first.done === true) return 0
    const snapshot = pb.AdvertSnapshot.decode(first.value)
    const now = Date.now()
    let learned = 0
    for (const e of snapshot.entries ?? []) {
      const peer = e.peer ?? ''
      if (peer === '' || peer === this.opts.self.toString() || this.opts.registry.get(peer) !== undefined) continue
      try {
        // A relayed entry names its sender: one that is not a peer id would break every later dial.
        peerIdFromString(peer)
        const advert = pb.Advert.decode(e.advert ?? new Uint8Array())
        if (this.opts.registry.upsert(peer, advert, now - (e.ageMs ?? 0))) this.opts.onAddresses?.(peer)
        // Gossip replays of anything older than what the snapshot showed are regressions.
        this.lastSeq.set(peer, Math.max(this.lastSeq.get(peer) ?? 0, Number(advert.seq ?? 0)))
      } catch {
        continue // one bad entry does not spoil the rest
      }
      learned++
    }
    return learned
  }

  private current(): Advert {
    const body = this.opts.build()
    // Receivers prune on the heartbeat the advert states, so an idle node is not dropped between its slower adverts.
    // Serving nothing, an advert only says that we exist and where.
    this.servesNothing = (body.capabilities?.length ?? 0) === 0
    const heartbeatMs = this.servesNothing ? this.idleHeartbeatMs : this.opts.heartbeatMs
    return pb.Advert.create({ ...body, seq: ++this.seq, timestampMs: Date.now(), heartbeatMs })
  }

  private publish(): void {
    if (this.opts.listenOnly === true) return
    const at = Date.now()
    this.lastPublished = at
    const advert = this.current()
    this.lastFull = isFull(advert.load ?? {})
    this.opts.pubsub.publish(ADVERT_TOPIC, pb.Advert.encode(advert).finish()).then(
      ({ recipients }) => {
        this.published++
        // An advert nobody received (a node's first, before any neighbour subscribed) must not
        // hold back the next one: the newcomer would otherwise stay unknown for a whole interval.
        if (recipients.length > 0) this.heard = true
        else if (this.lastPublished === at) this.lastPublished = 0
      },
      (err: unknown) => this.opts.log.debug({ err }, 'advert publish failed'),
    )
  }

  private readonly validate = (source: PeerId, msg: Message): TopicValidatorResult | Promise<TopicValidatorResult> => {
    if (msg.type !== 'signed') return this.reject('unsigned')
    if (msg.data.byteLength > this.opts.maxBytes) return this.reject('oversize')
    const accepts = this.opts.acceptsGossip
    if (accepts === undefined || accepts(source, msg.from)) return this.check(msg)
    const wait = this.opts.awaitMembership
    if (wait === undefined) return this.reject('not_member')
    return wait(source, msg.from).then((ok) => {
      if (ok && accepts(source, msg.from)) return this.check(msg)
      if (this.dropped.size >= MAX_DROPPED) this.dropped.clear()
      this.dropped.add(msg.from.toString())
      return this.reject('not_member')
    })
  }

  /**
   * Whether we dropped an advert of `peer`'s because its membership was not yet proven (and forget
   * it). Gossip will not send that advert again before the peer's next heartbeat, so a node that
   * later verifies `peer` asks it for a snapshot instead.
   */
  takeDropped(peer: string): boolean {
    return this.dropped.delete(peer)
  }

  /**
   * Counts and drops. `Reject` also makes gossipsub penalise the neighbour that relayed it, which
   * is right for bytes no honest node would send. An old sequence number is not such proof: an
   * honest relay can deliver an advert late over a slow path, or after we took a newer one from a
   * snapshot. Penalising that starved meshes of their links (peers pruned, heartbeats lost), so
   * regressions are `Ignore`d: dropped and not forwarded, without a penalty.
   */
  private reject(reason: RejectReason): TopicValidatorResult {
    this.rejected[reason]++
    this.opts.log.debug({ reason }, 'advert rejected')
    return reason === 'seq_regression' ? TopicValidatorResult.Ignore : TopicValidatorResult.Reject
  }

  private check(msg: Message & { type: 'signed' }): TopicValidatorResult {
    const sender = msg.from.toString()
    let advert: Advert
    try {
      advert = pb.Advert.decode(msg.data)
    } catch {
      return this.reject('malformed')
    }
    const seq = Number(advert.seq ?? 0)
    if (seq <= (this.lastSeq.get(sender) ?? 0)) return this.reject('seq_regression')
    this.lastSeq.set(sender, seq)
    this.decoded.set(msg.data, advert)
    return TopicValidatorResult.Accept
  }

  private readonly onMessage = (evt: CustomEvent<Message>): void => {
    const msg = evt.detail
    if (msg.topic !== ADVERT_TOPIC || msg.type !== 'signed') return
    const peer = msg.from.toString()
    if (peer === this.opts.self.toString()) return
    // The validator decoded it already; a message that skipped validation is decoded here.
    let advert = this.decoded.get(msg.data)
    if (advert === undefined) {
      try {
        advert = pb.Advert.decode(msg.data)
      } catch {
        return
      }
    }
    this.accepted++
    if (this.opts.registry.upsert(peer, advert)) this.opts.onAddresses?.(peer)
  }
}
