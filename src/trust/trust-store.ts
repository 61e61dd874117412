/**
 * What a node trusts: the mesh CA certificate and the newest CRL it has seen.
 * `verify` decides whether a certificate presented on a connection makes the
 * peer a member: signed by the mesh CA, inside its validity dates, not on the
 * CRL, a leaf (not CA:TRUE), and over exactly the connection's libp2p key.
 *
 * Signature checks cost about a millisecond (ASN.1 parse + ECDSA verify), so a
 * certificate whose signature has been verified once is remembered by its
 * SHA-256; dates, CRL and key binding are still checked on every call.
 */
import { X509Certificate } from 'node:crypto'
import { normaliseSerial } from './ca.ts'
import { crlNumberOf } from './crl-number.ts'
import { TrustError, TrustErrorCodes } from './errors.ts'
import { type GeneralNameJson, identityFromSans, type MemberIdentity } from './identity.ts'
import { type CryptoKey, ed25519RawFromSpki, nodeCrypto, sha256, toDer, x509 } from './x509.ts'

export interface VerifyOptions {
  /** The remote peer's raw 32-byte Ed25519 libp2p public key; the certificate must be over it. */
  publicKey?: Uint8Array
  /** The remote peer id; the certificate's crank:peer SAN must name it. */
  peerId?: string
  /** Clock to check validity against. Default now. */
  now?: Date
}

interface VerifiedCert {
  identity: Omit<MemberIdentity, 'notBefore' | 'notAfter'>
  notBefore: number
  notAfter: number
  key: Buffer | undefined
}

const CACHE_LIMIT = 4096

export class TrustStore {
  readonly ca: x509.X509Certificate
  readonly #caKey: CryptoKey
  readonly #caNative: X509Certificate
  #crl: x509.X509Crl | undefined
  #crlDer: Uint8Array | undefined
  #crlNumber = 0
  #revoked = new Set<string>()
  readonly #verified = new Map<string, VerifiedCert>()

  private constructor(ca: x509.X509Certificate, caKey: CryptoKey) {
    this.ca = ca
    this.#caKey = caKey
    this.#caNative = new X509Certificate(new Uint8Array(ca.rawData))
  }

  /** @param ca the mesh CA certificate (PEM or DER); @param crl an optional CRL (PEM or DER). */
  static async create(ca: string | Uint8Array, crl?: string | Uint8Array): Promise<TrustStore> {
    let cert: x509.X509Certificate
    try {
      cert = new x509.X509Certificate(toDer(ca))
    } catch (err) {
      throw new TrustError(TrustErrorCodes.invalidCertificate, `mesh CA certificate does not parse: ${(err as Error).message}`, {
        cause: err,
      })
    }
    const store = new TrustStore(cert, (await cert.publicKey.export(nodeCrypto)) as CryptoKey)
    if (crl !== undefined) await store.updateCrl(crl)
    return store
  }

  get crlNumber(): number {
    return this.#crlNumber
  }

  /** DER of the newest CRL held, to pass on to peers. */
  get crlDer(): Uint8Array | undefined {
    return this.#crlDer
  }

  get crl(): x509.X509Crl | undefined {
    return this.#crl
  }

  isRevoked(serial: string): boolean {
    return this.#revoked.has(normaliseSerial(serial))
  }

