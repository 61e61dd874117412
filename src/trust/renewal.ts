/**
 * Renews this node's membership certificate before it expires: once two thirds of its lifetime
 * have passed, a CSR over the same libp2p key, asking for the same name and roles, goes to a mesh
 * member that serves certificate.sign_csr. The access policy admits a plain member for exactly
 * this (see access-policy.ts `renewal` and csr-signer.ts `checkRenewal`); the CA records the old
 * serial as superseded.
 *
 * The renewed certificate is checked (the mesh CA's, over our key, same name and roles, a later
 * notAfter), saved as `<dataDir>/membership.crt`, and handed to the membership layer, which
 * presents it on new connections and sends a fresh Hello on every open one: peers that verified
 * the old certificate would otherwise drop this node when the old one expires.
 *
 * A failed attempt is logged and retried with exponential backoff and jitter, never later than
 * halfway to the expiry; after the expiry there is nothing left to renew (the node is no longer a
 * member anywhere) and it says so once. The state is in `status()` and, with a data dir, in
 * `<dataDir>/renewal.json`, which `crank-node status` reads.
 *
 * Components are passed in (js-libp2p style), so the policy is testable without a network.
 */
import { EventEmitter } from 'node:events'
import { join } from 'node:path'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { CrankError, ErrorCodes, type ErrorInfo, toErrorInfo } from '../errors.ts'
import { redialDelay } from '../net/reconnector.ts'
import { SIGN_CSR_CAPABILITY } from './access-policy.ts'
import { normaliseSerial } from './ca.ts'
import { NODE_TRUST_FILES, type SignCsrReply } from './commands.ts'
import { TrustError, TrustErrorCodes } from './errors.ts'
import { writeFileAtomic } from './files.ts'
import { identityFromSans } from './identity.ts'
import type { Membership } from './membership.ts'
import { createMembershipCsr } from './node-csr.ts'
import { x509 } from './x509.ts'

/** A certificate is renewed once this fraction of its lifetime (notBefore to notAfter) has passed. */
export const RENEW_AFTER_FRACTION = 2 / 3
/** What the node writes about its certificate in its data dir, for `crank-node status`. */
export const RENEWAL_FILE = 'renewal.json'
/** One provider gets this long to sign before the next is asked (a provider may accept a job and then hang). */
export const SIGN_TIMEOUT_MS = 30_000
/** setTimeout's longest delay (about 24.8 days); a renewal further off is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1
const DAY = 86_400_000
/** certificate.sign_csr's own bound on validity_days. */
const MAX_VALIDITY_DAYS = 3650

/** The subset of pino's Logger this module uses. */
interface Log {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  debug(obj: object, msg?: string): void
}

/** The params a renewal sends to certificate.sign_csr. */
export interface RenewalCsrParams {
  csr: string
  certificate_type: 'client'
  /** The current certificate's lifetime in whole days (at least 1); the CA caps it by its policy. */
  validity_days: number
}

export interface CertificateRenewalComponents {
  /** Verifies the renewed certificate (`trustStore`) and presents it (`setCertificate`). */
  membership: Pick<Membership, 'setCertificate' | 'trustStore'>
  /** This node's libp2p key: the CSR is signed with it and the certificate must be over it. */
  privateKey: PrivateKey
  /** Peers (other than this node) that serve certificate.sign_csr@1, as far as this node knows. */
  providers(): string[]
  /** Runs certificate.sign_csr on `peer`; rejects with the job's typed error. */
  signCsr(peer: string, params: RenewalCsrParams, signal: AbortSignal): Promise<SignCsrReply>
  log: Log
}

export interface CertificateRenewalInit {
  /** The node's current membership certificate (PEM); without one there is nothing to renew. */
  certificate?: string | undefined
  /** Where membership.crt and renewal.json are written; none: kept in memory only. */
  dataDir?: string | undefined
  /** First retry after about this long, doubling per consecutive failure (config `trust.renewalRetryBaseMs`). */
  retryBaseMs: number
  /** Longest wait between attempts (config `trust.renewalRetryMaxMs`). */
  retryMaxMs: number
  /** In [0, 1); jitters retry delays. Default Math.random. */
  random?: () => number
}

/**
 * `none`: no certificate; `scheduled`: waiting for the renewal time; `renewing`: an attempt is in
 * flight; `retrying`: the last attempt failed, the next is scheduled; `expired`: the certificate
 * expired unrenewed (re-enrol); `stopped`: the node stopped.
 */
export type RenewalState = 'none' | 'scheduled' | 'renewing' | 'retrying' | 'expired' | 'stopped'

