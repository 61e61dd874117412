/**
 * A joining node learns the whole mesh at once: the first verified member it
 * meets that serves SNAPSHOT_PROTOCOL sends every advert it holds, instead of
 * the newcomer waiting a heartbeat for each provider's next advert.
 */
import type { IdentifyResult, Libp2p, PeerId } from '@libp2p/interface'
import type { Logger } from 'pino'
import type { Membership } from '../trust/membership.ts'
import { type AdvertService, SNAPSHOT_PROTOCOL } from './adverts.ts'

/** One snapshot exchange, dial included, may take this long. */
const SNAPSHOT_TIMEOUT_MS = 10_000

export interface AdvertSnapshotsComponents {
  libp2p: Libp2p
  membership: Membership
  adverts: AdvertService
  log: Logger
}

export class AdvertSnapshots {
  private readonly c: AdvertSnapshotsComponents
  private state: 'none' | 'pending' | 'taken' = 'none'

  constructor(components: AdvertSnapshotsComponents) {
    this.c = components
  }

  start(): void {
    this.c.libp2p.addEventListener('peer:identify', this.onIdentify)
  }

  stop(): void {
    this.c.libp2p.removeEventListener('peer:identify', this.onIdentify)
  }

  private readonly onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
    if (this.state !== 'none' || !evt.detail.protocols.includes(SNAPSHOT_PROTOCOL)) return
    this.state = 'pending'
    void this.take(evt.detail.peerId, 'joining').then((ok) => {
      this.state = ok ? 'taken' : 'none' // on failure, try the next member that identifies
    })
  }

  /** Asks one verified member for every advert it holds (its own included); resolves whether that worked. */
  async take(peer: PeerId, why: string): Promise<boolean> {
    const { libp2p, membership, adverts, log } = this.c
    try {
      await membership.authorize(peer)
      const stream = await libp2p.dialProtocol(peer, SNAPSHOT_PROTOCOL, { signal: AbortSignal.timeout(SNAPSHOT_TIMEOUT_MS) })
      const learned = await adverts.fetchSnapshot(stream)
      log.debug({ peer: peer.toString(), learned, why }, 'advert snapshot taken')
      return true
    } catch (err) {
      log.debug({ peer: peer.toString(), err: (err as Error).message, why }, 'advert snapshot failed')
      return false
    }
  }
}
