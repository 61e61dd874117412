/** The trust layer's public surface: what the node, the CLI and certificate.sign_csr use. */
export {
  AccessPolicy,
  type AllowSpec,
  type CheckHints,
  type PolicyDecision,
  type PolicyFile,
  type PolicyRule,
  SIGN_CSR_CAPABILITY,
} from './access-policy.ts'
export { type AuditCaller, type AuditDecision, AuditLog, type AuditRecord } from './audit-log.ts'
export { type CaAlgorithm, type IssuedCertificate, MeshCA, normaliseSerial } from './ca.ts'
export { anonymousCaller, type Caller, localCaller } from './caller.ts'
export {
  type CertificateType,
  type CsrPolicyOptions,
  CsrSigner,
  DEFAULT_SAN_RULES,
  type SanRule,
  type SignCsrRequest,
  type SignCsrResult,
} from './csr-signer.ts'
export { TrustError, type TrustErrorCode, TrustErrorCodes } from './errors.ts'
export { type MemberIdentity, membershipSans } from './identity.ts'
export { JoinTokens, parseJoinToken, type TokenGrant } from './join-tokens.ts'
export {
  CertificateRenewal,
  type CertificateRenewalComponents,
  type CertificateRenewalEvents,
  type CertificateRenewalInit,
  type RenewalStatus,
} from './renewal.ts'
export { TrustStore, type VerifyOptions } from './trust-store.ts'