/** What `status()` returns and renewal.json holds. Times are epoch milliseconds. */
export interface RenewalStatus {
  state: RenewalState
  /** The certificate in use. */
  serial?: string
  name?: string
  notBefore?: number
  notAfter?: number
  /** When the next attempt is due (absent unless `scheduled` or `retrying`). */
  nextRenewalAt?: number
  lastRenewedAt?: number
  /** Consecutive failed attempts; 0 after a success. */
  failures: number
  /** The last attempt's failure, kept after a success until the next failure replaces it. */
  lastError?: ErrorInfo & { at: number }
  updatedAt: number
}

/** Payload of `renewed`. */
export interface RenewedCertificate {
  serial: string
  /** The serial it replaces (the CA records it as superseded). */
  previousSerial: string
  notAfter: Date
  /** The member that signed it. */
  signedBy: string
  pem: string
}

/** Payload of `failed`. */
export interface RenewalFailure {
  error: ErrorInfo
  /** Consecutive failures, this one included. */
  failures: number
  /** When the next attempt is due; undefined once the certificate has expired. */
  retryInMs: number | undefined
}

export interface CertificateRenewalEvents {
  /** A renewed certificate is saved and in use: new connections and every open one have been shown it. */
  renewed: [RenewedCertificate]
  /** An attempt failed (logged at warn); see `retryInMs`. */
  failed: [RenewalFailure]
}

interface Held {
  pem: string
  serial: string
  peerId: string
  name?: string | undefined
  roles: string[]
  notBefore: number
  notAfter: number
}

export class CertificateRenewal extends EventEmitter<CertificateRenewalEvents> {
  readonly #c: CertificateRenewalComponents
  readonly #dataDir: string | undefined
  readonly #baseMs: number
  readonly #maxMs: number
  readonly #random: () => number
  readonly #self: string
  #held: Held | undefined
  #status: RenewalStatus
  #timer: NodeJS.Timeout | undefined
  #inFlight: AbortController | undefined
  #running = false

