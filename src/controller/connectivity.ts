/**
 * The node's place in its mesh: which members it is connected to, where the members it has
 * met listen (the address book), and the redialling that brings it back when it falls below
 * `mesh.minPeers` (the Reconnector). It reports isolation in the log, in `status()`, and in
 * `<dataDir>/status.json`, which `crank-node status` and `peers` read.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { IdentifyResult, Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { ADDRESS_BOOK_FILE, AddressBook } from '../net/address-book.ts'
import { type DialTarget, Reconnector, type ReconnectorStatus } from '../net/reconnector.ts'

export const STATUS_FILE = 'status.json'
/** One redial may take this long (TCP connect, TLS, muxer) before it counts as failed. */
export const REDIAL_TIMEOUT_MS = 10_000
/** status.json is rewritten at most this often. */
const STATUS_WRITE_DELAY_MS = 500

export interface ConnectivityOptions {
  libp2p: Libp2p
  name: string
  bootstrap: string[]
  dataDir?: string
  minPeers: number
  redialBaseMs: number
  redialMaxMs: number
  maxParallelRedials: number
  addressBookSize: number
  /** How long a connected peer may take to prove membership (trust.gracePeriodMs). */
  gracePeriodMs: number
  /** Verified membership (always true in an open mesh). */
  isMember(peer: string): boolean
  /** Client mode (the CLI): reads the address book, never writes it or anything else, never redials. */
  passive: boolean
  log: {
    info(obj: object, msg: string): void
    warn(obj: object, msg: string): void
    debug(obj: object, msg: string): void
  }
}

export interface ConnectivityStatus extends ReconnectorStatus {
  /** Members in the address book. */
  knownMembers: number
  bootstrap: number
}

/** What `<dataDir>/status.json` holds. */
export interface StatusFile {
  pid: number
  name: string
  peerId: string
  running: boolean
  updatedAt: number
  connectivity: ConnectivityStatus
}

export class Connectivity {
  readonly addressBook: AddressBook
  readonly #o: ConnectivityOptions
  readonly #reconnector: Reconnector
  readonly #bootstrap: DialTarget[]
  readonly #peerIds = new Map<string, PeerId>()
  #statusTimer: NodeJS.Timeout | undefined
  #lastStatus = ''
  #running = false

