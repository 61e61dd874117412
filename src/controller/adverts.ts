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
  /** Membership check; everyone is a member when absent (open mesh). */
  isMember?: (peer: string) => boolean
  log: Logger
  onUpdate?: (peer: string) => void
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
  private lastPublished = 0

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

  /** A peer that just joined the topic knows nothing yet: tell it now instead of at the next heartbeat. */
  private readonly onSubscriptionChange = (evt: CustomEvent<SubscriptionChangeData>): void => {
    if (evt.detail.subscriptions.some((s) => s.topic === ADVERT_TOPIC && s.subscribe)) this.changed()
  }

  private publish(): void {
    this.lastPublished = Date.now()
    const advert = pb.Advert.create({ ...this.opts.build(), seq: ++this.seq, timestampMs: Date.now(), heartbeatMs: this.opts.heartbeatMs })
    this.opts.pubsub.publish(ADVERT_TOPIC, pb.Advert.encode(advert).finish()).then(
      () => {
        this.published++
      },
      (err: unknown) => this.opts.log.debug({ err }, 'advert publish failed'),
    )
  }

  private readonly validate = (_from: PeerId, msg: Message): TopicValidatorResult => {
    const reject = (reason: RejectReason): TopicValidatorResult => {
      this.rejected[reason]++
      this.opts.log.debug({ reason }, 'advert rejected')
      return TopicValidatorResult.Reject
    }
    if (msg.type !== 'signed') return reject('unsigned')
    if (msg.data.byteLength > this.opts.maxBytes) return reject('oversize')
    const sender = msg.from.toString()
    if (this.opts.isMember !== undefined && !this.opts.isMember(sender)) return reject('not_member')
    let advert: Advert
    try {
      advert = pb.Advert.decode(msg.data)
    } catch {
      return reject('malformed')
    }
    const seq = Number(advert.seq ?? 0)
    if (seq <= (this.lastSeq.get(sender) ?? 0)) return reject('seq_regression')
    this.lastSeq.set(sender, seq)
    return TopicValidatorResult.Accept
  }

  private readonly onMessage = (evt: CustomEvent<Message>): void => {
    const msg = evt.detail
    if (msg.topic !== ADVERT_TOPIC || msg.type !== 'signed') return
    const peer = msg.from.toString()
    if (peer === this.opts.self.toString()) return
    try {
      // A peer we have never heard from is probably new to the mesh and knows nothing of us:
      // answer with our advert now rather than at our next heartbeat.
      if (this.opts.registry.get(peer) === undefined) this.changed()
      this.opts.registry.upsert(peer, pb.Advert.decode(msg.data))
      this.accepted++
      this.opts.onUpdate?.(peer)
    } catch {
      // already counted by the validator
    }
  }
}
