/**
 * TLS certificates from the mesh CA for what is not a libp2p node: the HTTP gateway's server
 * certificate, and client certificates for callers of it (mTLS). The key pair is made here
 * (ECDSA P-256) and only its public half reaches the CA; the private key is written by the
 * caller, mode 0600. Names go through the CA's own naming rules (private addresses, names
 * under its suffixes), as for a CSR signed by certificate.sign_csr.
 */
import { generateKeyPairSync } from 'node:crypto'
import type { IssuedCertificate, MeshCA } from './ca.ts'
import { TrustError, TrustErrorCodes } from './errors.ts'
import { x509 } from './x509.ts'

export interface TlsCertificateRequest {
  /** The certificate's common name: who the client is, as the gateway reports it. */
  name: string
  /** `server`: EKU serverAuth, for the gateway; `client`: EKU clientAuth, for a caller of it. */
  usage: 'server' | 'client'
  dns?: readonly string[]
  ip?: readonly string[]
  /** Default 90; a fraction of a day is allowed (short-lived client certificates). */
  validityDays?: number
}

export interface TlsCertificate extends IssuedCertificate {
  /** PKCS#8 PEM of the private key. */
  keyPem: string
  /** The CA's certificate, for the other side's trust (`--cacert` for curl). */
  caPem: string
}

const DEFAULT_VALIDITY_DAYS = 90
const MAX_VALIDITY_DAYS = 825

export async function issueTlsCertificate(ca: MeshCA, req: TlsCertificateRequest): Promise<TlsCertificate> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$/.test(req.name))
    throw new TrustError(TrustErrorCodes.sanNotAllowed, `name ${JSON.stringify(req.name)}: 1–64 letters, digits, dots, dashes, spaces`)
  const days = req.validityDays ?? DEFAULT_VALIDITY_DAYS
  if (!(days > 0 && days <= MAX_VALIDITY_DAYS))
    throw new TrustError(TrustErrorCodes.invalidCertificate, `validity of ${days} days: more than 0, at most ${MAX_VALIDITY_DAYS}`)
  const sans: x509.JsonGeneralNames = [
    ...(req.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(req.ip ?? []).map((value) => ({ type: 'ip' as const, value })),
  ]
  if (req.usage === 'server' && sans.length === 0)
    throw new TrustError(TrustErrorCodes.sanNotAllowed, 'a server certificate needs the names clients reach it by (--dns or --ip)')
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const issued = await ca.issue({
    publicKey: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    subject: `CN=${req.name}`,
    sans,
    extendedKeyUsages: [req.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth],
    keyUsages: x509.KeyUsageFlags.digitalSignature,
    notAfter: new Date(Date.now() + days * 86_400_000),
  })
  return { ...issued, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), caPem: ca.certificatePem }
}
