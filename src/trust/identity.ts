/**
 * How a membership certificate names a node. Everything lives in URI
 * subjectAltNames so that any X.509 tool shows it and no custom ASN.1 is needed:
 *
 *   crank:peer:<peerId>   exactly one: the libp2p peer id the certificate binds
 *   crank:node:<name>     at most one: the node's human name
 *   crank:role:<role>     zero or more: roles the access policy matches on
 *
 * The subject is `CN=<name or peer id>` for display only; nothing trusts it.
 */
import { TrustError, TrustErrorCodes } from './errors.ts'
import type { x509 } from './x509.ts'

export const PEER_URI = 'crank:peer:'
export const NODE_URI = 'crank:node:'
export const ROLE_URI = 'crank:role:'

/** Names and roles: lowercase words, digits, `.`, `_`, `-`; 1–63 characters. */
const LABEL = /^[a-z0-9][a-z0-9._-]{0,62}$/

export interface MemberIdentity {
  peerId: string
  name?: string
  roles: string[]
  /** Certificate serial (hex), to match against CRLs and audit lines. */
  serial: string
  notBefore: Date
  notAfter: Date
}

export type GeneralNameJson = x509.JsonGeneralName

export function assertLabel(kind: 'name' | 'role', value: string): void {
  if (!LABEL.test(value)) {
    throw new TrustError(TrustErrorCodes.sanNotAllowed, `${kind} "${value}" must match ${LABEL.source}`)
  }
}

/** The SAN entries of a membership certificate, in @peculiar/x509's JSON form. */
export function membershipSans(peerId: string, name: string | undefined, roles: readonly string[]): GeneralNameJson[] {
  const out: GeneralNameJson[] = [{ type: 'url', value: PEER_URI + peerId }]
  if (name !== undefined) {
    assertLabel('name', name)
    out.push({ type: 'url', value: NODE_URI + name })
  }
  for (const role of new Set(roles)) {
    assertLabel('role', role)
    out.push({ type: 'url', value: ROLE_URI + role })
  }
  return out
}

/** Reads the crank identity out of SAN entries; throws when there is no single peer URI. */
export function identityFromSans(sans: readonly GeneralNameJson[]): { peerId: string; name?: string; roles: string[] } {
  let peerId: string | undefined
  let name: string | undefined
  const roles: string[] = []
  for (const { type, value } of sans) {
    if (type !== 'url') continue
    if (value.startsWith(PEER_URI)) {
      if (peerId !== undefined) throw new TrustError(TrustErrorCodes.notMembershipCertificate, 'certificate names more than one peer')
      peerId = value.slice(PEER_URI.length)
    } else if (value.startsWith(NODE_URI)) {
      name = value.slice(NODE_URI.length)
    } else if (value.startsWith(ROLE_URI)) {
      roles.push(value.slice(ROLE_URI.length))
    }
  }
  if (peerId === undefined) throw new TrustError(TrustErrorCodes.notMembershipCertificate, 'certificate has no crank:peer: URI SAN')
  return name === undefined ? { peerId, roles } : { peerId, name, roles }
}
