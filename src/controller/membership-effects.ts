/**
 * What membership decisions change elsewhere on a node: a refused or revoked
 * peer leaves routing, gossip and the address book; a verified one is let back
 * in, redialled, and told our adverts; a newer CRL is saved to the data dir.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { Membership } from '../trust/membership.ts'
import type { RefusalGate } from '../trust/refusal-gate.ts'
import type { AdvertService } from './adverts.ts'
import type { Connectivity } from './connectivity.ts'
import type { MeshRegistry } from './mesh-registry.ts'
import type { AdvertSnapshots } from './snapshots.ts'

export interface MembershipEffectsComponents {
  membership: Membership
  /** Peers the router must not choose, kept by the node. */
  refusedPeers: Set<string>
  mesh: MeshRegistry
  refusals: RefusalGate | undefined
  connectivity: Connectivity
  adverts: AdvertService
  snapshots: AdvertSnapshots
  /** Called with each newer CRL (the node saves it to its data dir). */
  onCrl?: () => void
}

export function followMembership(c: MembershipEffectsComponents): void {
  // A refused or revoked peer's adverts go too: routers must not pick it, snapshots must not relay it.
  const shutOut = (r: { peerId: string; code: string }): void => {
    c.refusedPeers.add(r.peerId)
    c.mesh.remove(r.peerId)
    c.refusals?.refuse(r.peerId, r.code)
    c.connectivity.forget(r.peerId)
  }
  c.membership.on('refused', shutOut)
  c.membership.on('removed', shutOut)
  c.membership.on('verified', (id) => {
    c.refusedPeers.delete(id.peerId)
    c.refusals?.clear(id.peerId)
    c.connectivity.verified(id.peerId, id.name)
    // Our first adverts may have gone out before any neighbour had verified us; once one has, speak.
    // (Receivers also hold an advert while its sender's Hello is in flight: see awaitMembership.)
    if (!c.adverts.heard) c.adverts.changed()
    if (c.adverts.takeDropped(id.peerId)) void c.snapshots.take(peerIdFromString(id.peerId), 'a dropped advert')
  })
  if (c.onCrl !== undefined) c.membership.on('crl', c.onCrl)
}
