/**
 * The trust commands behind `crank-node ca init|issue|token|revoke` and
 * `crank-node join`. Plain async functions: options in, result out, nothing
 * printed; the CLI formats results and maps TrustError codes to exit messages.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join as joinPath } from 'node:path'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { AuditLog } from './audit-log.ts'
import { type CaAlgorithm, crlPem, type IssuedEntry, MeshCA } from './ca.ts'
import { TrustError, TrustErrorCodes } from './errors.ts'
import { writeFileAtomic } from './files.ts'
import { JoinTokens, parseJoinToken } from './join-tokens.ts'
import { createMembershipCsr } from './node-csr.ts'
import { TrustStore } from './trust-store.ts'
import { sha256, toDer, type x509 } from './x509.ts'

/** Files a node keeps in its data dir once it is a member. */
export const NODE_TRUST_FILES = { ca: 'ca.crt', certificate: 'membership.crt', crl: 'crl.pem' } as const

const AUDIT_FILE = 'audit.jsonl'

export interface CaInitResult {
  dir: string
  algorithm: CaAlgorithm
  fingerprint: string
  certificatePem: string
  keyPath: string
  certificatePath: string
  crlPath: string
}

export async function caInit(opts: {
  dir: string
  name?: string
  algorithm?: CaAlgorithm
  validityDays?: number
  force?: boolean
  /** Domain suffixes certificates may name (default: private-use names only, see ca-names.ts). */
  nameSuffixes?: string[]
}): Promise<CaInitResult> {
  const { nameSuffixes, ...rest } = opts
  const ca = await MeshCA.init({ ...rest, ...(nameSuffixes === undefined ? {} : { naming: { nameSuffixes } }) })
  return {
    dir: ca.dir,
    algorithm: ca.algorithm,
    fingerprint: ca.fingerprint,
    certificatePem: ca.certificatePem,
    keyPath: joinPath(ca.dir, 'ca.key'),
    certificatePath: joinPath(ca.dir, 'ca.crt'),
    crlPath: ca.crlPath,
  }
}

export interface CaIssueResult {
  peerId: string
  serial: string
  notAfter: string
  certificatePem: string
  caCertificatePem: string
  /** Where the certificate was written, when `out` was given. */
  path?: string
}

/** Issues a membership certificate for a peer id (its Ed25519 key is embedded in the id). */
export async function caIssue(opts: {
  dir: string
  peerId: string
  name?: string
  roles?: string[]
  validityDays?: number
  out?: string
}): Promise<CaIssueResult> {
  const ca = await MeshCA.load(opts.dir)
  const issued = await ca.issueMembership({
    peerId: opts.peerId,
    ...(opts.name === undefined ? {} : { name: opts.name }),
    ...(opts.roles === undefined ? {} : { roles: opts.roles }),
    ...(opts.validityDays === undefined ? {} : { validityDays: opts.validityDays }),
  })
  const audit = new AuditLog(joinPath(opts.dir, AUDIT_FILE))
  audit.write({
    event: 'certificate.issued',
    caller: 'cli',
    decision: 'allow',
    reason: 'ca issue',
    serial: issued.serial,
    peer: opts.peerId,
    name: opts.name,
    roles: opts.roles ?? [],
    not_after: issued.notAfter.toISOString(),
  })
  audit.close()
  if (opts.out !== undefined) writeFileAtomic(opts.out, issued.pem, 0o644)
  return {
    peerId: opts.peerId,
    serial: issued.serial,
    notAfter: issued.notAfter.toISOString(),
    certificatePem: issued.pem,
    caCertificatePem: ca.certificatePem,
    ...(opts.out === undefined ? {} : { path: opts.out }),
  }
}

export interface CaTokenResult {
  token: string
  id: string
  /** The node name the token grants (generated when none was asked for). */
  name: string
  expiresAt: string
}

/** Makes a one-time join token. `ttlMs` defaults to one hour. */
export async function caToken(opts: { dir: string; ttlMs?: number; name?: string; roles?: string[] }): Promise<CaTokenResult> {
  const ca = await MeshCA.load(opts.dir)
  const t = new JoinTokens(joinPath(opts.dir, 'tokens.json')).create({
    ttlMs: opts.ttlMs ?? 3_600_000,
    caFingerprint: ca.fingerprint,
    ...(opts.name === undefined ? {} : { name: opts.name }),
    ...(opts.roles === undefined ? {} : { roles: opts.roles }),
  })
  const audit = new AuditLog(joinPath(opts.dir, AUDIT_FILE))
  audit.write({
    event: 'token.created',
    caller: 'cli',
    token_id: t.id,
    name: t.name,
    roles: opts.roles ?? [],
    expires_at: t.expiresAt.toISOString(),
  })
  audit.close()
  return { token: t.token, id: t.id, name: t.name, expiresAt: t.expiresAt.toISOString() }
}

export interface CaRevokeResult {
  serial: string
  crlNumber: number
  revoked: string[]
  crlPem: string
  crlPath: string
}

