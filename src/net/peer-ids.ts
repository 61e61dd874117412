/**
 * Peer id strings to PeerId objects, cached: parsing one is a base58 decode, and
 * every remote job names its peer by string.
 */
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'

/** Past this many, the cache starts over rather than grow with every peer ever named. */
const MAX_CACHED = 10_000

export class PeerIds {
  private readonly ids = new Map<string, PeerId>()

  /** Throws on a string that is not a peer id. */
  get(peer: string): PeerId {
    let id = this.ids.get(peer)
    if (id === undefined) {
      id = peerIdFromString(peer)
      if (this.ids.size >= MAX_CACHED) this.ids.clear()
      this.ids.set(peer, id)
    }
    return id
  }
}