  /**
   * Adopts a CRL if it is signed by the mesh CA and newer (higher cRLNumber)
   * than the one held. Returns true when adopted; throws `invalid_crl` for a
   * CRL that does not parse or is not the CA's.
   */
  async updateCrl(data: string | Uint8Array): Promise<boolean> {
    let crl: x509.X509Crl
    try {
      crl = new x509.X509Crl(toDer(data))
    } catch (err) {
      throw new TrustError(TrustErrorCodes.invalidCrl, `CRL does not parse: ${(err as Error).message}`, { cause: err })
    }
    if (crl.issuer !== this.ca.subject || !(await crl.verify({ publicKey: this.#caKey }, nodeCrypto).catch(() => false))) {
      throw new TrustError(TrustErrorCodes.invalidCrl, 'CRL is not signed by the mesh CA')
    }
    const n = crlNumberOf(crl)
    if (this.#crl !== undefined && n <= this.#crlNumber) return false
    this.#crl = crl
    this.#crlDer = new Uint8Array(crl.rawData)
    this.#crlNumber = n
    this.#revoked = new Set(crl.entries.map((e) => normaliseSerial(e.serialNumber)))
    return true
  }

  /** Verifies a membership certificate and returns the identity it proves; throws a TrustError saying why not. */
  async verify(certificate: string | Uint8Array, opts: VerifyOptions = {}): Promise<MemberIdentity> {
    const der = typeof certificate === 'string' ? new Uint8Array(toDer(certificate)) : certificate
    const digest = sha256(der).toString('hex')
    let v = this.#verified.get(digest)
    if (v === undefined) {
      v = await this.#verifySignature(der)
      if (this.#verified.size >= CACHE_LIMIT) this.#verified.delete(this.#verified.keys().next().value as string)
      this.#verified.set(digest, v)
    }
    const now = (opts.now ?? new Date()).getTime()
    if (now < v.notBefore)
      throw new TrustError(
        TrustErrorCodes.certificateNotYetValid,
        `certificate ${v.identity.serial} is not valid before ${new Date(v.notBefore).toISOString()}`,
      )
    if (now > v.notAfter)
      throw new TrustError(
        TrustErrorCodes.certificateExpired,
        `certificate ${v.identity.serial} expired at ${new Date(v.notAfter).toISOString()}`,
      )
    if (this.#revoked.has(v.identity.serial))
      throw new TrustError(TrustErrorCodes.certificateRevoked, `certificate ${v.identity.serial} is revoked`)
    if (opts.publicKey !== undefined && (v.key === undefined || !v.key.equals(opts.publicKey))) {
      throw new TrustError(TrustErrorCodes.keyMismatch, "certificate is over another key than the connection's libp2p key")
    }
    if (opts.peerId !== undefined && opts.peerId !== v.identity.peerId) {
      throw new TrustError(TrustErrorCodes.keyMismatch, `certificate names peer ${v.identity.peerId}, not ${opts.peerId}`)
    }
    return { ...v.identity, roles: [...v.identity.roles], notBefore: new Date(v.notBefore), notAfter: new Date(v.notAfter) }
  }

  async #verifySignature(der: Uint8Array): Promise<VerifiedCert> {
    // Node's native (OpenSSL) X509Certificate: parsing with @peculiar/x509 costs
    // about 1 ms per certificate, which would dominate connection set-up.
    let cert: X509Certificate
    try {
      cert = new X509Certificate(der)
    } catch (err) {
      throw new TrustError(TrustErrorCodes.invalidCertificate, `certificate does not parse: ${(err as Error).message}`, { cause: err })
    }
    if (!cert.checkIssued(this.#caNative))
      throw new TrustError(TrustErrorCodes.untrusted, `certificate is issued by "${cert.issuer.replace(/\n/g, ', ')}", not the mesh CA`)
    if (!cert.verify(this.#caNative.publicKey))
      throw new TrustError(TrustErrorCodes.untrusted, 'certificate signature does not verify against the mesh CA')
    if (cert.ca) throw new TrustError(TrustErrorCodes.notMembershipCertificate, 'a CA certificate is not a membership certificate')
    const identity = identityFromSans(parseNodeSan(cert.subjectAltName))
    const spki = cert.publicKey.export({ type: 'spki', format: 'der' })
    const raw = ed25519RawFromSpki(new Uint8Array(spki))
    return {
      identity: { ...identity, serial: normaliseSerial(cert.serialNumber) },
      notBefore: cert.validFromDate.getTime(),
      notAfter: cert.validToDate.getTime(),
      key: raw === undefined ? undefined : Buffer.from(raw),
    }
  }
}

/**
 * Node prints SANs as `URI:a, DNS:b`; values with separators or quotes in them
 * are printed JSON-quoted (`URI:"a, b"`), so an entry that starts with a quote
 * is skipped: crank: URIs never need quoting (see identity.ts).
 */
function parseNodeSan(text: string | undefined): GeneralNameJson[] {
  if (text === undefined) return []
  const out: GeneralNameJson[] = []
  for (const part of text.split(', ')) {
    if (part.startsWith('URI:') && !part.startsWith('URI:"')) out.push({ type: 'url', value: part.slice(4) })
  }
  return out
}
