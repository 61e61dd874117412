/**
 * Capability providers in the Kademlia DHT: this node announces what it serves
 * under one CID per capability major, and looks providers up there when gossip
 * has named none (a node that joined late, or a capability no neighbour relays).
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Logger } from 'pino'
import type { AnyCapability } from '../capability.ts'
import { capabilityCid } from '../net/capability-cid.ts'
import type { Membership } from '../trust/membership.ts'
import { proveMembers } from '../trust/prove-members.ts'

/** Providers asked for per lookup: enough to choose from, few enough to prove quickly. */
const MAX_PROVIDERS_PER_LOOKUP = 8
/** How long one announcement may take before we give up on it. */
const PROVIDE_TIMEOUT_MS = 30_000

export interface DhtProvidersComponents {
  libp2p: Libp2p
  membership: Membership
  /** Bounds a lookup, and separately the membership proofs of what it found. */
  timeoutMs: number
  log: Logger
}

export class DhtProviders {
  private readonly c: DhtProvidersComponents

  constructor(components: DhtProvidersComponents) {
    this.c = components
  }

  /** Announces every capability; failures are routine on a lone node (no DHT peers yet), gossip still announces us. */
  async provide(capabilities: AnyCapability[]): Promise<void> {
    for (const cap of capabilities) {
      try {
        await this.c.libp2p.contentRouting.provide(await capabilityCid(cap.id, cap.major), {
          signal: AbortSignal.timeout(PROVIDE_TIMEOUT_MS),
        })
      } catch (err) {
        this.c.log.debug({ err: (err as Error).message, capability: cap.key }, 'DHT provide failed')
      }
    }
  }

  /** Providers of the major the range names (1 when it names none) that proved membership; empty on timeout. */
  async find(id: string, range: string, signal?: AbortSignal): Promise<string[]> {
    const { libp2p, timeoutMs, log } = this.c
    const major = /^\^?(\d+)/.exec(range)?.[1]
    const cid = await capabilityCid(id, major === undefined ? 1 : Number(major))
    const found = new Map<string, PeerId>()
    const within = (): AbortSignal => {
      const timeout = AbortSignal.timeout(timeoutMs)
      return signal === undefined ? timeout : AbortSignal.any([signal, timeout])
    }
    try {
      for await (const p of libp2p.contentRouting.findProviders(cid, { signal: within() })) {
        if (!p.id.equals(libp2p.peerId)) found.set(p.id.toString(), p.id)
        if (found.size >= MAX_PROVIDERS_PER_LOOKUP) break
      }
    } catch (err) {
      log.debug({ err: (err as Error).message, capability: id }, 'DHT lookup ended')
    }
    await proveMembers(libp2p, this.c.membership, [...found.values()], within(), log)
    return [...found.keys()]
  }
}
