/**
 * What the mesh has told us: each remote provider's latest advert, dropped
 * after it misses `missedHeartbeats` heartbeats.
 */
import { EventEmitter } from 'node:events'
import semver from 'semver'
import type { crank } from '../net/pb/advert.js'

export type Advert = crank.advert.v1.Advert

export interface RemoteProvider {
  peer: string
  advert: Advert
  receivedAt: number
}

export interface ProviderQuery {
  id: string
  range: string
  gpu?: boolean
  tags?: string[]
}

export interface MeshRegistryEvents {
  /** A peer we held no advert for is now known (embedders and the simulator watch the mesh with this). */
  added: [peer: string]
  /** A peer left the registry: adverts stopped, or it was shut out. */
  removed: [peer: string]
}

export class MeshRegistry extends EventEmitter<MeshRegistryEvents> {
  private readonly providers = new Map<string, RemoteProvider>()
  private readonly missedHeartbeats: number

  constructor(opts: { missedHeartbeats: number }) {
    super()
    this.missedHeartbeats = opts.missedHeartbeats
  }

  /** Records the peer's latest advert; true when its advertised addresses are new or changed. */
  upsert(peer: string, advert: Advert, now = Date.now()): boolean {
    const previous = this.providers.get(peer)
    const before = previous?.advert.addrs ?? []
    this.providers.set(peer, { peer, advert, receivedAt: now })
    if (previous === undefined) this.emit('added', peer)
    const after = advert.addrs ?? []
    return before.length !== after.length || after.some((a, i) => !sameBytes(a, before[i]))
  }

  remove(peer: string): void {
    if (this.providers.delete(peer)) this.emit('removed', peer)
  }

  get(peer: string): RemoteProvider | undefined {
    return this.providers.get(peer)
  }

  all(): RemoteProvider[] {
    return [...this.providers.values()]
  }

  /** Drops providers whose adverts stopped, except those `keep` vouches for; returns the peers dropped. */
  prune(now = Date.now(), keep?: (peer: string) => boolean): string[] {
    const dropped: string[] = []
    for (const [peer, p] of this.providers) {
      if (now - p.receivedAt > this.missedHeartbeats * (p.advert.heartbeatMs || 5000) && keep?.(peer) !== true) {
        this.providers.delete(peer)
        dropped.push(peer)
        this.emit('removed', peer)
      }
    }
    return dropped
  }

  /** Providers advertising a version of `id` in `range`, with every constraint honoured. */
  find(q: ProviderQuery): RemoteProvider[] {
    return this.all().filter((p) => p.advert.health !== 'draining' && advertMatches(p.advert, q))
  }
}

export function advertMatches(advert: Advert, q: ProviderQuery): boolean {
  return (advert.capabilities ?? []).some(
    (c) =>
      c.id === q.id &&
      (q.range === '' || semver.satisfies(c.version ?? '', q.range)) &&
      (q.gpu !== true || c.gpu === true) &&
      (q.tags ?? []).every((t) => (c.tags ?? []).includes(t)),
  )
}

function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && a.byteLength === b.byteLength && a.every((x, i) => x === b[i])
}
