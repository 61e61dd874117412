/**
 * The mesh CA: the one trust root of a mesh. It lives in a directory:
 *
 *   ca.key      PKCS#8 PEM private key, mode 0600
 *   ca.crt      self-signed CA certificate (PEM)
 *   state.json  algorithm, CRL number and the revoked serials, mode 0600
 *   crl.pem     the current signed CRL (PEM), rewritten on every revocation
 *   tokens.json one-time join tokens (hashes only), mode 0600 — see join-tokens.ts
 *   naming.json which names certificates may carry, whoever asks — see ca-names.ts
 *   issued.jsonl every certificate issued, mode 0600 — see ca-issued.ts
 *
 * It issues leaf certificates only: every certificate it signs carries a
 * critical basicConstraints CA:FALSE and never keyCertSign or cRLSign.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import {
  appendIssued,
  checkNameFree,
  ISSUED_FILE,
  type IssuedRecord,
  type IssuedStatus,
  readIssued,
  statusOf,
  supersededBy,
} from './ca-issued.ts'
import { type CaNaming, checkCaNames, loadCaNaming, normaliseNaming, saveCaNaming } from './ca-names.ts'
import { crlNumberExtension } from './crl-number.ts'
import { TrustError, TrustErrorCodes } from './errors.ts'
import { writeFileAtomic } from './files.ts'
import { membershipSans, NODE_URI, PEER_URI } from './identity.ts'
import {
  type CryptoKey,
  type CryptoKeyPair,
  ed25519Spki,
  nodeCrypto,
  randomSerial,
  sha256,
  subtle,
  toDer,
  toPem,
  type WebAlgorithm,
  x509,
} from './x509.ts'

export type CaAlgorithm = 'ecdsa-p256' | 'ed25519'

const ALGORITHMS: Record<CaAlgorithm, { key: WebAlgorithm; sign: WebAlgorithm }> = {
  'ecdsa-p256': { key: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } },
  ed25519: { key: { name: 'Ed25519' }, sign: { name: 'Ed25519' } },
}

export interface CaInitOptions {
  dir: string
  /** Subject common name of the CA. Default "Crank mesh CA". */
  name?: string
  algorithm?: CaAlgorithm
  /** CA certificate lifetime. Default 3650 days. */
  validityDays?: number
  /** Overwrite an existing CA in `dir`. Default false: refuse. */
  force?: boolean
  /** Naming policy (allowed suffixes, SAN cap, unique names); defaults in ca-names.ts. */
  naming?: Partial<CaNaming>
}

export interface IssueOptions {
  /** The subject's public key: SPKI DER, a CryptoKey or a parsed x509 PublicKey. */
  publicKey: x509.PublicKeyType
  subject: string
  sans: x509.JsonGeneralNames
  extendedKeyUsages: string[]
  /** Key usage bits; keyCertSign and cRLSign are always stripped. */
  keyUsages: number
  notBefore?: Date
  notAfter: Date
  /** Serial of the certificate this one renews (same key); recorded so that `ca list` shows it superseded. */
  supersedes?: string
}

export interface MembershipIssueOptions {
  /** The node's libp2p peer id (Ed25519). Its public key is embedded in the id. */
  peerId: string
  name?: string
  roles?: readonly string[]
  /** Default 365 days. */
  validityDays?: number
  /** Override the validity window (tests of expiry, backdating). */
  notBefore?: Date
  notAfter?: Date
}

export interface IssuedCertificate {
  certificate: x509.X509Certificate
  pem: string
  serial: string
  notBefore: Date
  notAfter: Date
}

export interface IssuedEntry extends IssuedRecord {
  status: IssuedStatus
  /** Serial of the certificate that renewed this one. */
  supersededBy?: string
}

export interface RevokedEntry {
  serial: string
  revokedAt: string
  reason: number
}

interface CaState {
  algorithm: CaAlgorithm
  crlNumber: number
  revoked: RevokedEntry[]
}

const DAY = 86_400_000

export class MeshCA {
  readonly dir: string
  readonly certificate: x509.X509Certificate
  readonly algorithm: CaAlgorithm
  /** What names any certificate of this CA may carry. */
  readonly naming: CaNaming
  readonly #signingKey: CryptoKey
  #state: CaState