  constructor(opts: ConnectivityOptions) {
    this.#o = opts
    this.addressBook = new AddressBook({
      ...(opts.dataDir === undefined ? {} : { file: join(opts.dataDir, ADDRESS_BOOK_FILE) }),
      maxEntries: opts.addressBookSize,
      readOnly: opts.passive,
      log: opts.log,
    })
    this.#bootstrap = opts.bootstrap.map((addr) => {
      const peer = peerOf(addr)
      return { key: peer ?? addr, ...(peer === undefined ? {} : { peer }), addrs: [addr], bootstrap: true }
    })
    this.#reconnector = new Reconnector({
      minPeers: opts.minPeers,
      baseDelayMs: opts.redialBaseMs,
      maxDelayMs: opts.redialMaxMs,
      maxParallel: opts.maxParallelRedials,
      targets: () => this.#targets(),
      members: () => this.members(),
      isConnected: (peer) => this.#connected(peer),
      isMember: (peer) => this.#connected(peer) && opts.isMember(peer),
      dial: (t) => this.#dial(t),
      verifyGraceMs: opts.gracePeriodMs,
      log: opts.log,
      onState: () => this.#statusChanged(),
    })
  }

  async start(): Promise<void> {
    await this.addressBook.load()
    if (this.#o.passive) return
    this.#running = true
    this.#o.libp2p.addEventListener('peer:disconnect', this.#onChange)
    this.#o.libp2p.addEventListener('peer:connect', this.#onChange)
    this.#o.libp2p.addEventListener('peer:identify', this.#onIdentify)
    this.#reconnector.start()
    this.#statusChanged()
  }

  async stop(): Promise<void> {
    if (!this.#running) return
    this.#running = false
    this.#reconnector.stop()
    this.#o.libp2p.removeEventListener('peer:disconnect', this.#onChange)
    this.#o.libp2p.removeEventListener('peer:connect', this.#onChange)
    this.#o.libp2p.removeEventListener('peer:identify', this.#onIdentify)
    clearTimeout(this.#statusTimer)
    await Promise.all([this.addressBook.flush(), this.#writeStatus(false)])
  }

  /** Connected peers that have proved membership. */
  members(): number {
    const seen = new Set<string>()
    for (const c of this.#o.libp2p.getConnections()) {
      const peer = c.remotePeer.toString()
      if (c.status === 'open' && this.#o.isMember(peer)) seen.add(peer)
    }
    return seen.size
  }

  status(): ConnectivityStatus {
    return { ...this.#reconnector.status(), knownMembers: this.addressBook.size, bootstrap: this.#bootstrap.length }
  }

  /** A peer proved membership: remember where it listens, and count it. */
  verified(peer: string, name?: string): void {
    if (!this.#running) return
    void this.#o.libp2p.peerStore.get(this.#peerId(peer)).then(
      (p) =>
        this.#record(
          peer,
          p.addresses.map((a) => a.multiaddr),
          name,
        ),
      () => {}, // not in the peer store yet: identify or its adverts will tell us
    )
    this.#reconnector.poke()
    this.#statusChanged()
  }

  /**
   * A member's advert named its addresses. Adverts get here only through gossip validation (a
   * verified neighbour relayed it, and a publisher we are connected to is verified itself) or a
   * snapshot from a verified member, so the publisher need not be connected to us.
   */
  advertised(peer: string, addrs: Uint8Array[], name?: string): void {
    const multiaddrs: Multiaddr[] = []
    for (const bytes of addrs) {
      try {
        multiaddrs.push(multiaddr(bytes))
      } catch {
        // a malformed address is ignored; the rest of the advert is still useful
      }
    }
    if (multiaddrs.length === 0) return
    if (this.#running) this.#record(peer, multiaddrs, name)
    // A provider we only heard of through gossip must still be dialable when a job is routed to it.
    let id: PeerId
    try {
      id = peerIdFromString(peer)
    } catch {
      return
    }
    this.#o.libp2p.peerStore.merge(id, { multiaddrs }).catch((err: unknown) => {
      this.#o.log.debug({ peer, err: (err as Error).message }, 'could not record advertised addresses')
    })
  }

  /** Refused or revoked: never redial it from the book. */
  forget(peer: string): void {
    this.addressBook.forget(peer)
  }

  readonly #onChange = (): void => {
    this.#reconnector.poke()
    this.#statusChanged()
  }

  readonly #onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
    const peer = evt.detail.peerId.toString()
    if (this.#o.isMember(peer)) this.#record(peer, evt.detail.listenAddrs)
  }

  #record(peer: string, addrs: Multiaddr[], name?: string): void {
    const usable = addrs.map(String).filter(dialable)
    if (usable.length > 0) {
      this.addressBook.record(peer, usable, name)
      this.#reconnector.poke()
    }
  }

  #targets(): DialTarget[] {
    const self = this.#o.libp2p.peerId.toString()
    const seen = new Set(this.#bootstrap.map((t) => t.key))
    const members = this.addressBook
      .entries()
      .filter((e) => e.peer !== self && !seen.has(e.peer))
      .map((e): DialTarget => ({ key: e.peer, peer: e.peer, addrs: e.addrs, bootstrap: false }))
    return [...this.#bootstrap.filter((t) => t.peer !== self), ...members]
  }

  async #dial(t: DialTarget): Promise<void> {
    const signal = AbortSignal.timeout(REDIAL_TIMEOUT_MS)
    if (t.peer === undefined) {
      await this.#o.libp2p.dial(multiaddr(t.addrs[0]!), { signal })
      return
    }
    const addrs = t.addrs.map((a) => multiaddr(a.includes('/p2p/') ? a : `${a}/p2p/${t.peer}`))
    await this.#o.libp2p.dial(addrs.length > 0 ? addrs : this.#peerId(t.peer), { signal })
  }

  #connected(peer: string): boolean {
    return this.#o.libp2p.getConnections(this.#peerId(peer)).length > 0
  }

  #peerId(peer: string): PeerId {
    let id = this.#peerIds.get(peer)
    if (id === undefined) {
      id = peerIdFromString(peer)
      if (this.#peerIds.size > 4096) this.#peerIds.clear()
      this.#peerIds.set(peer, id)
    }
    return id
  }

  #statusChanged(): void {
    if (!this.#running || this.#o.dataDir === undefined || this.#statusTimer !== undefined) return
    this.#statusTimer = setTimeout(() => {
      this.#statusTimer = undefined
      void this.#writeStatus(true)
    }, STATUS_WRITE_DELAY_MS)
    this.#statusTimer.unref()
  }

  async #writeStatus(running: boolean): Promise<void> {
    if (this.#o.dataDir === undefined || this.#o.passive) return
    const connectivity = this.status()
    const key = JSON.stringify({ running, ...connectivity, nextDialAt: undefined })
    if (key === this.#lastStatus) return
    this.#lastStatus = key
    const body: StatusFile = {
      pid: process.pid,
      name: this.#o.name,
      peerId: this.#o.libp2p.peerId.toString(),
      running,
      updatedAt: Date.now(),
      connectivity,
    }
    try {
      await writeFile(join(this.#o.dataDir, STATUS_FILE), `${JSON.stringify(body, null, 1)}\n`, { mode: 0o600 })
    } catch (err) {
      this.#o.log.debug({ err: (err as Error).message }, 'could not write status.json')
    }
  }
}

function peerOf(addr: string): string | undefined {
  try {
    return multiaddr(addr)
      .getComponents()
      .findLast((c) => c.name === 'p2p')?.value
  } catch {
    return undefined
  }
}

/** Addresses worth redialling: not a wildcard, not relayed. */
function dialable(addr: string): boolean {
  return !addr.includes('/p2p-circuit') && !addr.startsWith('/ip4/0.0.0.0/') && !addr.startsWith('/ip6/::/')
}
