/**
 * What a node says about itself and its mesh, as plain JSON: the answers to the control socket's
 * `status`, `caps`, `peers` and `members`. The CLI's fallback with no node running builds the same
 * views from its own short-lived client node, so both paths print alike.
 */
import { availableParallelism, loadavg } from 'node:os'
import type { StatusFile } from '../controller/connectivity.ts'
import type { JournalEntry } from '../controller/journal.ts'
import type { Load } from '../controller/scheduler.ts'
import type { CrankNode } from '../node.ts'
import type { RenewalStatus } from '../trust/renewal.ts'

const CORES = availableParallelism()

export interface CapabilityRow {
  capability: string
  version: string
  peer: string
  name: string
  /** The node that answered serves it itself. */
  self: boolean
  health: string
  inFlight: number
  queued: number
  capacity: number
  cpu: number
  gpu: boolean
  tags: string[]
  /** How old the advert is; 0 for the node's own capabilities. */
  ageMs: number
}

/** Every capability the node knows: its own first-hand (with `self`), then what remote adverts say. */
export function capabilityRows(node: CrankNode, opts: { includeSelf: boolean }): CapabilityRow[] {
  const now = Date.now()
  const me = node.peerId.toString()
  const own: CapabilityRow[] = opts.includeSelf
    ? node.capabilities.map((c) => {
        const load = node.scheduler.load(c.key)
        return {
          capability: c.id,
          version: c.version,
          peer: me,
          name: node.config.name,
          self: true,
          health: node.scheduler.isDraining ? 'draining' : 'ok',
          inFlight: load?.inFlight ?? 0,
          queued: load?.queued ?? 0,
          capacity: load?.capacity ?? 0,
          cpu: loadavg()[0]! / CORES,
          gpu: c.resources?.gpu === true,
          tags: [...(c.tags ?? [])],
          ageMs: 0,
        }
      })
    : []
  const remote = node.mesh
    .all()
    .filter((p) => p.peer !== me)
    .flatMap((p) =>
      (p.advert.capabilities ?? []).map((c) => ({
        capability: c.id ?? '',
        version: c.version ?? '',
        peer: p.peer,
        name: p.advert.name ?? '',
        self: false,
        health: p.advert.health ?? '',
        inFlight: p.advert.load?.inFlight ?? 0,
        queued: p.advert.load?.queued ?? 0,
        capacity: p.advert.load?.capacity ?? 0,
        cpu: p.advert.load?.cpu ?? 0,
        gpu: c.gpu === true,
        tags: c.tags ?? [],
        ageMs: now - p.receivedAt,
      })),
    )
  return [...own, ...remote].sort(
    (a, b) => a.capability.localeCompare(b.capability) || Number(b.self) - Number(a.self) || a.peer.localeCompare(b.peer),
  )
}

export interface PeerRow {
  peer: string
  addr: string
  name: string
  health: string
  /** Verified mesh member (or any peer, in an open mesh). */
  member: boolean
  capabilities: string[]
}

export interface PeersView {
  connected: PeerRow[]
  knownFromAdverts: Array<{ peer: string; name: string }>
}

export function peersView(node: CrankNode): PeersView {
  const connected = node.libp2p.getConnections().map((c) => {
    const peer = c.remotePeer.toString()
    const ad = node.mesh.get(peer)?.advert
    return {
      peer,
      addr: c.remoteAddr.toString(),
      name: ad?.name ?? node.membership.identity(peer)?.name ?? '',
      health: ad?.health ?? 'unknown',
      member: node.membership.isMember(peer),
      capabilities: (ad?.capabilities ?? []).map((x) => `${x.id}@${x.version}`),
    }
  })
  const seen = new Set(connected.map((p) => p.peer))
  const knownFromAdverts = node.mesh
    .all()
    .filter((p) => !seen.has(p.peer))
    .map((p) => ({ peer: p.peer, name: p.advert.name ?? '' }))
  return { connected, knownFromAdverts }
}

export interface MemberRow {
  peer: string
  name: string
  /** Connected and verified now. */
  connected: boolean
  roles: string[]
  /** Certificate serial and expiry, known once the member has shown its certificate on a connection. */
  serial?: string
  notAfter?: number
  /** Where it listens, from the address book. */
  addrs: string[]
  /** When it was last connected and verified (address book). */
  lastSeen?: number
}

/** Members connected and verified now, then the address book's members not connected. */
export function membersView(node: CrankNode): MemberRow[] {
  const book = new Map(node.connectivity.addressBook.entries().map((e) => [e.peer, e]))
  const rows: MemberRow[] = node.membership.members().map((m) => {
    const entry = book.get(m.peerId)
    book.delete(m.peerId)
    return {
      peer: m.peerId,
      name: m.name ?? entry?.name ?? '',
      connected: true,
      roles: m.roles,
      serial: m.serial,
      notAfter: m.notAfter.getTime(),
      addrs: entry?.addrs ?? [],
      ...(entry === undefined ? {} : { lastSeen: entry.lastSeen }),
    }
  })
  for (const e of book.values())
    rows.push({ peer: e.peer, name: e.name ?? '', connected: false, roles: [], addrs: e.addrs, lastSeen: e.lastSeen })
  return rows
}

/** A job the node took from its control socket and is running. */
export interface SocketJob {
  jobId: string
  capability: string
  startedAt: number
  /** Runs on after its client left. */
  detached: boolean
  inputBytes: number
  outputBytes: number
}

/** The node's status as `<dataDir>/status.json` has it, read live (the CLI's describeNodeStatus prints both). */
export interface LiveNodeStatus extends StatusFile {
  alive: true
  certificate?: RenewalStatus
}

export interface StatusView extends LiveNodeStatus {
  addresses: string[]
  openMesh: boolean
  draining: boolean
  peers: PeerRow[]
  members: MemberRow[]
  load: { totals: Load; capabilities: Record<string, Load> }
  /** Jobs in flight that came through the control socket. */
  jobs: SocketJob[]
  /** The last jobs this node served (its journal), newest last. */
  recent: JournalEntry[]
}

/** Jobs of the journal a status shows. */
const RECENT_JOBS = 10

export function liveNodeStatus(node: CrankNode): LiveNodeStatus {
  const certificate = node.renewal?.status()
  return {
    pid: process.pid,
    name: node.config.name,
    peerId: node.peerId.toString(),
    running: true,
    alive: true,
    updatedAt: Date.now(),
    connectivity: node.connectivity.status(),
    ...(certificate === undefined ? {} : { certificate }),
  }
}

export function statusView(node: CrankNode, jobs: SocketJob[]): StatusView {
  return {
    ...liveNodeStatus(node),
    addresses: node.multiaddrs.map(String),
    openMesh: node.config.trust.openMesh,
    draining: node.scheduler.isDraining,
    peers: peersView(node).connected,
    members: membersView(node),
    load: { totals: node.scheduler.totals(), capabilities: node.scheduler.loads() },
    jobs,
    recent: node.journal.recent().slice(-RECENT_JOBS),
  }
}
