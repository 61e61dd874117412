/**
 * The cRLNumber extension (RFC 5280 §5.2.3). @peculiar/x509 has no class for
 * it, so it is a raw Extension whose value is a DER INTEGER. Nodes use the
 * number to decide whether a CRL they are handed is newer than theirs.
 */
import { x509 } from './x509.ts'

export const CRL_NUMBER_OID = '2.5.29.20'

export function crlNumberExtension(n: number): x509.Extension {
  let hex = n.toString(16)
  if (hex.length % 2 === 1) hex = `0${hex}`
  // A leading byte ≥ 0x80 would read as negative: pad with a zero byte.
  if (Number.parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`
  const body = Buffer.from(hex, 'hex')
  const der = Buffer.concat([Buffer.from([0x02, body.length]), body])
  return new x509.Extension(CRL_NUMBER_OID, false, der)
}

/** The CRL's number, or 0 when it carries none. */
export function crlNumberOf(crl: x509.X509Crl): number {
  const ext = crl.extensions.find((e) => e.type === CRL_NUMBER_OID)
  if (ext === undefined) return 0
  const der = new Uint8Array(ext.value)
  if (der[0] !== 0x02 || der.length < 3 || der.length > 9) return 0
  let n = 0
  for (const b of der.subarray(2)) n = n * 256 + b
  return n
}
