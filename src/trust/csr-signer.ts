/**
 * Signs PKCS#10 CSRs with the mesh CA under a policy. This is the engine of the
 * `certificate.sign_csr` capability and of enrolment with a join token.
 *
 * What it enforces, in order:
 *  0. a join token, if given, is valid (checked before   → invalid_token / token_expired
 *     anything else); without one, the caller has a rule → forbidden
 *     or was admitted for renewal (`renewalOnly`)
 *  1. the CSR parses (PEM or DER)                        → invalid_csr
 *  2. the key is EC P-256/P-384, Ed25519 or RSA ≥ 2048   → weak_key / unsupported_key
 *  3. the CSR's self-signature verifies                  → bad_signature
 *  4. it does not ask for CA:TRUE, keyCertSign, cRLSign  → ca_requested
 *  5. a renewalOnly caller asks for exactly its own       → forbidden
 *     crank:peer over its own key, its own name and roles
 *     it holds, nothing else (see checkRenewal)
 *     every SAN is permitted to the caller (or token)    → san_not_allowed / forbidden
 *     and a crank:peer:<id> SAN names the CSR's own key  → san_not_allowed
 *  6. the join token is consumed (still valid)           → invalid_token / token_expired
 * Then it issues a leaf: CA:FALSE, EKU from certificate_type, validity capped,
 * a random positive 128-bit serial, and writes one audit line (refusals too).
 * Only the SANs are taken from the CSR; its subject and other requested
 * extensions are ignored (the subject becomes CN=<first SAN or node name>).
 * A membership certificate a member obtains for its own peer id is recorded as
 * superseding the certificate the member proved itself with.
 */
import { createPublicKey } from 'node:crypto'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { auditCaller } from './access-policy.ts'
import type { AuditLog } from './audit-log.ts'
import type { MeshCA } from './ca.ts'
import type { Caller } from './caller.ts'
import { TrustError, TrustErrorCodes } from './errors.ts'
import { compileSanGlob } from './glob.ts'
import { identityFromSans, NODE_URI, PEER_URI, ROLE_URI } from './identity.ts'
import { generatedNodeName, type JoinTokens, type TokenGrant } from './join-tokens.ts'
import { ed25519RawFromSpki, nodeCrypto, toDer, x509 } from './x509.ts'

export type CertificateType = 'client' | 'server'

/**
 * Which SANs a caller may have certified. A rule applies to callers with one
 * of its roles, names or peer ids (or to every member when `members` is true).
 * Patterns are `<type>:<glob>` with type dns, ip, email or uri; `*` stays within
 * one label, `**` matches anything. `{peer}`, `{name}` and `{role}` expand to
 * the caller's own peer id, name and each of its roles.
 */
export interface SanRule {
  roles?: string[]
  names?: string[]
  peers?: string[]
  members?: boolean
  patterns: string[]
}

export interface CsrPolicyOptions {
  /** Upper bound on any certificate's lifetime. Default 90 days. */
  maxValidityDays?: number
  /** Lifetime when the request names none. Default 30 days. */
  defaultValidityDays?: number
  /** Default: admins may ask for anything; members may renew their own membership identity. */
  sanRules?: SanRule[]
}

export const DEFAULT_SAN_RULES: SanRule[] = [
  { roles: ['admin'], patterns: ['**'] },
  { members: true, patterns: [`uri:${PEER_URI}{peer}`, `uri:${NODE_URI}{name}`, `uri:${ROLE_URI}{role}`] },
]

export interface SignCsrRequest {
  /** PKCS#10, PEM text or PEM/DER bytes. */
  csr: string | Uint8Array
  certificateType: CertificateType
  validityDays?: number
  caller: Caller
  /** One-time join token: enrolment of a node that is not a member yet. */
  joinToken?: string
  /** For the audit line (the job id). */
  requestId?: string
}

export interface SignCsrResult {
  certificatePem: string
  caCertificatePem: string
  serial: string
  subject: string
  sans: string[]
  notBefore: string
  notAfter: string
  keyAlgorithm: string
  /** Set when the certificate is a membership certificate (it has a crank:peer SAN). */
  membership?: { peerId: string; name?: string; roles: string[] }
}

const DAY = 86_400_000
const SAN_TYPES: Record<string, string> = { dns: 'dns', ip: 'ip', email: 'email', url: 'uri' }

export class CsrSigner {
  readonly #ca: MeshCA
  readonly #tokens: JoinTokens | undefined
  readonly #audit: AuditLog | undefined
  readonly #maxDays: number
  readonly #defaultDays: number
  readonly #rules: SanRule[]
  readonly #globs = new Map<string, RegExp>()

