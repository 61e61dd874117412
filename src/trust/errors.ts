/**
 * Typed errors of the trust layer. Each carries a stable `code` so the CLI,
 * the job protocol and `certificate.sign_csr` can report it without parsing text.
 */
import { CrankError } from '../errors.ts'

export const TrustErrorCodes = {
  /** CSR bytes do not parse as PKCS#10 (PEM or DER). */
  invalidCsr: 'invalid_csr',
  /** The CSR's self-signature does not verify. */
  badSignature: 'bad_signature',
  /** RSA under 2048 bits. */
  weakKey: 'weak_key',
  /** A key type the policy does not allow (DSA, EC P-521, secp256k1, Ed448…). */
  unsupportedKey: 'unsupported_key',
  /** The CSR asks for CA:TRUE, keyCertSign or cRLSign. */
  caRequested: 'ca_requested',
  /** A requested subjectAltName is not permitted to the caller (or the CSR has none). */
  sanNotAllowed: 'san_not_allowed',
  /** The caller may not use this capability or operation. */
  forbidden: 'forbidden',
  /** The join token is unknown, already used, or malformed. */
  invalidToken: 'invalid_token',
  /** The join token's lifetime is over. */
  tokenExpired: 'token_expired',
  /** A certificate does not parse. */
  invalidCertificate: 'invalid_certificate',
  /** A certificate is not signed by the mesh CA. */
  untrusted: 'untrusted_certificate',
  /** A certificate is outside its validity dates. */
  certificateExpired: 'certificate_expired',
  certificateNotYetValid: 'certificate_not_yet_valid',
  /** A certificate's serial is on the CRL. */
  certificateRevoked: 'certificate_revoked',
  /** A certificate's key is not the connection's libp2p key, or its peer id SAN names another peer. */
  keyMismatch: 'key_mismatch',
  /** A certificate carries no crank:peer SAN (not a membership certificate). */
  notMembershipCertificate: 'not_membership_certificate',
  /** A CRL does not parse or is not signed by the mesh CA. */
  invalidCrl: 'invalid_crl',
  /** A peer has no verified membership. */
  notMember: 'not_member',
  /** CA files are missing, unreadable, or would be overwritten. */
  caUnavailable: 'ca_unavailable',
  /** The policy file is malformed. */
  invalidPolicy: 'invalid_policy',
  /** A serial this CA has no record of issuing. */
  unknownSerial: 'unknown_serial',
} as const

export type TrustErrorCode = (typeof TrustErrorCodes)[keyof typeof TrustErrorCodes]

export class TrustError extends CrankError {
  override name = 'TrustError'
  declare readonly code: TrustErrorCode

  constructor(code: TrustErrorCode, message: string, opts: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(code, message, { retryable: false, ...opts })
  }
}
