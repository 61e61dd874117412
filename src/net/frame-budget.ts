/**
 * How many frame bytes peers may make this node hold: partial frames still
 * arriving plus whole frames not yet consumed. One budget per node, one account
 * per connection. A connection whose peer has not proven membership gets a much
 * smaller account; a stream that would overdraw it waits (is not read) until the
 * proof arrives. A proven member's stream that would overdraw its connection's or
 * the node's budget is reset with `buffer_full` instead: waiting could deadlock
 * when the bytes held are partial frames that only more bytes would complete.
 */
import type { Connection } from '@libp2p/interface'

export interface FrameBudgetLimits {
  /** Across every connection. */
  nodeBytes: number
  /** Per connection of a proven member. */
  connectionBytes: number
  /** Per connection of a peer not yet proven. */
  unprovenConnectionBytes: number
}

/** `wait`: hold off reading until membership is proven; `refuse`: reset the stream. */
export type Reservation = 'ok' | 'wait' | 'refuse'

export class ConnectionAccount {
  held = 0
  private readonly budget: FrameBudget
  private readonly proven: () => boolean

  constructor(budget: FrameBudget, proven: () => boolean) {
    this.budget = budget
    this.proven = proven
  }

  /** Whether `bytes` more may be held; accounted only when `ok`. */
  reserve(bytes: number): Reservation {
    if (bytes <= 0) return 'ok'
    const proven = this.proven()
    const limit = proven ? this.budget.limits.connectionBytes : this.budget.limits.unprovenConnectionBytes
    if (this.held + bytes > limit || this.budget.held + bytes > this.budget.limits.nodeBytes) return proven ? 'refuse' : 'wait'
    this.adjust(bytes)
    return 'ok'
  }

  /** Gives back bytes no longer held (consumed or dropped). */
  release(bytes: number): void {
    if (bytes > 0) this.adjust(-bytes)
  }

  get isProven(): boolean {
    return this.proven()
  }

  private adjust(delta: number): void {
    this.held += delta
    this.budget.held += delta
    if (this.budget.held > this.budget.peak) this.budget.peak = this.budget.held
  }
}

export class FrameBudget {
  readonly limits: FrameBudgetLimits
  /** Bytes held across the node now. */
  held = 0
  /** The most ever held at once: what the budget actually cost. */
  peak = 0
  private readonly accounts = new WeakMap<Connection, ConnectionAccount>()
  private readonly proven: (peer: string) => boolean

  constructor(limits: FrameBudgetLimits, proven: (peer: string) => boolean) {
    this.limits = limits
    this.proven = proven
  }

  account(conn: Connection): ConnectionAccount {
    let acct = this.accounts.get(conn)
    if (acct === undefined) {
      const peer = conn.remotePeer.toString()
      acct = new ConnectionAccount(this, () => this.proven(peer))
      this.accounts.set(conn, acct)
    }
    return acct
  }
}
