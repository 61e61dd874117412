/**
 * The membership protocol, /crank/membership/1.0.0 (protocols/membership.proto).
 *
 * On every new connection the dialing side opens a stream and sends a Hello
 * (its membership certificate and the newest CRL it holds); the listening side
 * answers with its own Hello. Each side verifies the other's certificate with
 * the TrustStore: chain to the mesh CA, validity dates, CRL, and that the
 * certificate's key is the connection's libp2p key (which TLS has proved the
 * peer holds). A verified peer becomes a member, named and with roles.
 *
 * A peer that presents an invalid certificate is hung up on at once. A peer
 * that presents none is given `gracePeriodMs` (time to enrol with a join token
 * through certificate.sign_csr) and then hung up on.
 *
 * A newer CRL, handed to `updateCrl` or received in a Hello, is adopted,
 * enforced (revoked members are hung up on) and pushed to every connected
 * member, so a revocation floods the mesh over existing connections.
 *
 * `openMesh: true` is the development escape hatch: certificates are still
 * exchanged and verified when present, but nobody is refused or disconnected.
 */
import { EventEmitter } from 'node:events'
import type { Connection, Libp2p, PeerId, Stream, StreamHandler } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { crank } from '../net/pb/membership.js'
import type { Caller } from './caller.ts'
import { TrustError, TrustErrorCodes } from './errors.ts'
import type { MemberIdentity } from './identity.ts'
import type { TrustStore } from './trust-store.ts'
import { toDer } from './x509.ts'

export const MEMBERSHIP_PROTOCOL = '/crank/membership/1.0.0'

const Hello = crank.membership.v1.Hello
const MAX_HELLO_BYTES = 256 * 1024

/** The subset of pino's Logger this module uses. */
interface Log {
  debug(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
}

export interface MembershipOptions {
  /** The mesh CA and CRL. Required unless `openMesh`. */
  trust?: TrustStore
  /** This node's membership certificate (PEM or DER); absent before enrolment. */
  certificate?: string | Uint8Array
  /** Development only: accept everyone. Never the default. */
  openMesh?: boolean
  /** How long a peer without a certificate may stay connected. Default 10 s. */
  gracePeriodMs?: number
  /** Limit on one Hello exchange. Default 5 s. */
  exchangeTimeoutMs?: number
  /** How often to drop members whose certificate has expired. Default 60 s. */
  expirySweepMs?: number
  log?: Log
}

export interface RefusedPeer {
  peerId: string
  code: string
  message: string
}

export interface MembershipEvents {
  /** A peer proved membership (again, after a certificate change). */
  verified: [MemberIdentity]
  /** A peer was refused: bad certificate, none within the grace period. */
  refused: [RefusedPeer]
  /** A member lost membership: revoked, expired. */
  removed: [RefusedPeer]
  /** A newer CRL was adopted. */
  crl: [{ crlNumber: number }]
}

interface PeerState {
  peer: PeerId
  identity?: MemberIdentity | undefined
  timer?: NodeJS.Timeout | undefined
  waiters: Array<(identity: MemberIdentity | undefined) => void>
}

export class Membership extends EventEmitter<MembershipEvents> {
  readonly openMesh: boolean
  readonly #libp2p: Libp2p
  readonly #trust: TrustStore | undefined
  readonly #grace: number
  readonly #timeout: number
  readonly #sweepMs: number
  readonly #log: Log | undefined
  readonly #peers = new Map<string, PeerState>()
  #certificate: Uint8Array
  #sweep: NodeJS.Timeout | undefined
  #started = false

  constructor(libp2p: Libp2p, opts: MembershipOptions) {
    super()
    if (opts.trust === undefined && opts.openMesh !== true) {
      throw new TrustError(TrustErrorCodes.caUnavailable, 'membership needs the mesh CA (trust store) unless openMesh is set')
    }
    this.#libp2p = libp2p
    this.#trust = opts.trust
    this.openMesh = opts.openMesh === true
    this.#grace = opts.gracePeriodMs ?? 10_000
    this.#timeout = opts.exchangeTimeoutMs ?? 5_000
    this.#sweepMs = opts.expirySweepMs ?? 60_000
    this.#log = opts.log
    this.#certificate = opts.certificate === undefined ? new Uint8Array() : derOf(opts.certificate)
  }

