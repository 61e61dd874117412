/**
 * The CA's naming policy: which names any certificate of this CA may carry,
 * whoever asks (the SAN rules of certificate.sign_csr say who may ask for
 * what; this says what the CA will sign at all, admins included).
 *
 * - DNS names, email domains and the host of a non-crank URI must lie under one
 *   of `nameSuffixes`. The default holds only names reserved for private use
 *   (`internal`, `local`, `home.arpa`), so no certificate of a default CA can
 *   claim a public name such as `www.google.com`.
 * - IP addresses must be private, loopback, link-local or unique-local.
 * - `crank:` URIs are the mesh's own identities (identity.ts checks their form).
 * - At most `maxSans` names per certificate.
 *
 * Kept in `<caDir>/naming.json` (written at `ca init`); edit it to widen or
 * narrow the suffixes. A CA directory without it gets the defaults.
 */
import { existsSync, readFileSync } from 'node:fs'
import { BlockList, isIP } from 'node:net'
import { join } from 'node:path'
import { TrustError, TrustErrorCodes } from './errors.ts'
import { writeFileAtomic } from './files.ts'

export interface CaNaming {
  /** Domain suffixes names must lie under (a suffix itself is allowed too). Default `["internal", "local", "home.arpa"]`. */
  nameSuffixes: string[]
  /** Most subjectAltNames in one certificate. Default 16. */
  maxSans: number
  /** A node name (`crank:node:<name>`) is held by one key until every certificate naming it is revoked. Default true. */
  uniqueNames: boolean
}

export const DEFAULT_CA_NAMING: CaNaming = { nameSuffixes: ['internal', 'local', 'home.arpa'], maxSans: 16, uniqueNames: true }

export const NAMING_FILE = 'naming.json'

const PRIVATE_IPS = new BlockList()
PRIVATE_IPS.addSubnet('10.0.0.0', 8, 'ipv4')
PRIVATE_IPS.addSubnet('172.16.0.0', 12, 'ipv4')
PRIVATE_IPS.addSubnet('192.168.0.0', 16, 'ipv4')
PRIVATE_IPS.addSubnet('127.0.0.0', 8, 'ipv4')
PRIVATE_IPS.addSubnet('169.254.0.0', 16, 'ipv4')
PRIVATE_IPS.addSubnet('100.64.0.0', 10, 'ipv4') // carrier-grade NAT, also tailnets
PRIVATE_IPS.addAddress('::1', 'ipv6')
PRIVATE_IPS.addSubnet('fc00::', 7, 'ipv6')
PRIVATE_IPS.addSubnet('fe80::', 10, 'ipv6')

export function loadCaNaming(dir: string): CaNaming {
  const file = join(dir, NAMING_FILE)
  if (!existsSync(file)) return { ...DEFAULT_CA_NAMING }
  let raw: Partial<CaNaming>
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<CaNaming>
  } catch (err) {
    throw new TrustError(TrustErrorCodes.caUnavailable, `${file} is not JSON: ${(err as Error).message}`)
  }
  return normaliseNaming(raw, file)
}

export function saveCaNaming(dir: string, naming: CaNaming): void {
  writeFileAtomic(join(dir, NAMING_FILE), `${JSON.stringify(naming, null, 2)}\n`, 0o644)
}

export function normaliseNaming(raw: Partial<CaNaming>, where = 'naming policy'): CaNaming {
  const suffixes = raw.nameSuffixes ?? DEFAULT_CA_NAMING.nameSuffixes
  if (!Array.isArray(suffixes) || suffixes.length === 0 || !suffixes.every((s) => typeof s === 'string' && isDnsName(trimDot(s)))) {
    throw new TrustError(TrustErrorCodes.caUnavailable, `${where}: nameSuffixes must be a non-empty list of domain names`)
  }
  const maxSans = raw.maxSans ?? DEFAULT_CA_NAMING.maxSans
  if (!Number.isInteger(maxSans) || maxSans < 1 || maxSans > 1000)
    throw new TrustError(TrustErrorCodes.caUnavailable, `${where}: maxSans must be a whole number from 1 to 1000`)
  return {
    nameSuffixes: suffixes.map((s) => trimDot(s).toLowerCase()),
    maxSans,
    uniqueNames: raw.uniqueNames ?? DEFAULT_CA_NAMING.uniqueNames,
  }
}

/** Throws `san_not_allowed` unless every SAN (`dns:…`, `ip:…`, `email:…`, `uri:…`) is one this CA may sign. */
export function checkCaNames(sans: readonly string[], naming: CaNaming): void {
  if (sans.length > naming.maxSans) {
    throw new TrustError(TrustErrorCodes.sanNotAllowed, `${sans.length} subjectAltNames asked for; this CA signs at most ${naming.maxSans}`)
  }
  for (const san of sans) {
    const i = san.indexOf(':')
    const type = san.slice(0, i)
    const value = san.slice(i + 1)
    const ok =
      type === 'dns'
        ? dnsAllowed(value, naming)
        : type === 'email'
          ? underSuffix(value.slice(value.lastIndexOf('@') + 1), naming)
          : type === 'ip'
            ? ipAllowed(value)
            : type === 'uri'
              ? uriAllowed(value, naming)
              : false
    if (!ok) {
      throw new TrustError(
        TrustErrorCodes.sanNotAllowed,
        `SAN ${san} is outside this CA's names (${type === 'ip' ? 'private addresses only' : `under ${naming.nameSuffixes.join(', ')}`})`,
      )
    }
  }
}

function dnsAllowed(name: string, naming: CaNaming): boolean {
  // A wildcard covers one label under a name that is itself inside the CA's names, never a suffix itself.
  if (name.startsWith('*.')) {
    const rest = name.slice(2).toLowerCase()
    return underSuffix(rest, naming) && !naming.nameSuffixes.includes(rest)
  }
  return underSuffix(name, naming)
}

function underSuffix(name: string, naming: CaNaming): boolean {
  const n = name.toLowerCase()
  if (!isDnsName(n)) return false
  return naming.nameSuffixes.some((s) => n === s || n.endsWith(`.${s}`))
}

function ipAllowed(value: string): boolean {
  const family = isIP(value)
  if (family === 0) return false
  return PRIVATE_IPS.check(value, family === 4 ? 'ipv4' : 'ipv6')
}

function uriAllowed(value: string, naming: CaNaming): boolean {
  if (value.startsWith('crank:')) return true
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  return url.hostname !== '' && underSuffix(url.hostname, naming)
}

function isDnsName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(l))
}

function trimDot(s: string): string {
  return s.replace(/^\.+/, '')
}
