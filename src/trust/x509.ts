/**
 * One place that loads @peculiar/x509 with what it needs: the reflect-metadata
 * polyfill (its DI container requires it) and Node's WebCrypto as provider.
 * Every trust module imports x509 from here, never from the package directly.
 */
import 'reflect-metadata'
import { createHash, randomBytes, webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'

/**
 * x509's crypto provider is a process-wide singleton that @libp2p/tls replaces
 * with @peculiar/webcrypto, whose subtle refuses Node's native CryptoKeys. So
 * every x509 call here passes Node's WebCrypto explicitly as `nodeCrypto`.
 */
export const nodeCrypto = webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.create>[1] & object

export { x509 }

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

export function ed25519Spki(raw: Uint8Array): Uint8Array {
  return Buffer.concat([ED25519_SPKI_PREFIX, raw])
}

/** The raw 32-byte key of an Ed25519 SPKI, or undefined when the SPKI is not Ed25519. */
export function ed25519RawFromSpki(spki: Uint8Array): Uint8Array | undefined {
  if (spki.length !== ED25519_SPKI_PREFIX.length + 32) return undefined
  if (!Buffer.from(spki.subarray(0, ED25519_SPKI_PREFIX.length)).equals(ED25519_SPKI_PREFIX)) return undefined
  return spki.subarray(ED25519_SPKI_PREFIX.length)
}

/** A libp2p Ed25519 private key (64 bytes: seed then public key) as a PKCS#8 DER for WebCrypto. */
export function ed25519Pkcs8(seedAndPublic: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seedAndPublic.subarray(0, 32)])
}

/**
 * A random positive 128-bit serial number as hex (126 random bits). The top bit
 * is cleared so the DER INTEGER stays positive without padding, and the next one
 * set so it always encodes as exactly 16 bytes and prints as 32 hex digits.
 */
export function randomSerial(): string {
  const b = randomBytes(16)
  b[0] = (b[0]! & 0x7f) | 0x40
  return b.toString('hex')
}

export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest()
}

export function toPem(der: Uint8Array | ArrayBuffer, tag: string): string {
  const buf = Buffer.from(der instanceof ArrayBuffer ? new Uint8Array(der) : der)
  return x509.PemConverter.encode(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), tag)
}

/** Accepts PEM text, PEM bytes or DER bytes; returns an ArrayBuffer of DER. */
export function toDer(data: string | Uint8Array): ArrayBuffer {
  const text = typeof data === 'string' ? data : looksLikePem(data) ? Buffer.from(data).toString('utf8') : undefined
  if (text !== undefined) {
    const parts = x509.PemConverter.decode(text)
    if (parts.length === 0) throw new Error('no PEM block found')
    return parts[0]!
  }
  const bytes = data as Uint8Array
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
}

function looksLikePem(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 64)).toString('latin1').includes('-----BEGIN')
}

export function bufferOf(ab: ArrayBuffer): Buffer {
  return Buffer.from(new Uint8Array(ab))
}

// The project compiles without the DOM lib: name WebCrypto's types through Node's.
export type CryptoKey = webcrypto.CryptoKey
export type CryptoKeyPair = webcrypto.CryptoKeyPair
export type WebAlgorithm = webcrypto.Algorithm | webcrypto.EcdsaParams | webcrypto.EcKeyGenParams
export const subtle: webcrypto.SubtleCrypto = webcrypto.subtle
