/**
 * What a running node says about itself in `<dataDir>/status.json` (written by its
 * Connectivity component) and `<dataDir>/renewal.json` (its membership certificate, written by
 * its CertificateRenewal), read back for `crank-node status` and `peers`.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { StatusFile } from '../controller/connectivity.ts'
import type { RenewalStatus } from '../trust/renewal.ts'

export interface NodeStatus extends StatusFile {
  /** The process that wrote it is alive and said it was running. */
  alive: boolean
  /** The membership certificate and its renewal; absent when the node never wrote renewal.json. */
  certificate?: RenewalStatus
}

/** The data dir's status file, or undefined when there is none (or it is unreadable). */
export async function readNodeStatus(dataDir: string): Promise<NodeStatus | undefined> {
  // The modules that own the file names load libp2p: only this path (no node answering) pays for them.
  const { STATUS_FILE } = await import('../controller/connectivity.ts')
  let status: StatusFile
  try {
    status = JSON.parse(await readFile(join(dataDir, STATUS_FILE), 'utf8')) as StatusFile
  } catch {
    return undefined
  }
  if (typeof status !== 'object' || status === null || typeof status.connectivity !== 'object') return undefined
  const certificate = await readRenewal(dataDir)
  return { ...status, alive: status.running && processAlive(status.pid), ...(certificate === undefined ? {} : { certificate }) }
}

async function readRenewal(dataDir: string): Promise<RenewalStatus | undefined> {
  const { RENEWAL_FILE } = await import('../trust/renewal.ts')
  try {
    const r = JSON.parse(await readFile(join(dataDir, RENEWAL_FILE), 'utf8')) as RenewalStatus
    return typeof r === 'object' && r !== null && typeof r.state === 'string' ? r : undefined
  } catch {
    return undefined
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists, it is someone else's.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** A few human lines: is the node up, is it in its mesh, and what it is doing about it. */
export function describeNodeStatus(s: NodeStatus, now = Date.now()): string[] {
  const c = s.connectivity
  const who = `node ${s.name} (…${s.peerId.slice(-10)}), pid ${s.pid}`
  if (!s.alive)
    return [
      `${who}: not running (last status ${ago(now - s.updatedAt)} ago: ${c.state})`,
      ...describeCertificate(s.certificate, false, now),
    ]
  const since = `${c.state === 'isolated' ? 'ISOLATED' : 'joined'} for ${ago(now - c.since)}`
  const lines = [`${who}: running, ${since}: ${c.members} member(s) connected (mesh.minPeers ${c.minPeers})`]
  if (c.members < c.minPeers) {
    const next = c.nextDialAt === undefined ? '' : `; next redial in ${ago(Math.max(0, c.nextDialAt - now))}`
    lines.push(
      c.disconnectedTargets === 0
        ? `  below minPeers, nothing more to dial (bootstrap peers: ${c.bootstrap}, address book: ${c.knownMembers})`
        : `  redialling ${c.disconnectedTargets} bootstrap peer(s) and known member(s) not connected${next}`,
    )
  }
  lines.push(...describeCertificate(s.certificate, true, now))
  return lines
}

/** Expiry, next renewal and the last renewal error. A stopped node renews nothing, so only the expiry is said then. */
function describeCertificate(r: RenewalStatus | undefined, running: boolean, now: number): string[] {
  if (r === undefined) return []
  const lines = [r.notAfter === undefined ? '  certificate: none to renew' : certificateLine(r, r.notAfter, running, now)]
  const e = r.lastError
  if (e !== undefined) {
    const since = r.lastRenewedAt !== undefined && r.lastRenewedAt > e.at ? ', renewed since' : ''
    const streak = r.failures > 0 ? `, ${r.failures} failed attempt(s) in a row` : ''
    lines.push(`  last renewal error ${ago(now - e.at)} ago${streak}${since}: ${e.code}: ${e.message}`)
  }
  return lines
}

function certificateLine(r: RenewalStatus, notAfter: number, running: boolean, now: number): string {
  const left = notAfter - now
  const expiry = left > 0 ? `expires in ${ago(left)}` : `EXPIRED ${ago(-left)} ago`
  const line = `  certificate ${r.serial ?? '?'}${r.name === undefined ? '' : ` (${r.name})`}: ${expiry} (${new Date(notAfter).toISOString()})`
  if (!running) return line
  if (r.state === 'renewing') return `${line}; renewing now`
  if (r.nextRenewalAt !== undefined)
    return `${line}; ${r.state === 'retrying' ? 'next renewal attempt' : 'renews'} in ${ago(Math.max(0, r.nextRenewalAt - now))}`
  if (r.state === 'expired') return `${line}; not renewed: enrol again (ca token + join, or ca issue)`
  return line
}

export function ago(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`
  if (ms < 172_800_000) return `${(ms / 3_600_000).toFixed(1)} h`
  return `${(ms / 86_400_000).toFixed(1)} d`
}
