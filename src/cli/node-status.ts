/**
 * What a running node says about itself in `<dataDir>/status.json` (written by its
 * Connectivity component), read back for `crank-node status` and `peers`.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { STATUS_FILE, type StatusFile } from '../controller/connectivity.ts'

export interface NodeStatus extends StatusFile {
  /** The process that wrote it is alive and said it was running. */
  alive: boolean
}

/** The data dir's status file, or undefined when there is none (or it is unreadable). */
export async function readNodeStatus(dataDir: string): Promise<NodeStatus | undefined> {
  let status: StatusFile
  try {
    status = JSON.parse(await readFile(join(dataDir, STATUS_FILE), 'utf8')) as StatusFile
  } catch {
    return undefined
  }
  if (typeof status !== 'object' || status === null || typeof status.connectivity !== 'object') return undefined
  return { ...status, alive: status.running && processAlive(status.pid) }
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
  if (!s.alive) return [`${who}: not running (last status ${ago(now - s.updatedAt)} ago: ${c.state})`]
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
  return lines
}

function ago(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`
  return `${(ms / 3_600_000).toFixed(1)} h`
}
