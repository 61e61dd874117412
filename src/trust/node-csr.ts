/**
 * A node's own CSR, signed with its libp2p Ed25519 identity key, asking for a
 * membership certificate (crank:peer / crank:node / crank:role URI SANs).
 * Used by `crank-node join`.
 */
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { TrustError, TrustErrorCodes } from './errors.ts'
import { membershipSans } from './identity.ts'
import { type CryptoKey, ed25519Pkcs8, nodeCrypto, subtle, x509 } from './x509.ts'

export interface MembershipCsrOptions {
  name?: string
  roles?: readonly string[]
  /** Name another peer than the key's own (only tests of refusal want this). */
  peerId?: string
}

/** The libp2p Ed25519 private key as a WebCrypto key pair. */
export async function webCryptoKeysOf(key: PrivateKey): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> {
  if (key.type !== 'Ed25519')
    throw new TrustError(TrustErrorCodes.unsupportedKey, `membership needs an Ed25519 libp2p key, not ${key.type}`)
  const privateKey = await subtle.importKey('pkcs8', ed25519Pkcs8(key.raw), { name: 'Ed25519' }, false, ['sign'])
  const publicKey = await subtle.importKey('raw', key.publicKey.raw, { name: 'Ed25519' }, true, ['verify'])
  return { privateKey, publicKey }
}

export async function createMembershipCsr(key: PrivateKey, opts: MembershipCsrOptions = {}): Promise<string> {
  const peerId = opts.peerId ?? peerIdFromPrivateKey(key).toString()
  const keys = await webCryptoKeysOf(key)
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name: `CN=${opts.name ?? peerId}`,
      keys,
      signingAlgorithm: { name: 'Ed25519' },
      extensions: [new x509.SubjectAlternativeNameExtension(membershipSans(peerId, opts.name, opts.roles ?? []))],
    },
    nodeCrypto,
  )
  return csr.toString('pem')
}
