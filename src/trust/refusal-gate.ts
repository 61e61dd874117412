/**
 * Keeps refused and revoked peers out, with exponential backoff.
 *
 * Without it a refused peer could reconnect at once, each time with a fresh
 * grace period, and every member would log every refusal (a revoked node
 * redialling 10 times a second made 3,900 log lines in 10 minutes). Here each
 * refusal shuts the peer out for `baseMs · 2^(step-1)` (capped at `maxMs`);
 * while it is shut out libp2p refuses its connections (inbound, once TLS has
 * named the peer) and our dials to it, silently but counted. The refusal
 * itself is logged once per step: the next line can only come after the gate
 * reopens and the peer is refused again.
 *
 * Used as libp2p's `connectionGater` (keyed by peer id); a peer that proves
 * membership is forgotten.
 */
import type { ConnectionGater, PeerId } from '@libp2p/interface'

/** The subset of pino's Logger this module uses. */
interface Log {
  warn(obj: object, msg?: string): void
}

export interface RefusalGateOptions {
  /** First shut-out after a refusal; doubles with each further refusal. */
  baseMs: number
  /** Longest shut-out. */
  maxMs: number
  log?: Log
}

/** Peers remembered at most; the oldest entry goes first (a flood of fresh peer ids cannot grow memory). */
const MAX_TRACKED_PEERS = 10_000

export interface RefusalState {
  /** Refusals so far: the backoff step. */
  step: number
  /** Until when its connections are refused (epoch ms). */
  until: number
  /** Connections and dials refused while shut out. */
  denied: number
  /** Why it was last refused. */
  code: string
}

export class RefusalGate {
  readonly #baseMs: number
  readonly #maxMs: number
  readonly #log: Log | undefined
  readonly #peers = new Map<string, RefusalState>()
  /** Connections and dials refused in all, for status and tests. */
  denied = 0

  constructor(opts: RefusalGateOptions) {
    this.#baseMs = opts.baseMs
    this.#maxMs = opts.maxMs
    this.#log = opts.log
  }

  /**
   * Records a refusal and shuts the peer out for the next backoff step. A refusal while the peer
   * is already shut out (a second connection, revoked and refused at once) is the same step.
   * Returns the state.
   */
  refuse(peer: string, code: string, now = Date.now()): RefusalState {
    const st = this.#peers.get(peer)
    if (st !== undefined && st.until > now) return st
    const step = (st?.step ?? 0) + 1
    const wait = Math.min(this.#maxMs, this.#baseMs * 2 ** Math.min(step - 1, 40))
    const next: RefusalState = { step, until: now + wait, denied: st?.denied ?? 0, code }
    this.#peers.delete(peer) // re-insert: the map's order is then least recently refused first
    this.#peers.set(peer, next)
    if (this.#peers.size > MAX_TRACKED_PEERS) this.#peers.delete(this.#peers.keys().next().value as string)
    this.#log?.warn({ peer, code, step, backoffMs: wait }, 'peer refused; its connections are refused during the backoff')
    return next
  }

  /** The peer proved membership: it starts over. */
  clear(peer: string): void {
    this.#peers.delete(peer)
  }

  state(peer: string): RefusalState | undefined {
    return this.#peers.get(peer)
  }

  /** Whether the peer is shut out now; counts the attempt when it is. */
  #deny(peer: PeerId): boolean {
    const st = this.#peers.get(peer.toString())
    if (st === undefined || st.until <= Date.now()) return false
    st.denied++
    this.denied++
    return true
  }

  /** The libp2p connection gater: our dials to the peer, and its connections once TLS names it. */
  readonly connectionGater: ConnectionGater = {
    denyDialPeer: (peer) => this.#deny(peer),
    denyInboundEncryptedConnection: (peer) => this.#deny(peer),
    denyOutboundEncryptedConnection: (peer) => this.#deny(peer),
  }
}
