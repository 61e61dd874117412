/**
 * Per-address limit on inbound connections that have not finished their handshake.
 *
 * libp2p counts pending inbound connections for the whole node only: one host that opens
 * sockets and never speaks can hold every slot, and nobody else gets in. This gater refuses a
 * new socket from an address that already holds `maxPerAddress` unfinished ones, so such a
 * host can take at most that many of the node's slots. A socket stops counting once its
 * encryption handshake is done (the remote has proved a key) or when it closes.
 *
 * libp2p consults the gater after its own global checks, and a refused socket is closed at
 * once, so refusals never hold a global slot either.
 */
import { isIPv6 } from 'node:net'
import type { ConnectionGater, MultiaddrConnection } from '@libp2p/interface'

export interface PendingInboundOptions {
  /** Unfinished inbound connections one address (an IPv4 address, an IPv6 /64) may hold. */
  maxPerAddress: number
}

export class PendingInboundLimiter {
  readonly #max: number
  readonly #pending = new Map<string, Set<MultiaddrConnection>>()
  /** Sockets refused because their address was at its limit (for status and tests). */
  refused = 0

  constructor(opts: PendingInboundOptions) {
    this.#max = opts.maxPerAddress
  }

  /** Unfinished inbound connections now held by `host`'s address group. */
  pendingFrom(host: string): number {
    return this.#pending.get(addressGroup(host))?.size ?? 0
  }

  /** Unfinished inbound connections held by every address. */
  get pending(): number {
    let n = 0
    for (const s of this.#pending.values()) n += s.size
    return n
  }

  readonly gater: Pick<ConnectionGater, 'denyInboundConnection' | 'denyInboundEncryptedConnection'> = {
    denyInboundConnection: (maConn) => {
      const host = hostOf(maConn)
      // Non-IP transports (memory) have no address to share between connections.
      if (host === undefined) return false
      const key = addressGroup(host)
      let set = this.#pending.get(key)
      if (set === undefined) {
        set = new Set()
        this.#pending.set(key, set)
      }
      if (set.size >= this.#max) {
        this.refused++
        return true
      }
      set.add(maConn)
      maConn.addEventListener('close', () => this.#release(key, maConn), { once: true })
      return false
    },
    denyInboundEncryptedConnection: (_peer, maConn) => {
      const host = hostOf(maConn)
      if (host !== undefined) this.#release(addressGroup(host), maConn)
      return false
    },
  }

  #release(key: string, maConn: MultiaddrConnection): void {
    const set = this.#pending.get(key)
    if (set === undefined) return
    set.delete(maConn)
    if (set.size === 0) this.#pending.delete(key)
  }
}

function hostOf(maConn: MultiaddrConnection): string | undefined {
  for (const c of maConn.remoteAddr.getComponents()) {
    if ((c.name === 'ip4' || c.name === 'ip6') && c.value !== undefined) return c.value
  }
  return undefined
}

/**
 * The unit one remote controls: its IPv4 address, or the /64 of an IPv6 address (a single
 * host is routinely handed a whole /64, so per-address limits on IPv6 would bind nobody).
 */
export function addressGroup(host: string): string {
  if (!isIPv6(host)) return host
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host)
  if (mapped !== null) return mapped[1]!
  const [head = '', tail = ''] = host.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === '' ? [] : tail.split(':')
  const groups = host.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`
}
