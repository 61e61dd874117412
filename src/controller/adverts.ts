/**
 * Capability, health and load adverts over gossipsub (`crank/adverts/1`):
 * published at start, on change and as a heartbeat; validated on receipt
 * (decodes, size limit, signed sender, sequence never goes backwards, member),
 * with every rejection counted by reason.
 */
import { type GossipSub, type Message, type SubscriptionChangeData, TopicValidatorResult } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import type { Logger } from 'pino'
import { crank } from '../jobs/pb/advert.js'
import type { Advert, MeshRegistry } from './mesh-registry.ts'

export const ADVERT_TOPIC = 'crank/adverts/1'
/**
 * Newcomers (nodes and listen-only clients) say hello here; every node answers with its advert
 * at once. Gossipsub only tells direct neighbours about a new subscriber, so without this a
 * newcomer would wait up to a heartbeat to hear from providers it is not connected to.
 */
export const HELLO_TOPIC = 'crank/hello/1'
const HELLO = new TextEncoder().encode('hello')

const MIN_INTERVAL_MS = 100

const pb = crank.advert.v1

export type AdvertBody = Omit<ConstructorParameters<typeof pb.Advert>[0] & object, 'seq' | 'timestampMs' | 'heartbeatMs'>

export type RejectReason = 'unsigned' | 'oversize' | 'malformed' | 'seq_regression' | 'not_member'

export interface AdvertServiceOptions {
  pubsub: GossipSub
  self: PeerId
  registry: MeshRegistry
  /** Builds this node's current advert from its real figures. */
  build: () => AdvertBody
  heartbeatMs: number
  maxBytes: number
  /** Membership rule for gossip: the relaying neighbour must be a member, and the publisher when we know it. Absent: accept all. */
  acceptsGossip?: (source: PeerId, publisher: PeerId) => boolean
  /** Resolves true once `source` has proved membership (its Hello may still be in flight). */
  awaitMembership?: (source: PeerId) => Promise<boolean>
  log: Logger
  onUpdate?: (peer: string) => void
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
  private helloPending = false
  private lastPublished = 0

  constructor(opts: AdvertServiceOptions) {
    this.opts = opts
  }

  start(): void {
    const { pubsub } = this.opts
    pubsub.topicValidators.set(ADVERT_TOPIC, this.validate)
    pubsub.topicValidators.set(HELLO_TOPIC, this.validateHello)
    pubsub.addEventListener('message', this.onMessage)
    pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    pubsub.subscribe(ADVERT_TOPIC)
    pubsub.subscribe(HELLO_TOPIC)
    this.publish()
    this.timer = setInterval(() => {
      this.publish()
      for (const peer of this.opts.registry.prune()) {
        this.opts.log.info({ peer }, 'provider dropped: adverts stopped')
        this.opts.onUpdate?.(peer)
      }
    }, this.opts.heartbeatMs)
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
    const { pubsub } = this.opts
    pubsub.removeEventListener('message', this.onMessage)
    pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    pubsub.topicValidators.delete(ADVERT_TOPIC)
    pubsub.topicValidators.delete(HELLO_TOPIC)
    pubsub.unsubscribe(HELLO_TOPIC)
  }

  /**
   * Something in the advert changed (load, capabilities, health): publish soon, once.
   * Changes within MIN_INTERVAL_MS share one advert, so a busy node doesn't flood the topic.
   */
  changed(): void {
    if (this.pending) return
    this.pending = true
    const wait = Math.max(0, this.lastPublished + MIN_INTERVAL_MS - Date.now())
    setTimeout(() => {
      this.pending = false
      if (this.timer !== undefined) this.publish()
    }, wait)
  }

  /**
   * A neighbour that just joined knows nothing yet: tell it now instead of at the next heartbeat,
   * and say hello through it so the rest of the mesh answers us too.
   */
  private readonly onSubscriptionChange = (evt: CustomEvent<SubscriptionChangeData>): void => {
    if (evt.detail.subscriptions.some((s) => s.topic === ADVERT_TOPIC && s.subscribe)) this.changed()
    if (evt.detail.subscriptions.some((s) => s.topic === HELLO_TOPIC && s.subscribe)) this.sayHello()
  }

  /** Asks every node to re-publish its advert (rate-limited on their side by `changed()`). */
  sayHello(): void {
    if (this.timer === undefined || this.helloPending) return
    this.helloPending = true
    setTimeout(() => {
      this.helloPending = false
      this.opts.pubsub.publish(HELLO_TOPIC, HELLO).catch((err: unknown) => this.opts.log.debug({ err }, 'hello publish failed'))
    }, 50)
  }

  private readonly validateHello = (source: PeerId, msg: Message): TopicValidatorResult | Promise<TopicValidatorResult> => {
    if (msg.type !== 'signed' || msg.data.byteLength > 64) return TopicValidatorResult.Reject
    const accepts = this.opts.acceptsGossip
    if (accepts === undefined || accepts(source, msg.from)) return TopicValidatorResult.Accept
    const wait = this.opts.awaitMembership
    if (wait === undefined) return TopicValidatorResult.Reject
    return wait(source).then((ok) => (ok && accepts(source, msg.from) ? TopicValidatorResult.Accept : TopicValidatorResult.Reject))
  }

  private publish(): void {
    if (this.opts.listenOnly === true) return
    this.lastPublished = Date.now()
    const advert = pb.Advert.create({ ...this.opts.build(), seq: ++this.seq, timestampMs: Date.now(), heartbeatMs: this.opts.heartbeatMs })
    this.opts.pubsub.publish(ADVERT_TOPIC, pb.Advert.encode(advert).finish()).then(
      () => {
        this.published++
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
    return wait(source).then((ok) => (ok && accepts(source, msg.from) ? this.check(msg) : this.reject('not_member')))
  }

  private reject(reason: RejectReason): TopicValidatorResult {
    this.rejected[reason]++
    this.opts.log.debug({ reason }, 'advert rejected')
    return TopicValidatorResult.Reject
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
    return TopicValidatorResult.Accept
  }

  private readonly onMessage = (evt: CustomEvent<Message>): void => {
    const msg = evt.detail
    if (msg.topic === HELLO_TOPIC) {
      this.changed()
      return
    }
    if (msg.topic !== ADVERT_TOPIC || msg.type !== 'signed') return
    const peer = msg.from.toString()
    if (peer === this.opts.self.toString()) return
    try {
      this.opts.registry.upsert(peer, pb.Advert.decode(msg.data))
      this.accepted++
      this.opts.onUpdate?.(peer)
    } catch {
      // already counted by the validator
    }
  }
}
