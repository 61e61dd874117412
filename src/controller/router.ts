/**
 * Chooses where a job runs and says why. Local first when this node serves the
 * capability and has room; otherwise power of two choices among remote
 * providers on advertised load plus our own in-flight count to each.
 */
import type { RouteReason } from '../jobs/job-handle.ts'
import type { BanList } from './bans.ts'
import type { MeshRegistry, ProviderQuery, RemoteProvider } from './mesh-registry.ts'

export type RouteMode = 'local' | 'prefer-local' | 'any'

export interface RouteRequest extends ProviderQuery {
  mode: RouteMode
  /** Peers already tried for this job: each provider is tried at most once. */
  exclude: ReadonlySet<string>
}

export type RouteDecision =
  | { kind: 'local'; reason: RouteReason }
  | { kind: 'remote'; peer: string; reason: RouteReason }
  | { kind: 'none'; why: string }

export interface Candidate {
  peer: string
  eligible: boolean
  why: string
  score?: number
}

export interface LocalView {
  /** Whether this node serves a version matching the query with its constraints. */
  serves(q: ProviderQuery): boolean
  /** Whether it could start another job of this capability now. */
  hasCapacity(id: string): boolean
}

/** Peers with no job of ours running that keep their (zero) count; past this many, idle ones are dropped. */
const MAX_IDLE_PEERS = 1024

export class Router {
  private readonly registry: MeshRegistry
  private readonly bans: BanList
  private readonly local: LocalView
  /** Jobs we have in flight to each peer: our own view of load that adverts can't show yet. */
  private readonly outstandingByPeer = new Map<string, number>()
  private readonly random: () => number

  /** Why a peer may not be chosen at all (e.g. not a verified member), or undefined when it may. */
  private readonly ineligible: (peer: string) => string | undefined
  /** Whether a peer has proven mesh membership: a provider only the DHT names must have. */
  private readonly proven: (peer: string) => boolean

  constructor(opts: {
    registry: MeshRegistry
    bans: BanList
    local: LocalView
    random?: () => number
    ineligible?: (peer: string) => string | undefined
    proven?: (peer: string) => boolean
  }) {
    this.registry = opts.registry
    this.bans = opts.bans
    this.local = opts.local
    this.ineligible = opts.ineligible ?? (() => undefined)
    this.proven = opts.proven ?? (() => true)
    this.random = opts.random ?? Math.random
  }

  /** Whether gossip has named any provider of the query (a lookup elsewhere is needed when not). */
  knows(q: ProviderQuery): boolean {
    return this.registry.find(q).length > 0
  }

  begin(peer: string): void {
    this.outstandingByPeer.set(peer, (this.outstandingByPeer.get(peer) ?? 0) + 1)
  }

  /** Jobs of ours now running on `peer`. */
  outstanding(peer: string): number {
    return this.outstandingByPeer.get(peer) ?? 0
  }

  /**
   * A peer's count stays at zero rather than leave the map: a delete and a set per job (one job
   * at a time) would churn the map's table, which costs more than its size (see jobs/roster.ts).
   * Idle peers are let go once many are held.
   */
  end(peer: string): void {
    const n = Math.max(0, (this.outstandingByPeer.get(peer) ?? 1) - 1)
    if (n === 0 && this.outstandingByPeer.size > MAX_IDLE_PEERS) this.outstandingByPeer.delete(peer)
    else this.outstandingByPeer.set(peer, n)
  }

  /** Every remote provider and whether it could take this job, with the reason. */
  candidates(req: RouteRequest, extra: string[] = []): Candidate[] {
    const matching = new Map<string, RemoteProvider | undefined>(this.registry.find(req).map((p) => [p.peer, p]))
    for (const peer of extra) if (!matching.has(peer)) matching.set(peer, undefined)
    return [...matching].map(([peer, p]): Candidate => {
      if (req.exclude.has(peer)) return { peer, eligible: false, why: 'already tried for this job' }
      const refused = this.ineligible(peer)
      if (refused !== undefined) return { peer, eligible: false, why: refused }
      // Anyone reachable through the DHT can claim to provide anything; an advert is signed and came from a member.
      if (p === undefined && !this.proven(peer))
        return { peer, eligible: false, why: 'found only through the DHT and has not proven mesh membership' }
      const banned = this.bans.remaining(peer)
      if (banned > 0) return { peer, eligible: false, why: `failed recently; banned for ${banned} ms more` }
      const score = this.score(peer, p)
      return {
        peer,
        eligible: true,
        why: p === undefined ? 'found through the DHT (no advert yet); a proven mesh member' : `load score ${score.toFixed(2)}`,
        score,
      }
    })
  }

  decide(req: RouteRequest, dhtPeers: string[] = []): RouteDecision {
    const servesLocally = this.local.serves(req)
    if (req.mode === 'local') {
      return servesLocally ? { kind: 'local', reason: 'local' } : { kind: 'none', why: `this node does not serve ${describe(req)}` }
    }
    if (servesLocally && !req.exclude.has('local') && this.local.hasCapacity(req.id)) return { kind: 'local', reason: 'local' }
    const eligible = this.candidates(req, dhtPeers).filter((c) => c.eligible)
    const reason: RouteReason = servesLocally ? 'local-saturated' : 'no-local-satisfier'
    if (eligible.length === 0) {
      // Saturated but serving: queue locally rather than fail.
      if (servesLocally && !req.exclude.has('local')) return { kind: 'local', reason: 'local' }
      return {
        kind: 'none',
        why: `no provider of ${describe(req)}${req.exclude.size > 0 ? ` left to try (tried ${req.exclude.size})` : ''}`,
      }
    }
    const pick = this.twoChoices(eligible)
    return { kind: 'remote', peer: pick.peer, reason }
  }

  private twoChoices(eligible: Candidate[]): Candidate {
    if (eligible.length === 1) return eligible[0] as Candidate
    const a = eligible[Math.floor(this.random() * eligible.length)] as Candidate
    let b = a
    while (b === a) b = eligible[Math.floor(this.random() * eligible.length)] as Candidate
    return (a.score ?? 0) <= (b.score ?? 0) ? a : b
  }

  private score(peer: string, p: RemoteProvider | undefined): number {
    const load = p?.advert.load
    const capacity = Math.max(1, load?.capacity ?? 1)
    return ((load?.inFlight ?? 0) + (load?.queued ?? 0) + this.outstanding(peer)) / capacity
  }
}

export function describe(q: ProviderQuery): string {
  const parts = [q.range === '' ? q.id : `${q.id}@${q.range}`]
  if (q.gpu === true) parts.push('with gpu')
  if ((q.tags ?? []).length > 0) parts.push(`tagged ${q.tags?.join(',')}`)
  return parts.join(' ')
}