  private constructor(dir: string, certificate: x509.X509Certificate, signingKey: CryptoKey, state: CaState, naming: CaNaming) {
    this.dir = dir
    this.certificate = certificate
    this.#signingKey = signingKey
    this.#state = state
    this.algorithm = state.algorithm
    this.naming = naming
  }

  static async init(opts: CaInitOptions): Promise<MeshCA> {
    const algorithm = opts.algorithm ?? 'ecdsa-p256'
    const alg = ALGORITHMS[algorithm]
    if (alg === undefined)
      throw new TrustError(TrustErrorCodes.caUnavailable, `unknown CA algorithm "${algorithm}"; use ecdsa-p256 or ed25519`)
    if (existsSync(join(opts.dir, 'ca.key')) && opts.force !== true) {
      throw new TrustError(TrustErrorCodes.caUnavailable, `a CA already exists in ${opts.dir}; pass force to replace it`)
    }
    const naming = normaliseNaming(opts.naming ?? {})
    const keys = (await subtle.generateKey(alg.key, true, ['sign', 'verify'])) as CryptoKeyPair
    const now = Date.now()
    const certificate = await x509.X509CertificateGenerator.createSelfSigned(
      {
        serialNumber: randomSerial(),
        name: [{ CN: [opts.name ?? 'Crank mesh CA'] }],
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + (opts.validityDays ?? 3650) * DAY),
        keys,
        signingAlgorithm: alg.sign,
        extensions: [
          new x509.BasicConstraintsExtension(true, 0, true),
          new x509.KeyUsagesExtension(
            x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
            true,
          ),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, nodeCrypto),
        ],
      },
      nodeCrypto,
    )
    const pkcs8 = await subtle.exportKey('pkcs8', keys.privateKey)
    writeFileAtomic(join(opts.dir, 'ca.key'), x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'), 0o600)
    writeFileAtomic(join(opts.dir, 'ca.crt'), certificate.toString('pem'), 0o644)
    saveCaNaming(opts.dir, naming)
    writeFileAtomic(join(opts.dir, ISSUED_FILE), '', 0o600) // a replaced CA's records are not this one's
    const state: CaState = { algorithm, crlNumber: 0, revoked: [] }
    const signingKey = await importSigningKey(pkcs8, algorithm)
    const ca = new MeshCA(opts.dir, certificate, signingKey, state, naming)
    await ca.#publishCrl()
    return ca
  }

  static async load(dir: string): Promise<MeshCA> {
    const keyPath = join(dir, 'ca.key')
    let keyPem: string
    let certPem: string
    let state: CaState
    try {
      keyPem = readFileSync(keyPath, 'utf8')
      certPem = readFileSync(join(dir, 'ca.crt'), 'utf8')
      state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as CaState
    } catch (err) {
      throw new TrustError(TrustErrorCodes.caUnavailable, `cannot read the CA in ${dir}: ${(err as Error).message}`, { cause: err })
    }
    // A key others can read is a compromised key: refuse, as ssh does.
    if ((statSync(keyPath).mode & 0o077) !== 0) {
      throw new TrustError(TrustErrorCodes.caUnavailable, `${keyPath} is readable by others; chmod 600 it`)
    }
    const signingKey = await importSigningKey(toDer(keyPem), state.algorithm)
    return new MeshCA(dir, new x509.X509Certificate(certPem), signingKey, state, loadCaNaming(dir))
  }

  get certificatePem(): string {
    return this.certificate.toString('pem')
  }

  /** SHA-256 of the CA certificate's DER, hex. Join tokens pin it. */
  get fingerprint(): string {
    return sha256(new Uint8Array(this.certificate.rawData)).toString('hex')
  }

  get revoked(): readonly RevokedEntry[] {
    return this.#state.revoked
  }

  get crlPath(): string {
    return join(this.dir, 'crl.pem')
  }

  /** The signing key's signature algorithm, for callers that sign other structures. */
  get signingAlgorithm(): WebAlgorithm {
    return ALGORITHMS[this.algorithm].sign
  }

  /**
   * Signs a leaf certificate. The lowest-level issuing call, so what it enforces holds for every
   * path (CLI, certificate.sign_csr, enrolment): the naming policy (suffixes, SAN cap) and unique
   * node names. Who may ask for which names is the callers' policy. Every issuance is recorded.
   */
  async issue(opts: IssueOptions): Promise<IssuedCertificate> {
    const notBefore = opts.notBefore ?? new Date(Date.now() - 60_000)
    const usages = opts.keyUsages & ~(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign)
    const publicKey = await x509.PublicKey.create(opts.publicKey, nodeCrypto)
    const sans = sanStrings(opts.sans)
    checkCaNames(sans, this.naming)
    const peerId = sans.find((s) => s.startsWith(`uri:${PEER_URI}`))?.slice(4 + PEER_URI.length)
    const name = sans.find((s) => s.startsWith(`uri:${NODE_URI}`))?.slice(4 + NODE_URI.length)
    const key = peerId === undefined ? `spki-sha256:${sha256(new Uint8Array(publicKey.rawData)).toString('hex')}` : `peer:${peerId}`
    if (name !== undefined && this.naming.uniqueNames) checkNameFree(readIssued(this.dir), (s) => this.isRevoked(s), name, key)
    const certificate = await x509.X509CertificateGenerator.create(
      {
        serialNumber: randomSerial(),
        subject: opts.subject,
        issuer: this.certificate.subjectName,
        publicKey,
        signingKey: this.#signingKey,
        signingAlgorithm: this.signingAlgorithm,
        notBefore,
        notAfter: opts.notAfter,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(usages, true),
          new x509.ExtendedKeyUsageExtension(opts.extendedKeyUsages, false),
          new x509.SubjectAlternativeNameExtension(opts.sans, false),
          await x509.SubjectKeyIdentifierExtension.create(publicKey, false, nodeCrypto),
          await x509.AuthorityKeyIdentifierExtension.create(this.certificate, false, nodeCrypto),
        ],
      },
      nodeCrypto,
    )
    const serial = normaliseSerial(certificate.serialNumber)
    appendIssued(this.dir, {
      serial,
      subject: opts.subject,
      key,
      ...(peerId === undefined ? {} : { peerId }),
      ...(name === undefined ? {} : { name }),
      roles: sans.filter((s) => s.startsWith('uri:crank:role:')).map((s) => s.slice('uri:crank:role:'.length)),
      sans,
      notBefore: notBefore.toISOString(),
      notAfter: opts.notAfter.toISOString(),
      issuedAt: new Date().toISOString(),
      ...(opts.supersedes === undefined ? {} : { supersedes: normaliseSerial(opts.supersedes) }),
    })
    return { certificate, pem: certificate.toString('pem'), serial, notBefore, notAfter: opts.notAfter }
  }

  /** Every certificate this CA issued (as recorded in issued.jsonl), with its status now. */
  issued(now = Date.now()): IssuedEntry[] {
    const records = readIssued(this.dir)
    const renewed = supersededBy(records)
    return records.map((r) => {
      const by = renewed.get(r.serial)
      return { ...r, status: statusOf(r, (s) => this.isRevoked(s), now, renewed), ...(by === undefined ? {} : { supersededBy: by }) }
    })
  }

  isRevoked(serial: string): boolean {
    const norm = normaliseSerial(serial)
    return this.#state.revoked.some((r) => normaliseSerial(r.serial) === norm)
  }

  /** Issues a membership certificate over a node's libp2p Ed25519 key, named by its peer id. */
  async issueMembership(opts: MembershipIssueOptions): Promise<IssuedCertificate> {
    const raw = ed25519KeyOfPeer(opts.peerId)
    const now = Date.now()
    const notBefore = opts.notBefore ?? new Date(now - 60_000)
    const notAfter = opts.notAfter ?? new Date(now + (opts.validityDays ?? 365) * DAY)
    return this.issue({
      publicKey: ed25519Spki(raw),
      subject: `CN=${opts.name ?? opts.peerId}`,
      sans: membershipSans(opts.peerId, opts.name, opts.roles ?? []),
      // A node is both dialer and listener on the mesh.
      extendedKeyUsages: [x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth],
      keyUsages: x509.KeyUsageFlags.digitalSignature,
      notBefore,
      notAfter,
    })
  }

  /**
   * Adds a serial to the revocation list and publishes a new signed CRL. A serial this CA has no
   * record of issuing is refused (`unknown_serial`), unless `unlisted` (certificates issued before
   * the CA kept issued.jsonl).
   */
  async revoke(
    serial: string,
    reason: x509.X509CrlReason = x509.X509CrlReason.unspecified,
    opts: { unlisted?: boolean } = {},
  ): Promise<x509.X509Crl> {
    const norm = normaliseSerial(serial)
    if (!/^[0-9a-f]+$/.test(norm)) throw new TrustError(TrustErrorCodes.unknownSerial, `serial "${serial}" is not hex`)
    if (opts.unlisted !== true && !readIssued(this.dir).some((r) => normaliseSerial(r.serial) === norm)) {
      throw new TrustError(TrustErrorCodes.unknownSerial, `this CA has no record of issuing serial ${norm} (see \`ca list\`)`)
    }
    if (!this.#state.revoked.some((r) => normaliseSerial(r.serial) === norm)) {
      this.#state.revoked.push({ serial: norm, revokedAt: new Date().toISOString(), reason })
    }
    return this.#publishCrl()
  }

  /** The current CRL (signed at the last revocation, or at init). */
  currentCrl(): x509.X509Crl {
    return new x509.X509Crl(readFileSync(this.crlPath, 'utf8'))
  }

  async #publishCrl(): Promise<x509.X509Crl> {
    const state = { ...this.#state, crlNumber: this.#state.crlNumber + 1 }
    const now = Date.now()
    const crl = await x509.X509CrlGenerator.create(
      {
        issuer: this.certificate.subjectName,
        thisUpdate: new Date(now),
        nextUpdate: new Date(now + 30 * DAY),
        signingKey: this.#signingKey,
        signingAlgorithm: this.signingAlgorithm,
        extensions: [
          crlNumberExtension(state.crlNumber),
          await x509.AuthorityKeyIdentifierExtension.create(this.certificate, false, nodeCrypto),
        ],
        // Every entry carries an invalidityDate: @peculiar/x509 2.2 writes an empty (invalid DER)
        // crlEntryExtensions when an entry has none, and openssl then refuses the whole CRL.
        entries: state.revoked.map((r) => ({
          serialNumber: r.serial,
          revocationDate: new Date(r.revokedAt),
          invalidity: new Date(r.revokedAt),
          ...(r.reason === 0 ? {} : { reason: r.reason }),
        })),
      },
      nodeCrypto,
    )
    writeFileAtomic(join(this.dir, 'state.json'), JSON.stringify(state, null, 2), 0o600)
    writeFileAtomic(this.crlPath, crlPem(crl), 0o644)
    this.#state = state
    return crl
  }
}