  constructor(components: CertificateRenewalComponents, init: CertificateRenewalInit) {
    super()
    this.#c = components
    this.#dataDir = init.dataDir
    this.#baseMs = init.retryBaseMs
    this.#maxMs = Math.max(init.retryBaseMs, init.retryMaxMs)
    this.#random = init.random ?? Math.random
    this.#self = peerIdFromPrivateKey(components.privateKey).toString()
    this.#status = { state: 'none', failures: 0, updatedAt: Date.now() }
    if (init.certificate !== undefined) {
      try {
        this.#held = readCertificate(init.certificate)
      } catch (err) {
        this.#status.lastError = { ...toErrorInfo(err, TrustErrorCodes.invalidCertificate), at: Date.now() }
      }
    }
    if (this.#held !== undefined && this.#held.peerId !== this.#self) {
      // Not ours to renew: a CSR over our key could never be for that peer id.
      this.#status.lastError = {
        code: TrustErrorCodes.keyMismatch,
        message: `the membership certificate names peer ${this.#held.peerId}, not this node (${this.#self})`,
        retryable: false,
        at: Date.now(),
      }
      this.#held = undefined
    }
    this.#status = { ...this.#status, ...this.#heldFields() }
  }

  start(): void {
    if (this.#running) return
    this.#running = true
    const held = this.#held
    if (held === undefined) {
      this.#update({ state: 'none' })
      return
    }
    if (held.notAfter <= Date.now()) {
      this.#expired()
      return
    }
    this.#schedule(renewalTime(held), 'scheduled')
  }

  stop(): void {
    if (!this.#running) return
    this.#running = false
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#inFlight?.abort(new CrankError(ErrorCodes.shuttingDown, 'node is stopping'))
    this.#inFlight = undefined
    const { nextRenewalAt: _, ...rest } = this.#status
    this.#status = { ...rest, state: 'stopped', updatedAt: Date.now() }
    this.#write()
  }

  status(): RenewalStatus {
    return { ...this.#status }
  }

  #schedule(at: number, state: 'scheduled' | 'retrying'): void {
    clearTimeout(this.#timer)
    this.#update({ state, nextRenewalAt: at })
    const arm = (): void => {
      const delay = Math.max(0, at - Date.now())
      this.#timer = setTimeout(
        () => {
          this.#timer = undefined
          if (delay > MAX_TIMER_MS) arm()
          else void this.#attempt()
        },
        Math.min(delay, MAX_TIMER_MS),
      )
      this.#timer.unref()
    }
    arm()
  }

  async #attempt(): Promise<void> {
    const held = this.#held
    if (!this.#running || held === undefined) return
    if (held.notAfter <= Date.now()) {
      this.#expired()
      return
    }
    const { nextRenewalAt: _, ...rest } = this.#status
    this.#status = rest
    this.#update({ state: 'renewing' })
    const abort = new AbortController()
    this.#inFlight = abort
    try {
      const { reply, peer } = await this.#request(held, abort.signal)
      const next = await this.#check(reply, held)
      if (!this.#running) return
      this.#save(next.pem)
      await this.#c.membership.setCertificate(next.pem)
      this.#held = next
      const now = Date.now()
      this.#c.log.info(
        { serial: next.serial, previous: held.serial, notAfter: new Date(next.notAfter).toISOString(), signedBy: peer },
        'membership certificate renewed',
      )
      this.#status = { ...this.#status, failures: 0, lastRenewedAt: now }
      this.#schedule(renewalTime(next), 'scheduled')
      this.emit('renewed', {
        serial: next.serial,
        previousSerial: held.serial,
        notAfter: new Date(next.notAfter),
        signedBy: peer,
        pem: next.pem,
      })
    } catch (err) {
      if (!this.#running) return
      this.#failed(err, held)
    } finally {
      if (this.#inFlight === abort) this.#inFlight = undefined
    }
  }

  /** Asks each known provider in turn (random order) until one signs. */
  async #request(held: Held, signal: AbortSignal): Promise<{ reply: SignCsrReply; peer: string }> {
    const peers = shuffle(
      this.#c.providers().filter((p) => p !== this.#self),
      this.#random,
    )
    if (peers.length === 0) {
      throw new CrankError(ErrorCodes.noProvider, 'no mesh member this node knows of serves certificate.sign_csr', { retryable: true })
    }
    const csr = await createMembershipCsr(this.#c.privateKey, {
      ...(held.name === undefined ? {} : { name: held.name }),
      roles: held.roles,
    })
    const days = Math.min(MAX_VALIDITY_DAYS, Math.max(1, Math.ceil((held.notAfter - held.notBefore) / DAY)))
    const params: RenewalCsrParams = { csr, certificate_type: 'client', validity_days: days }
    let last: unknown
    for (const peer of peers) {
      const timeout = AbortSignal.timeout(SIGN_TIMEOUT_MS)
      try {
        return { reply: await this.#c.signCsr(peer, params, AbortSignal.any([signal, timeout])), peer }
      } catch (err) {
        if (signal.aborted) throw err
        last = timeout.aborted
          ? new CrankError(ErrorCodes.deadlineExceeded, `certificate.sign_csr on ${peer} did not answer within ${SIGN_TIMEOUT_MS} ms`, {
              retryable: true,
            })
          : err
        this.#c.log.debug({ peer, err: (err as Error).message }, 'certificate.sign_csr failed on this provider; trying the next')
      }
    }
    throw last
  }

  /** The reply must be the mesh CA's certificate over our key, with our name and roles, outliving the current one. */
  async #check(reply: SignCsrReply, held: Held): Promise<Held> {
    const trust = this.#c.membership.trustStore
    if (trust === undefined)
      throw new TrustError(TrustErrorCodes.caUnavailable, 'this node has no mesh CA to check a renewed certificate against')
    const id = await trust.verify(reply.certificate_pem, { publicKey: this.#c.privateKey.publicKey.raw, peerId: this.#self })
    const roles = [...id.roles].sort()
    if (id.name !== held.name || roles.join(',') !== [...held.roles].sort().join(',')) {
      throw new TrustError(
        TrustErrorCodes.invalidCertificate,
        `the renewed certificate names ${id.name ?? 'no node'} with roles [${roles.join(', ')}], not ${held.name ?? 'no node'} with [${held.roles.join(', ')}]`,
      )
    }
    if (id.notAfter.getTime() <= held.notAfter) {
      throw new TrustError(
        TrustErrorCodes.invalidCertificate,
        `the renewed certificate ends ${id.notAfter.toISOString()}, no later than the current one`,
      )
    }
    return {
      pem: reply.certificate_pem,
      serial: id.serial,
      peerId: id.peerId,
      name: id.name,
      roles: id.roles,
      notBefore: id.notBefore.getTime(),
      notAfter: id.notAfter.getTime(),
    }
  }

  #save(pem: string): void {
    if (this.#dataDir === undefined) return
    try {
      writeFileAtomic(join(this.#dataDir, NODE_TRUST_FILES.certificate), pem, 0o644)
    } catch (err) {
      // The certificate is good and in use; only the next start would present the old one.
      this.#c.log.warn(
        { err: (err as Error).message },
        'renewed membership certificate could not be saved; the node uses it until it stops',
      )
    }
  }

  #failed(err: unknown, held: Held): void {
    const error = toErrorInfo(err, ErrorCodes.internal)
    const failures = this.#status.failures + 1
    const now = Date.now()
    this.#status = { ...this.#status, failures, lastError: { ...error, at: now } }
    if (held.notAfter <= now) {
      this.#expired()
      this.emit('failed', { error, failures, retryInMs: undefined })
      return
    }
    // Never wait past half of what is left: a long backoff must not outlast the certificate.
    const backoff = redialDelay(failures, this.#baseMs, this.#maxMs, this.#random)
    const retryInMs = Math.round(Math.min(backoff, Math.max(this.#baseMs, (held.notAfter - now) / 2)))
    this.#c.log.warn(
      { code: error.code, err: error.message, failures, retryInMs, notAfter: new Date(held.notAfter).toISOString() },
      'membership certificate renewal failed; retrying',
    )
    this.#schedule(now + retryInMs, 'retrying')
    this.emit('failed', { error, failures, retryInMs })
  }

  #expired(): void {
    const held = this.#held
    const { nextRenewalAt: _, ...rest } = this.#status
    this.#status = rest
    this.#update({ state: 'expired' })
    this.#c.log.warn(
      { serial: held?.serial, notAfter: held === undefined ? undefined : new Date(held.notAfter).toISOString() },
      'membership certificate expired before it was renewed; enrol again (ca token + join, or ca issue)',
    )
  }

  #update(patch: Partial<RenewalStatus>): void {
    this.#status = { ...this.#status, ...this.#heldFields(), ...patch, updatedAt: Date.now() }
    this.#write()
  }

  #heldFields(): Pick<RenewalStatus, 'serial' | 'name' | 'notBefore' | 'notAfter'> {
    const held = this.#held
    if (held === undefined) return {}
    return {
      serial: held.serial,
      notBefore: held.notBefore,
      notAfter: held.notAfter,
      ...(held.name === undefined ? {} : { name: held.name }),
    }
  }

  #write(): void {
    if (this.#dataDir === undefined) return
    try {
      writeFileAtomic(join(this.#dataDir, RENEWAL_FILE), `${JSON.stringify(this.#status, null, 1)}\n`, 0o600)
    } catch (err) {
      this.#c.log.debug({ err: (err as Error).message }, `could not write ${RENEWAL_FILE}`)
    }
  }
}

/** What the renewal needs of a node to reach certificate.sign_csr: its view of the mesh, and job submission. */
export interface MeshJobs {
  mesh: { find(q: { id: string; range: string }): Array<{ peer: string }> }
  submit(opts: { capability: string; params: unknown; route: string; attempts: number; signal: AbortSignal }): {
    result: Promise<{ value: unknown }>
  }
}

/**
 * `providers` and `signCsr` over a node: the remote members whose adverts offer certificate.sign_csr@1,
 * each asked with a job pinned to it. Never this node itself: a local run has no proven caller.
 */
export function signCsrOverMesh(node: MeshJobs): Pick<CertificateRenewalComponents, 'providers' | 'signCsr'> {
  return {
    providers: () => node.mesh.find({ id: SIGN_CSR_CAPABILITY, range: '^1' }).map((p) => p.peer),
    signCsr: async (peer, params, signal) =>
      (await node.submit({ capability: `${SIGN_CSR_CAPABILITY}@^1`, params, route: peer, attempts: 1, signal }).result)
        .value as SignCsrReply,
  }
}

/** When a certificate is due for renewal. */
export function renewalTime(cert: { notBefore: number; notAfter: number }): number {
  return cert.notBefore + RENEW_AFTER_FRACTION * (cert.notAfter - cert.notBefore)
}

/** Reads a membership certificate's identity and dates without verifying it (it is our own, from our data dir). */
function readCertificate(pem: string): Held {
  let cert: x509.X509Certificate
  try {
    cert = new x509.X509Certificate(pem)
  } catch (err) {
    throw new TrustError(TrustErrorCodes.invalidCertificate, `this node's membership certificate does not parse: ${(err as Error).message}`)
  }
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension)
  const id = identityFromSans(san?.names.toJSON() ?? [])
  return {
    pem,
    serial: normaliseSerial(cert.serialNumber),
    peerId: id.peerId,
    name: id.name,
    roles: id.roles,
    notBefore: cert.notBefore.getTime(),
    notAfter: cert.notAfter.getTime(),
  }
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}
