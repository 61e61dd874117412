/**
 * Keeps a node in its mesh: while fewer than `minPeers` members are connected, it redials the
 * bootstrap peers and the members it knows, each with its own exponential backoff and jitter,
 * a few at a time (after js-libp2p's reconnect queue, which gives up after 5 tries; a node that
 * gives up on its seed stays alone forever). It also says when the node has no member at all
 * (isolated) and when it is back (joined), once per change.
 *
 * Everything it touches is injected (what to dial, how, who is connected, the clock and the
 * randomness), so the policy is testable without a network.
 */

export interface DialTarget {
  /** Peer id when known (members, bootstrap addresses with /p2p/), else the address itself. */
  key: string
  peer?: string
  addrs: string[]
  bootstrap: boolean
}

export type ConnectivityState = 'isolated' | 'joined'

export interface ReconnectorStatus {
  state: ConnectivityState
  /** When (epoch ms) the node entered this state. */
  since: number
  /** Members connected now. */
  members: number
  minPeers: number
  /** Known targets (bootstrap peers and address-book members) not connected now. */
  disconnectedTargets: number
  dialsInFlight: number
  /** When (epoch ms) the next redial is due; undefined when none is scheduled. */
  nextDialAt: number | undefined
}

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export interface ReconnectorOptions {
  /** Redial while fewer members than this are connected; an isolated node redials even at 0. */
  minPeers: number
  /** First retry after about this long; doubles per consecutive failure. */
  baseDelayMs: number
  maxDelayMs: number
  /** Dials in flight at once while isolated; below minPeers but connected, one at a time, `baseDelayMs` apart. */
  maxParallel: number
  /** Bootstrap peers and known members, fresh on every round. */
  targets(): DialTarget[]
  /** Members connected now (verified; pending peers do not count). */
  members(): number
  isConnected(peer: string): boolean
  /** Connected and a verified member: only then does a target's backoff start over. */
  isMember(peer: string): boolean
  /** Dials one target; resolves once connected, rejects on failure. */
  dial(target: DialTarget): Promise<void>
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; debug(obj: object, msg: string): void }
  clock?: Clock
  /** In [0, 1); Math.random by default. */
  random?: () => number
  /**
   * A connection proves nothing until the peer's membership is verified. When the first round
   * of dials connected somewhere but no member is verified yet, "isolated" is said only if that
   * is still so this much later (the trust grace period). Default 10 s.
   */
  verifyGraceMs?: number
  /** Called on every change of state, after the log line. */
  onState?: (status: ReconnectorStatus) => void
}

/**
 * Delay before retry number `failures` (1 = after the first failure): base·2^(failures−1),
 * capped at max, then jittered down by up to half ("equal jitter"), so that nodes that lost
 * the same seed at the same moment spread their redials over a window instead of arriving
 * together.
 */
export function redialDelay(failures: number, baseMs: number, maxMs: number, random: () => number): number {
  if (failures <= 0) return 0
  const full = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30))
  return full - (full / 2) * random()
}

const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms)
    t.unref()
    return t
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
}

interface TargetState {
  failures: number
  nextAt: number
  dialing: boolean
}

export class Reconnector {
  readonly #o: ReconnectorOptions
  readonly #clock: Clock
  readonly #random: () => number
  readonly #targets = new Map<string, TargetState>()
  #timer: unknown
  #timerAt: number | undefined
  #running = false
  #inFlight = 0
  #state: ConnectivityState = 'isolated'
  #since: number
  #everJoined = false
  /** Targets dialled in the first round; once it ends without a member, "isolated" is worth saying. */
  #firstRound: Set<string> | undefined
  #firstRoundConnected = false

  constructor(opts: ReconnectorOptions) {
    this.#o = opts
    this.#clock = opts.clock ?? systemClock
    this.#random = opts.random ?? Math.random
    this.#since = this.#clock.now()
  }