/** Revokes a certificate by serial and writes the new signed CRL; hand `crlPem` to a node's `Membership.updateCrl`. */
export async function caRevoke(opts: {
  dir: string
  serial: string
  reason?: x509.X509CrlReason
  /** Revoke a serial the CA has no record of (certificates issued before it kept issued.jsonl). */
  unlisted?: boolean
}): Promise<CaRevokeResult> {
  const ca = await MeshCA.load(opts.dir)
  const crl = await ca.revoke(opts.serial, opts.reason, { unlisted: opts.unlisted === true })
  const audit = new AuditLog(joinPath(opts.dir, AUDIT_FILE))
  audit.write({ event: 'certificate.revoked', caller: 'cli', serial: opts.serial })
  audit.close()
  const trust = await TrustStore.create(ca.certificatePem, crlPem(crl))
  return {
    serial: opts.serial,
    crlNumber: trust.crlNumber,
    revoked: ca.revoked.map((r) => r.serial),
    crlPem: crlPem(crl),
    crlPath: ca.crlPath,
  }
}

/** Every certificate the CA issued, oldest first, with its status now (valid, expired, revoked). */
export async function caList(opts: { dir: string }): Promise<IssuedEntry[]> {
  return (await MeshCA.load(opts.dir)).issued()
}

/** What `certificate.sign_csr` returns, as far as join needs it. */
export interface SignCsrReply {
  certificate_pem: string
  ca_certificate_pem: string
  serial: string
  not_after: string
}

export interface JoinOptions {
  /** This node's libp2p identity key (Ed25519). */
  privateKey: PrivateKey
  token: string
  name?: string
  roles?: string[]
  /** Data dir to write ca.crt and membership.crt into. */
  dataDir: string
  /**
   * Runs certificate.sign_csr on the bootstrap peer and returns its result:
   * the CLI dials `--bootstrap` and does
   * `node.submit({ capability: 'certificate.sign_csr', params, route: bootstrapPeerId }).result`.
   */
  submit: (params: { csr: string; certificate_type: 'client'; join_token: string }) => Promise<SignCsrReply>
}

export interface JoinResult {
  peerId: string
  serial: string
  notAfter: string
  certificatePem: string
  caCertificatePem: string
  certificatePath: string
  caPath: string
}

/**
 * Enrols this node: builds a CSR with its libp2p key, has the mesh sign it with
 * the join token, checks the CA it got back against the fingerprint in the
 * token and the certificate against its own key, and saves both.
 */
export async function join(opts: JoinOptions): Promise<JoinResult> {
  const parsed = parseJoinToken(opts.token)
  const peerId = peerIdFromPrivateKey(opts.privateKey).toString()
  const csr = await createMembershipCsr(opts.privateKey, {
    ...(opts.name === undefined ? {} : { name: opts.name }),
    roles: opts.roles ?? [],
  })
  const reply = await opts.submit({ csr, certificate_type: 'client', join_token: opts.token })
  const caDer = new Uint8Array(toDer(reply.ca_certificate_pem))
  if (sha256(caDer).toString('hex') !== parsed.caFingerprint) {
    throw new TrustError(TrustErrorCodes.untrusted, 'the CA certificate the mesh returned does not match the fingerprint in the join token')
  }
  const trust = await TrustStore.create(reply.ca_certificate_pem)
  await trust.verify(reply.certificate_pem, { publicKey: opts.privateKey.publicKey.raw, peerId })
  const certificatePath = joinPath(opts.dataDir, NODE_TRUST_FILES.certificate)
  const caPath = joinPath(opts.dataDir, NODE_TRUST_FILES.ca)
  writeFileAtomic(caPath, reply.ca_certificate_pem, 0o644)
  writeFileAtomic(certificatePath, reply.certificate_pem, 0o644)
  return {
    peerId,
    serial: reply.serial,
    notAfter: reply.not_after,
    certificatePem: reply.certificate_pem,
    caCertificatePem: reply.ca_certificate_pem,
    certificatePath,
    caPath,
  }
}

export interface NodeTrust {
  trust: TrustStore
  /** PEM of this node's membership certificate, when it has one. */
  certificate?: string
}

/**
 * What a node loads at start: the mesh CA from `<dataDir>/ca.crt` (or `caPath`),
 * its certificate and the newest CRL if present. Undefined when the node has no
 * CA file (it is not part of a mesh yet; the node then refuses to start unless openMesh).
 */
export async function loadNodeTrust(dataDir: string, caPath = joinPath(dataDir, NODE_TRUST_FILES.ca)): Promise<NodeTrust | undefined> {
  if (!existsSync(caPath)) return undefined
  const crlPath = joinPath(dataDir, NODE_TRUST_FILES.crl)
  const trust = await TrustStore.create(readFileSync(caPath, 'utf8'), existsSync(crlPath) ? readFileSync(crlPath, 'utf8') : undefined)
  const certPath = joinPath(dataDir, NODE_TRUST_FILES.certificate)
  return existsSync(certPath) ? { trust, certificate: readFileSync(certPath, 'utf8') } : { trust }
}

/** Saves a CRL a node received, so it survives restarts. */
export function saveNodeCrl(dataDir: string, trust: TrustStore): void {
  if (trust.crl !== undefined) writeFileAtomic(joinPath(dataDir, NODE_TRUST_FILES.crl), crlPem(trust.crl), 0o644)
}