  constructor(opts: { ca: MeshCA; policy?: CsrPolicyOptions; tokens?: JoinTokens; audit?: AuditLog }) {
    this.#ca = opts.ca
    this.#tokens = opts.tokens
    this.#audit = opts.audit
    this.#maxDays = opts.policy?.maxValidityDays ?? 90
    this.#defaultDays = Math.min(opts.policy?.defaultValidityDays ?? 30, this.#maxDays)
    this.#rules = opts.policy?.sanRules ?? DEFAULT_SAN_RULES
    for (const r of this.#rules) for (const p of r.patterns) if (!p.includes('{')) this.#glob(p)
  }

  get ca(): MeshCA {
    return this.#ca
  }

  async sign(req: SignCsrRequest): Promise<SignCsrResult> {
    try {
      const result = await this.#sign(req)
      this.#audit?.write({
        event: 'certificate.issued',
        request_id: req.requestId,
        caller: auditCaller(req.caller),
        capability: 'certificate.sign_csr',
        decision: 'allow',
        reason: req.joinToken !== undefined ? 'join token' : req.caller.renewalOnly === true ? 'renewal' : 'san policy',
        serial: result.serial,
        subject: result.subject,
        sans: result.sans,
        certificate_type: req.certificateType,
        key: result.keyAlgorithm,
        not_after: result.notAfter,
      })
      return result
    } catch (err) {
      this.#refused(req, err)
      throw err
    }
  }

  #refused(req: Pick<SignCsrRequest, 'caller' | 'requestId'>, err: unknown): void {
    this.#audit?.write({
      event: 'certificate.refused',
      request_id: req.requestId,
      caller: auditCaller(req.caller),
      capability: 'certificate.sign_csr',
      decision: 'deny',
      reason: err instanceof TrustError ? err.code : 'internal',
      message: (err as Error).message,
    })
  }

  /**
   * Who may have anything signed, decided before the CSR is looked at: a join token must be valid
   * (unknown, used, expired and malformed tokens cost no parsing), a caller without one needs a SAN
   * rule. Returns the token's grant, if any.
   */
  authorize(req: Pick<SignCsrRequest, 'caller' | 'joinToken' | 'requestId'>): TokenGrant | undefined {
    try {
      return this.#authorize(req)
    } catch (err) {
      this.#refused(req, err)
      throw err
    }
  }

  #authorize(req: Pick<SignCsrRequest, 'caller' | 'joinToken'>): TokenGrant | undefined {
    if (req.caller.renewalOnly === true) {
      // Admitted for renewal only: a token would let it have another name signed.
      if (req.joinToken !== undefined)
        throw new TrustError(
          TrustErrorCodes.forbidden,
          'a member may use certificate.sign_csr only to renew its own certificate, without a token',
        )
      if (!req.caller.member) throw new TrustError(TrustErrorCodes.forbidden, 'only a verified member may renew its certificate')
      return undefined
    }
    if (req.joinToken !== undefined) {
      if (this.#tokens === undefined) throw new TrustError(TrustErrorCodes.invalidToken, 'this node does not accept join tokens')
      return this.#tokens.peek(req.joinToken)
    }
    if (this.#callerPatterns(req.caller).length === 0)
      throw new TrustError(TrustErrorCodes.forbidden, 'caller may not have any certificate signed')
    return undefined
  }

  async #sign(req: SignCsrRequest): Promise<SignCsrResult> {
    let grant = this.#authorize(req)
    const csr = parseCsr(req.csr)
    const spki = new Uint8Array(csr.publicKey.rawData)
    const key = checkKey(spki)
    if (!(await csr.verify(nodeCrypto).catch(() => false)))
      throw new TrustError(TrustErrorCodes.badSignature, 'CSR signature does not verify')
    const requested = checkExtensions(csr)
    if (requested.length === 0) throw new TrustError(TrustErrorCodes.sanNotAllowed, 'CSR has no subjectAltName; ask for at least one name')
    // Enrolment always yields a named node: the token's name (a stranger never picks one), given even when the CSR asks for none.
    if (grant !== undefined) {
      grant = { ...grant, name: grant.name ?? generatedNodeName() }
      if (!requested.some((s) => s.startsWith(`uri:${NODE_URI}`))) requested.push(`uri:${NODE_URI}${grant.name}`)
    }

    // A crank:peer SAN is only ever certified over that peer's own libp2p key.
    const peerSan = requested.find((s) => s.startsWith(`uri:${PEER_URI}`))
    let keyPeerId: string | undefined
    const raw = ed25519RawFromSpki(spki)
    if (raw !== undefined) keyPeerId = peerIdFromPublicKey(publicKeyFromRaw(raw)).toString()
    if (req.caller.renewalOnly === true) checkRenewal(requested, keyPeerId, req.caller)
    if (peerSan !== undefined && peerSan !== `uri:${PEER_URI}${keyPeerId}`) {
      throw new TrustError(TrustErrorCodes.sanNotAllowed, `${peerSan} does not name the CSR's own key`)
    }

    if (grant !== undefined) {
      if (peerSan === undefined)
        throw new TrustError(TrustErrorCodes.sanNotAllowed, `enrolment needs a ${PEER_URI}<peer id> SAN over the node's Ed25519 key`)
      checkSans(requested, this.#tokenPatterns(grant, keyPeerId!), 'the join token')
    } else if (req.caller.renewalOnly !== true) {
      checkSans(requested, this.#callerPatterns(req.caller), 'the caller')
    }

    const days = Math.min(req.validityDays ?? this.#defaultDays, this.#maxDays)
    if (!(days > 0)) throw new TrustError(TrustErrorCodes.invalidCsr, 'validity_days must be positive')
    // Spend the token only once everything else has passed, immediately before signing.
    if (grant !== undefined) this.#tokens!.consume(req.joinToken!)

    const sanJson = requested.map(toJsonName)
    const membership = peerSan === undefined ? undefined : identityFromSans(sanJson)
    const subject = `CN=${membership?.name ?? membership?.peerId ?? requested[0]!.slice(requested[0]!.indexOf(':') + 1)}`
    const notBefore = new Date(Date.now() - 60_000)
    // A member's new certificate for its own peer id replaces the one it proved itself with.
    const renews = membership !== undefined && req.caller.member && req.caller.peerId === membership.peerId ? req.caller.serial : undefined
    const issued = await this.#ca.issue({
      publicKey: spki,
      subject,
      sans: sanJson,
      extendedKeyUsages: [req.certificateType === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth],
      keyUsages: x509.KeyUsageFlags.digitalSignature | (key === 'rsa' ? x509.KeyUsageFlags.keyEncipherment : 0),
      notBefore,
      notAfter: new Date(notBefore.getTime() + days * DAY),
      ...(renews === undefined ? {} : { supersedes: renews }),
    })
    return {
      certificatePem: issued.pem,
      caCertificatePem: this.#ca.certificatePem,
      serial: issued.serial,
      subject: issued.certificate.subject,
      sans: requested,
      notBefore: issued.notBefore.toISOString(),
      notAfter: issued.notAfter.toISOString(),
      keyAlgorithm: key,
      ...(membership === undefined ? {} : { membership }),
    }
  }

  #tokenPatterns(grant: TokenGrant, peerId: string): RegExp[] {
    const out = [`uri:${PEER_URI}${peerId}`, `uri:${NODE_URI}${grant.name ?? generatedNodeName()}`]
    for (const r of grant.roles) out.push(`uri:${ROLE_URI}${r}`)
    return out.map((p) => this.#glob(p))
  }

  #callerPatterns(caller: Caller): RegExp[] {
    const out: RegExp[] = []
    for (const rule of this.#rules) {
      const applies =
        (rule.members === true && caller.member) ||
        (caller.member && caller.roles.some((r) => rule.roles?.includes(r))) ||
        (caller.member && caller.name !== undefined && rule.names?.includes(caller.name) === true) ||
        (caller.member && caller.peerId !== undefined && rule.peers?.includes(caller.peerId) === true)
      if (!applies) continue
      for (const p of rule.patterns) {
        if (!p.includes('{')) {
          out.push(this.#glob(p))
          continue
        }
        if (p.includes('{peer}') && caller.peerId !== undefined) out.push(this.#glob(p.replace('{peer}', escapeGlob(caller.peerId))))
        if (p.includes('{name}') && caller.name !== undefined) out.push(this.#glob(p.replace('{name}', escapeGlob(caller.name))))
        if (p.includes('{role}')) for (const r of caller.roles) out.push(this.#glob(p.replace('{role}', escapeGlob(r))))
      }
    }
    return out
  }

  #glob(pattern: string): RegExp {
    let re = this.#globs.get(pattern)
    if (re === undefined) {
      re = compileSanGlob(pattern)
      this.#globs.set(pattern, re)
    }
    return re
  }
}

function escapeGlob(s: string): string {
  return s.replace(/\*/g, '')
}

function parseCsr(data: string | Uint8Array): x509.Pkcs10CertificateRequest {
  try {
    return new x509.Pkcs10CertificateRequest(toDer(data))
  } catch (err) {
    throw new TrustError(TrustErrorCodes.invalidCsr, `not a PKCS#10 certificate request: ${(err as Error).message}`, { cause: err })
  }
}

/** Returns a short key description; throws for keys the policy refuses. */
function checkKey(spki: Uint8Array): string {
  let key: ReturnType<typeof createPublicKey>
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' })
  } catch (err) {
    throw new TrustError(TrustErrorCodes.unsupportedKey, `CSR public key is not usable: ${(err as Error).message}`, { cause: err })
  }
  const type = key.asymmetricKeyType
  const details = key.asymmetricKeyDetails ?? {}
  if (type === 'ed25519') return 'ed25519'
  if (type === 'ec') {
    if (details.namedCurve === 'prime256v1') return 'ec-p256'
    if (details.namedCurve === 'secp384r1') return 'ec-p384'
    throw new TrustError(TrustErrorCodes.unsupportedKey, `EC curve ${details.namedCurve} is not allowed; use P-256 or P-384`)
  }
  if (type === 'rsa') {
    const bits = details.modulusLength ?? 0
    if (bits < 2048) throw new TrustError(TrustErrorCodes.weakKey, `RSA-${bits} is too weak; at least 2048 bits are required`)
    return 'rsa'
  }
  throw new TrustError(
    TrustErrorCodes.unsupportedKey,
    `${type ?? 'unknown'} keys are not allowed; use EC P-256/P-384, Ed25519 or RSA ≥ 2048`,
  )
}

/** Refuses CA requests; returns the requested SANs as `type:value` strings. */
function checkExtensions(csr: x509.Pkcs10CertificateRequest): string[] {
  const sans: string[] = []
  for (const ext of csr.extensions) {
    if (ext instanceof x509.BasicConstraintsExtension && ext.ca)
      throw new TrustError(TrustErrorCodes.caRequested, 'CSR asks for CA:TRUE; this CA issues leaf certificates only')
    if (ext instanceof x509.KeyUsagesExtension && (ext.usages & (x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign)) !== 0) {
      throw new TrustError(TrustErrorCodes.caRequested, 'CSR asks for keyCertSign or cRLSign')
    }
    if (ext instanceof x509.SubjectAlternativeNameExtension) {
      for (const n of ext.names.toJSON()) {
        const t = SAN_TYPES[n.type]
        if (t === undefined)
          throw new TrustError(TrustErrorCodes.sanNotAllowed, `SAN type ${n.type} is not supported; use DNS, IP, email or URI`)
        sans.push(`${t}:${n.value}`)
      }
    }
  }
  return [...new Set(sans)]
}

/**
 * What a member admitted only for renewal may ask for: a membership certificate over its own
 * libp2p key naming its own peer id, its own node name (exactly the one in the certificate it
 * proved itself with: a named member cannot drop it, an unnamed one cannot take one) and roles it
 * already holds. Anything else is `forbidden`, before the SAN rules are consulted.
 */
function checkRenewal(requested: readonly string[], keyPeerId: string | undefined, caller: Caller): void {
  const refuse = (why: string): never => {
    throw new TrustError(TrustErrorCodes.forbidden, `a member may only renew its own membership certificate: ${why}`)
  }
  if (caller.peerId === undefined) refuse('the caller has no peer id')
  if (keyPeerId !== caller.peerId) refuse("the CSR is not over the caller's own libp2p key")
  const names = requested.filter((s) => s.startsWith(`uri:${NODE_URI}`)).map((s) => s.slice(4 + NODE_URI.length))
  if (names.length > 1 || names[0] !== caller.name)
    refuse(
      caller.name === undefined ? 'the caller has no node name to renew' : `the certificate must name node ${caller.name}, and only it`,
    )
  for (const san of requested) {
    if (san === `uri:${PEER_URI}${caller.peerId}` || san.startsWith(`uri:${NODE_URI}`)) continue
    if (san.startsWith(`uri:${ROLE_URI}`) && caller.roles.includes(san.slice(4 + ROLE_URI.length))) continue
    refuse(`${san} is not part of the caller's current identity`)
  }
  if (!requested.includes(`uri:${PEER_URI}${caller.peerId}`)) refuse(`the CSR must ask for ${PEER_URI}${caller.peerId}`)
}

function checkSans(requested: string[], patterns: RegExp[], who: string): void {
  for (const san of requested) {
    if (!patterns.some((re) => re.test(san))) throw new TrustError(TrustErrorCodes.sanNotAllowed, `SAN ${san} is not permitted to ${who}`)
  }
}

function toJsonName(san: string): x509.JsonGeneralName {
  const i = san.indexOf(':')
  const type = san.slice(0, i)
  return { type: (type === 'uri' ? 'url' : type) as x509.JsonGeneralName['type'], value: san.slice(i + 1) }
}