const SAN_TYPE_NAMES: Record<string, string> = { dns: 'dns', ip: 'ip', email: 'email', url: 'uri' }

/** SANs as `type:value` strings; types other than DNS, IP, email and URI are refused. */
function sanStrings(sans: x509.JsonGeneralNames): string[] {
  return sans.map((n) => {
    const type = SAN_TYPE_NAMES[n.type]
    if (type === undefined)
      throw new TrustError(TrustErrorCodes.sanNotAllowed, `SAN type ${n.type} is not supported; use DNS, IP, email or URI`)
    return `${type}:${n.value}`
  })
}

/** PEM with the label openssl expects for CRLs (x509's own says "CRL"). */
export function crlPem(crl: x509.X509Crl): string {
  return toPem(crl.rawData, 'X509 CRL')
}

/** Serials compare as lowercase hex without leading zeros. */
export function normaliseSerial(serial: string): string {
  const s = serial.toLowerCase().replace(/[:\s]/g, '').replace(/^0+/, '')
  return s === '' ? '0' : s
}

/** The raw Ed25519 public key a peer id embeds; throws for ids that do not embed an Ed25519 key. */
export function ed25519KeyOfPeer(peerId: string): Uint8Array {
  let key: { type: string; raw: Uint8Array } | undefined
  try {
    key = peerIdFromString(peerId).publicKey
  } catch (err) {
    throw new TrustError(TrustErrorCodes.keyMismatch, `"${peerId}" is not a libp2p peer id`, { cause: err })
  }
  if (key === undefined || key.type !== 'Ed25519') {
    throw new TrustError(TrustErrorCodes.keyMismatch, `peer ${peerId} does not embed an Ed25519 public key`)
  }
  return key.raw
}

async function importSigningKey(pkcs8: ArrayBuffer | Uint8Array, algorithm: CaAlgorithm): Promise<CryptoKey> {
  const alg = ALGORITHMS[algorithm]
  if (alg === undefined) throw new TrustError(TrustErrorCodes.caUnavailable, `unknown CA algorithm "${algorithm}"`)
  return subtle.importKey('pkcs8', pkcs8, alg.key, false, ['sign'])
}