  async start(): Promise<void> {
    if (this.#started) return
    this.#started = true
    await this.#libp2p.handle(MEMBERSHIP_PROTOCOL, this.#handle, { maxInboundStreams: 8, maxOutboundStreams: 8 })
    this.#libp2p.addEventListener('connection:open', this.#onOpen)
    this.#libp2p.addEventListener('connection:close', this.#onClose)
    this.#sweep = setInterval(() => this.#dropExpired(), this.#sweepMs)
    this.#sweep.unref()
    // Connections opened before start (e.g. bootstrap dials) get the same treatment.
    for (const conn of this.#libp2p.getConnections()) this.#opened(conn)
  }

  async stop(): Promise<void> {
    if (!this.#started) return
    this.#started = false
    this.#libp2p.removeEventListener('connection:open', this.#onOpen)
    this.#libp2p.removeEventListener('connection:close', this.#onClose)
    clearInterval(this.#sweep)
    for (const st of this.#peers.values()) this.#forget(st)
    this.#peers.clear()
    await this.#libp2p.unhandle(MEMBERSHIP_PROTOCOL).catch(() => {})
  }

  /** The CA and CRL this node verifies against; undefined in an open mesh without a CA. */
  get trustStore(): TrustStore | undefined {
    return this.#trust
  }

  /** True when the peer holds a verified, unexpired, unrevoked membership (always true in an open mesh). */
  isMember(peerId: PeerId | string): boolean {
    if (this.openMesh) return true
    const id = this.#peers.get(peerId.toString())?.identity
    return id !== undefined && id.notAfter.getTime() > Date.now()
  }

  /** Connected, and its membership not yet proved (its Hello may still be in flight). */
  isPending(peerId: PeerId | string): boolean {
    const st = this.#peers.get(peerId.toString())
    return !this.openMesh && st !== undefined && st.identity === undefined
  }

  identity(peerId: PeerId | string): MemberIdentity | undefined {
    return this.#peers.get(peerId.toString())?.identity
  }

  members(): MemberIdentity[] {
    return [...this.#peers.values()].flatMap((s) => (s.identity === undefined ? [] : [s.identity]))
  }

  /**
   * Gossip (adverts) validator rule. `propagationSource` is the neighbour that
   * handed us the message, `publisher` its signer (`msg.from`). The neighbour
   * must be a member; a publisher we are connected to must be a member too. A
   * publisher we are not connected to is vouched for by the member that relayed
   * it, since every member runs this same check before forwarding.
   * Use as: `topicValidators.set(topic, (src, msg) => m.acceptsGossip(src, msg.from) ? Accept : Reject)`.
   */
  acceptsGossip(propagationSource: PeerId | string, publisher: PeerId | string | undefined): boolean {
    if (this.openMesh) return true
    if (!this.isMember(propagationSource)) return false
    if (publisher === undefined) return false
    const key = publisher.toString()
    return this.isMember(key) || !this.#peers.has(key)
  }

  /** The caller a remote peer is, for the access policy. Non-members get `member: false` (open mesh: true). */
  callerOf(peerId: PeerId | string): Caller {
    const key = peerId.toString()
    const id = this.#peers.get(key)?.identity
    const member = this.isMember(key)
    if (id === undefined) return { peerId: key, roles: [], member }
    const caller: Caller = { peerId: key, roles: id.roles, member, serial: id.serial }
    if (id.name !== undefined) caller.name = id.name
    return caller
  }

  /** Whether the peer proves membership within `timeoutMs`: `authorize` as a yes or no. */
  proves(peerId: PeerId | string, timeoutMs?: number): Promise<boolean> {
    return this.authorize(peerId, timeoutMs).then(
      () => true,
      () => false,
    )
  }

  /**
   * Resolves with the caller once the peer is a member; waits while its Hello
   * is still in flight (a job stream can arrive before the membership stream
   * has finished). Throws TrustError `not_member` when the peer is refused,
   * disconnects, or does not prove membership within `timeoutMs` (default: the grace period).
   */
  async authorize(peerId: PeerId | string, timeoutMs = this.#grace): Promise<Caller> {
    const key = peerId.toString()
    if (this.isMember(key)) return this.callerOf(key)
    let st = this.#peers.get(key)
    if (st === undefined && this.#started) {
      // A stream can reach a service before our connection:open listener has run for its connection.
      const conn = this.#libp2p.getConnections(typeof peerId === 'string' ? undefined : peerId).find((c) => c.remotePeer.toString() === key)
      if (conn !== undefined) {
        this.#opened(conn)
        st = this.#peers.get(key)
      }
    }
    if (st === undefined) throw new TrustError(TrustErrorCodes.notMember, `peer ${key} is not a mesh member`)
    const identity = await new Promise<MemberIdentity | undefined>((resolve) => {
      const timer = setTimeout(() => done(undefined), timeoutMs)
      const done = (id: MemberIdentity | undefined): void => {
        clearTimeout(timer)
        const i = st.waiters.indexOf(done)
        if (i >= 0) st.waiters.splice(i, 1)
        resolve(id)
      }
      st.waiters.push(done)
    })
    if (identity === undefined) throw new TrustError(TrustErrorCodes.notMember, `peer ${key} is not a mesh member`)
    return this.callerOf(key)
  }

  /** Wraps a stream handler so that streams from non-members are aborted before the handler sees them. */
  guard(handler: StreamHandler): StreamHandler {
    return async (stream: Stream, connection: Connection) => {
      try {
        await this.authorize(connection.remotePeer)
      } catch (err) {
        stream.abort(err as Error)
        return
      }
      return handler(stream, connection)
    }
  }

  /** Sets this node's certificate (after enrolment or renewal) and presents it on every open connection. */
  async setCertificate(certificate: string | Uint8Array): Promise<void> {
    this.#certificate = derOf(certificate)
    await Promise.all(this.#libp2p.getConnections().map((c) => this.#exchange(c, true)))
  }

  /**
   * Adopts a CRL (PEM or DER) if it is the CA's and newer than the one held,
   * hangs up on members it revokes, and passes it on to connected members.
   * Returns whether it was adopted.
   */
  async updateCrl(crl: string | Uint8Array): Promise<boolean> {
    if (this.#trust === undefined) return false
    const adopted = await this.#trust.updateCrl(crl)
    if (adopted) await this.#crlAdopted(undefined)
    return adopted
  }

  readonly #onOpen = (evt: CustomEvent<Connection>): void => this.#opened(evt.detail)

  readonly #onClose = (evt: CustomEvent<Connection>): void => {
    const key = evt.detail.remotePeer.toString()
    const st = this.#peers.get(key)
    if (st !== undefined && this.#libp2p.getConnections(evt.detail.remotePeer).length === 0) {
      this.#forget(st)
      this.#peers.delete(key)
    }
  }

  #opened(conn: Connection): void {
    const st = this.#state(conn.remotePeer)
    if (st.identity === undefined && st.timer === undefined && !this.openMesh) {
      st.timer = setTimeout(() => {
        st.timer = undefined
        if (st.identity === undefined)
          this.#refuse(st, TrustErrorCodes.notMember, `no valid membership certificate within ${this.#grace} ms`)
      }, this.#grace)
    }
    // One side starts the exchange; the other answers in #handle.
    if (conn.direction === 'outbound') void this.#exchange(conn, true)
  }

  #state(peer: PeerId): PeerState {
    const key = peer.toString()
    let st = this.#peers.get(key)
    if (st === undefined) {
      st = { peer, waiters: [] }
      this.#peers.set(key, st)
    }
    return st
  }

  #hello(reply: boolean): Uint8Array {
    return Hello.encode({ certificate: this.#certificate, crl: this.#trust?.crlDer ?? new Uint8Array(), reply }).finish()
  }

  /** Sends our Hello on a new stream; with `reply`, reads and processes the peer's. */
  async #exchange(conn: Connection, reply: boolean): Promise<void> {
    if (conn.status !== 'open') return
    const signal = AbortSignal.timeout(this.#timeout)
    try {
      const stream = await conn.newStream(MEMBERSHIP_PROTOCOL, { signal })
      const lp = lpStream(stream, { maxDataLength: MAX_HELLO_BYTES })
      await lp.write(this.#hello(reply), { signal })
      if (!reply) {
        await stream.close({ signal })
        return
      }
      const theirs = Hello.decode((await lp.read({ signal })).subarray())
      await stream.close({ signal })
      await this.#received(theirs, conn)
    } catch (err) {
      // A peer that does not speak the protocol stays unverified; the grace timer decides.
      this.#log?.debug({ peer: conn.remotePeer.toString(), err: (err as Error).message }, 'membership exchange failed')
    }
  }

  readonly #handle = async (stream: Stream, conn: Connection): Promise<void> => {
    const signal = AbortSignal.timeout(this.#timeout)
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_HELLO_BYTES })
      const theirs = Hello.decode((await lp.read({ signal })).subarray())
      if (theirs.reply) await lp.write(this.#hello(false), { signal })
      await stream.close({ signal })
      await this.#received(theirs, conn)
    } catch (err) {
      stream.abort(err as Error)
    }
  }

  async #received(hello: { certificate: Uint8Array; crl: Uint8Array }, conn: Connection): Promise<void> {
    const key = conn.remotePeer.toString()
    if (hello.crl.length > 0 && this.#trust !== undefined) {
      try {
        if (await this.#trust.updateCrl(hello.crl)) await this.#crlAdopted(key)
      } catch (err) {
        this.#log?.warn({ peer: key, err: (err as Error).message }, "peer sent a CRL that is not the mesh CA's")
      }
    }
    if (hello.certificate.length === 0 || this.#trust === undefined || !this.#started) return
    const st = this.#state(conn.remotePeer)
    try {
      const identity = await this.#trust.verify(hello.certificate, {
        publicKey: conn.remotePeer.publicKey?.raw ?? new Uint8Array(),
        peerId: key,
      })
      st.identity = identity
      clearTimeout(st.timer)
      st.timer = undefined
      for (const w of [...st.waiters]) w(identity)
      this.emit('verified', identity)
    } catch (err) {
      const e = err instanceof TrustError ? err : new TrustError(TrustErrorCodes.invalidCertificate, (err as Error).message)
      this.#refuse(st, e.code, e.message)
    }
  }

  #refuse(st: PeerState, code: string, message: string): void {
    const peerId = st.peer.toString()
    const wasMember = st.identity !== undefined
    st.identity = undefined
    for (const w of [...st.waiters]) w(undefined)
    this.emit(wasMember ? 'removed' : 'refused', { peerId, code, message })
    if (this.openMesh) return
    // Debug only: the node's refusal gate logs each refused peer once per backoff step.
    this.#log?.debug({ peer: peerId, code, message }, 'hanging up on non-member')
    void this.#libp2p.hangUp(st.peer).catch(() => {})
  }

  async #crlAdopted(fromPeer: string | undefined): Promise<void> {
    const trust = this.#trust!
    this.emit('crl', { crlNumber: trust.crlNumber })
    for (const st of this.#peers.values()) {
      if (st.identity !== undefined && trust.isRevoked(st.identity.serial)) {
        this.#refuse(st, TrustErrorCodes.certificateRevoked, `certificate ${st.identity.serial} is revoked`)
      }
    }
    // Pass it on: every member we are still connected to, except the one that told us.
    const targets = this.#libp2p.getConnections().filter((c) => c.remotePeer.toString() !== fromPeer && this.isMember(c.remotePeer))
    await Promise.all(targets.map((c) => this.#exchange(c, false)))
  }

  #dropExpired(): void {
    const now = Date.now()
    for (const st of this.#peers.values()) {
      if (st.identity !== undefined && st.identity.notAfter.getTime() <= now) {
        this.#refuse(st, TrustErrorCodes.certificateExpired, `certificate ${st.identity.serial} expired`)
      }
    }
  }

  #forget(st: PeerState): void {
    clearTimeout(st.timer)
    st.timer = undefined
    for (const w of [...st.waiters]) w(undefined)
  }
}

function derOf(cert: string | Uint8Array): Uint8Array {
  return new Uint8Array(toDer(cert))
}
