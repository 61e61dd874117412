/**
 * What the CA has issued: one JSON line per certificate in `<caDir>/issued.jsonl`
 * (mode 0600), appended before the certificate leaves the CA. It backs
 * `ca list`, refuses to revoke serials this CA never issued, and keeps node
 * names unique: a name belongs to the key it was first issued to until every
 * certificate naming it is revoked. A renewal's record names the serial it
 * `supersedes` (the same key's previous certificate); the file stays append-only,
 * so the old record is marked superseded by the new one's reference to it.
 *
 * The file is re-read on every issuance, so a `ca issue` from the CLI and a
 * running node's certificate.sign_csr on the same directory see each other.
 */
import { appendFileSync, chmodSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { TrustError, TrustErrorCodes } from './errors.ts'

export const ISSUED_FILE = 'issued.jsonl'

export interface IssuedRecord {
  serial: string
  subject: string
  /** `peer:<peer id>` for membership certificates, else `spki-sha256:<hex>`. */
  key: string
  peerId?: string
  name?: string
  roles?: string[]
  sans: string[]
  notBefore: string
  notAfter: string
  issuedAt: string
  /** Serial of the certificate this one renews (same key): that one is superseded from now on. */
  supersedes?: string
}

/** `superseded`: not revoked, not expired, but renewed; its holder presents the newer certificate. */
export type IssuedStatus = 'valid' | 'superseded' | 'expired' | 'revoked'

export function readIssued(dir: string): IssuedRecord[] {
  const file = join(dir, ISSUED_FILE)
  if (!existsSync(file)) return []
  const out: IssuedRecord[] = []
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue
    try {
      out.push(JSON.parse(line) as IssuedRecord)
    } catch {
      // a torn last line (crash mid-append) loses that one record, never the file
    }
  }
  return out
}

export function appendIssued(dir: string, record: IssuedRecord): void {
  const file = join(dir, ISSUED_FILE)
  const created = !existsSync(file)
  appendFileSync(file, `${JSON.stringify(record)}\n`, { mode: 0o600 })
  if (created) chmodSync(file, 0o600)
}

/** Throws `san_not_allowed` when `name` is held by another key through a certificate that is not revoked. */
export function checkNameFree(records: readonly IssuedRecord[], isRevoked: (serial: string) => boolean, name: string, key: string): void {
  const holder = records.find((r) => r.name === name && r.key !== key && !isRevoked(r.serial))
  if (holder !== undefined) {
    throw new TrustError(
      TrustErrorCodes.sanNotAllowed,
      `node name "${name}" is already issued to another key (certificate ${holder.serial}); revoke it first to give the name to a new key`,
    )
  }
}

/** Serial → the serial of the certificate that renewed it. */
export function supersededBy(records: readonly IssuedRecord[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const r of records) if (r.supersedes !== undefined) out.set(r.supersedes, r.serial)
  return out
}

export function statusOf(
  record: IssuedRecord,
  isRevoked: (serial: string) => boolean,
  now = Date.now(),
  superseded: ReadonlyMap<string, string> = new Map(),
): IssuedStatus {
  if (isRevoked(record.serial)) return 'revoked'
  if (new Date(record.notAfter).getTime() <= now) return 'expired'
  return superseded.has(record.serial) ? 'superseded' : 'valid'
}