  start(): void {
    if (this.#running) return
    this.#running = true
    this.#since = this.#clock.now()
    this.#firstRound = new Set()
    this.#tick()
    // Nothing to dial at all (a first seed): say so once instead of waiting for a round.
    if (this.#firstRound.size === 0) this.#endFirstRound()
  }

  stop(): void {
    this.#running = false
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    this.#timerAt = undefined
  }

  /** Something changed (a peer left, a member was verified, a new address is known): look again soon. */
  poke(): void {
    if (!this.#running) return
    this.#schedule(this.#clock.now())
  }

  status(): ReconnectorStatus {
    const targets = this.#o.targets()
    return {
      state: this.#state,
      since: this.#since,
      members: this.#o.members(),
      minPeers: this.#o.minPeers,
      disconnectedTargets: targets.filter((t) => t.peer === undefined || !this.#o.isConnected(t.peer)).length,
      dialsInFlight: this.#inFlight,
      nextDialAt: this.#timerAt,
    }
  }

  #tick(): void {
    this.#timer = undefined
    this.#timerAt = undefined
    if (!this.#running) return
    this.#evaluate()
    const members = this.#o.members()
    const now = this.#clock.now()
    const targets = this.#o.targets()
    const live = new Set(targets.map((t) => t.key))
    for (const key of this.#targets.keys()) if (!live.has(key) && !this.#targets.get(key)!.dialing) this.#targets.delete(key)
    // An isolated node always looks for its mesh, even with minPeers 0 (libp2p's bootstrap
    // module, which this replaces, dialled the seeds whatever the degree target).
    const want = Math.max(1, this.#o.minPeers)
    if (members >= want) return
    const due: DialTarget[] = []
    let next = Number.POSITIVE_INFINITY
    for (const t of targets) {
      const st = this.#stateOf(t.key)
      if (t.peer !== undefined && this.#o.isConnected(t.peer)) {
        if (this.#o.isMember(t.peer)) {
          st.failures = 0
          st.nextAt = 0
        }
        continue
      }
      if (st.dialing) continue
      if (st.nextAt <= now) due.push(t)
      else next = Math.min(next, st.nextAt)
    }
    // Isolated: dial as many as allowed at once. Merely below minPeers: one at a time, paced (see
    // #dial), since every new connection costs both ends a TLS handshake and a certificate check,
    // and a whole mesh topping up at once (right after its seed appears) saturates small hosts.
    const parallel = members === 0 ? this.#o.maxParallel : 1
    const budget = Math.min(parallel - this.#inFlight, want - members - this.#inFlight)
    shuffle(due, this.#random)
    // Targets past the budget wait for a dial to end, which ticks again.
    for (const t of due.slice(0, Math.max(0, budget))) this.#dial(t)
    if (next !== Number.POSITIVE_INFINITY && next > now) this.#schedule(next)
  }

  #dial(t: DialTarget): void {
    const st = this.#stateOf(t.key)
    st.dialing = true
    this.#inFlight++
    this.#firstRound?.add(t.key)
    this.#o
      .dial(t)
      .then(
        () => {
          // A connection is not yet a member: a peer that refuses us (or that we refuse) hangs up
          // right after the handshake, and must not be redialled at once in a loop. The backoff
          // starts over only once the peer is seen as a verified member (see #tick).
          st.failures++
          st.nextAt = this.#clock.now() + redialDelay(st.failures, this.#o.baseDelayMs, this.#o.maxDelayMs, this.#random)
          if (this.#firstRound !== undefined) this.#firstRoundConnected = true
          this.#o.log.debug({ target: t.key }, 'redialled')
        },
        (err: unknown) => {
          st.failures++
          st.nextAt = this.#clock.now() + redialDelay(st.failures, this.#o.baseDelayMs, this.#o.maxDelayMs, this.#random)
          this.#o.log.debug({ target: t.key, failures: st.failures, err: (err as Error).message }, 'redial failed')
        },
      )
      .finally(() => {
        st.dialing = false
        this.#inFlight--
        if (this.#firstRound !== undefined) {
          this.#firstRound.delete(t.key)
          if (this.#firstRound.size === 0) this.#endFirstRound()
        }
        this.#schedule(this.#clock.now() + (this.#o.members() === 0 ? 0 : this.#o.baseDelayMs))
      })
  }

  #endFirstRound(): void {
    this.#firstRound = undefined
    const announce = (): void => {
      if (this.#running && this.#state === 'isolated' && !this.#everJoined) this.#announceIsolated()
    }
    if (this.#firstRoundConnected) this.#clock.setTimeout(announce, this.#o.verifyGraceMs ?? 10_000)
    else announce()
  }

  /** Logs, once per change, whether the node has a member connected. */
  #evaluate(): void {
    const members = this.#o.members()
    if (members > 0 && this.#state === 'isolated') {
      const isolatedMs = this.#clock.now() - this.#since
      this.#state = 'joined'
      this.#since = this.#clock.now()
      this.#o.log.info({ members, isolatedMs }, this.#everJoined ? 'rejoined the mesh' : 'joined the mesh')
      this.#everJoined = true
      this.#o.onState?.(this.status())
    } else if (members === 0 && this.#state === 'joined') {
      this.#state = 'isolated'
      this.#since = this.#clock.now()
      this.#announceIsolated()
    }
  }

  #announceIsolated(): void {
    const targets = this.#o.targets()
    if (targets.length === 0)
      this.#o.log.info({ minPeers: this.#o.minPeers }, 'isolated: no bootstrap peers and no known members; waiting to be dialled')
    else
      this.#o.log.warn(
        { targets: targets.length, bootstrap: targets.filter((t) => t.bootstrap).length },
        'isolated from the mesh: no member connected; redialling bootstrap peers and known members',
      )
    this.#o.onState?.(this.status())
  }

  #schedule(at: number): void {
    if (!this.#running) return
    if (this.#timerAt !== undefined && this.#timerAt <= at) return
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timerAt = at
    this.#timer = this.#clock.setTimeout(() => this.#tick(), Math.max(0, at - this.#clock.now()))
  }

  #stateOf(key: string): TargetState {
    let st = this.#targets.get(key)
    if (st === undefined) {
      st = { failures: 0, nextAt: 0, dialing: false }
      this.#targets.set(key, st)
    }
    return st
  }

  /** Failures in a row for a target (for status and tests). */
  failures(key: string): number {
    return this.#targets.get(key)?.failures ?? 0
  }

  /** When a target's next dial is due (epoch ms); 0 when it is due now. */
  nextAttemptAt(key: string): number {
    return this.#targets.get(key)?.nextAt ?? 0
  }
}

function shuffle<T>(a: T[], random: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
}
