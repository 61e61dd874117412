/**
 * The node and its mesh as the gateway shows them: this node and every provider whose advert it
 * holds (what each serves, its load, health and how old its advert is), the capabilities
 * grouped with their providers, connected peers, verified members, and the node's status.
 */
import type { AnyCapability } from '../capability.ts'
import { ownLoad } from '../controller/own-advert.ts'
import type { CrankNode } from '../node.ts'

export interface MeshNodeView {
  peer: string
  name: string
  self: boolean
  health: string
  load: { inFlight: number; queued: number; capacity: number; cpu: number; memoryBytes: number }
  capabilities: string[]
  /** How long ago its advert arrived (0 for this node). */
  ageMs: number
  heartbeatMs: number
  connected: boolean
  member: boolean
}

/** Capability JSON Schemas under components.schemas are named like this (OpenAPI names allow no `@`). */
export function schemaName(cap: Pick<AnyCapability, 'id' | 'major'>, part: 'params' | 'result'): string {
  return `${cap.id}.v${cap.major}.${part}`
}

export function meshView(node: CrankNode, now = Date.now()): { self: string; nodes: MeshNodeView[] } {
  const self = node.peerId.toString()
  const connected = new Set(node.libp2p.getConnections().map((c) => c.remotePeer.toString()))
  const nodes: MeshNodeView[] = [
    {
      peer: self,
      name: node.config.name,
      self: true,
      ...ownLoad(node.scheduler),
      capabilities: node.capabilities.map((c) => `${c.id}@${c.version}`),
      ageMs: 0,
      heartbeatMs: node.config.mesh.heartbeatMs,
      connected: true,
      member: true,
    },
  ]
  for (const p of node.mesh.all()) {
    const a = p.advert
    nodes.push({
      peer: p.peer,
      name: a.name ?? '',
      self: false,
      health: a.health || 'unknown',
      load: {
        inFlight: a.load?.inFlight ?? 0,
        queued: a.load?.queued ?? 0,
        capacity: a.load?.capacity ?? 0,
        cpu: a.load?.cpu ?? 0,
        memoryBytes: Number(a.load?.memoryBytes ?? 0),
      },
      capabilities: (a.capabilities ?? []).map((c) => `${c.id}@${c.version}`),
      ageMs: Math.max(0, now - p.receivedAt),
      heartbeatMs: a.heartbeatMs || 0,
      connected: connected.has(p.peer),
      member: node.membership.isMember(p.peer),
    })
  }
  return { self, nodes }
}

/** Each capability (id and version) with every provider, this node's first; this node's also with its schemas. */
export function capabilitiesView(node: CrankNode, now = Date.now()): Array<Record<string, unknown>> {
  const byKey = new Map<string, Record<string, unknown> & { providers: Array<Record<string, unknown>> }>()
  const self = node.peerId.toString()
  const loads = node.scheduler.loads()
  for (const c of node.capabilities) {
    byKey.set(`${c.id}@${c.version}`, {
      id: c.id,
      version: c.version,
      description: c.description,
      tags: c.tags ?? [],
      gpu: c.resources?.gpu === true,
      schemas: { params: `#/components/schemas/${schemaName(c, 'params')}`, result: `#/components/schemas/${schemaName(c, 'result')}` },
      params: c.input,
      result: c.output,
      errors: c.errors ?? {},
      providers: [
        {
          peer: self,
          name: node.config.name,
          self: true,
          health: node.scheduler.isDraining ? 'draining' : 'ok',
          load: loads[c.id],
          ageMs: 0,
        },
      ],
    })
  }
  for (const p of node.mesh.all()) {
    for (const c of p.advert.capabilities ?? []) {
      const key = `${c.id}@${c.version}`
      const entry = byKey.get(key) ?? { id: c.id, version: c.version, tags: c.tags ?? [], gpu: c.gpu === true, providers: [] }
      byKey.set(key, entry)
      entry.providers.push({
        peer: p.peer,
        name: p.advert.name ?? '',
        self: false,
        health: p.advert.health || 'unknown',
        gpu: c.gpu === true,
        concurrency: c.concurrency ?? 0,
        load: {
          inFlight: p.advert.load?.inFlight ?? 0,
          queued: p.advert.load?.queued ?? 0,
          capacity: p.advert.load?.capacity ?? 0,
          cpu: p.advert.load?.cpu ?? 0,
        },
        ageMs: Math.max(0, now - p.receivedAt),
      })
    }
  }
  return [...byKey.values()].sort((a, b) => String(a.id).localeCompare(String(b.id)) || String(a.version).localeCompare(String(b.version)))
}

export function peersView(node: CrankNode): Array<Record<string, unknown>> {
  return node.libp2p.getConnections().map((c) => {
    const peer = c.remotePeer.toString()
    const ad = node.mesh.get(peer)?.advert
    const identity = node.membership.identity(peer)
    return {
      peer,
      addr: c.remoteAddr.toString(),
      direction: c.direction,
      status: c.status,
      member: node.membership.isMember(peer),
      ...(identity?.name === undefined ? {} : { certificateName: identity.name }),
      name: ad?.name ?? '',
      health: ad?.health || 'unknown',
      capabilities: (ad?.capabilities ?? []).map((x) => `${x.id}@${x.version}`),
    }
  })
}

export function membersView(node: CrankNode): Record<string, unknown> {
  return {
    openMesh: node.membership.openMesh,
    members: node.membership.members().map((m) => ({
      peerId: m.peerId,
      ...(m.name === undefined ? {} : { name: m.name }),
      roles: m.roles,
      serial: m.serial,
      notBefore: m.notBefore.toISOString(),
      notAfter: m.notAfter.toISOString(),
    })),
  }
}

/** Whether this node holds membership itself: an open mesh, or a certificate that has not expired. */
export function isMember(node: CrankNode, now = Date.now()): boolean {
  if (node.membership.openMesh) return true
  const notAfter = node.renewal?.status().notAfter
  return notAfter !== undefined && notAfter > now
}

/** What `/readyz` checks, each with whether it holds. */
export function readiness(node: CrankNode): { ready: boolean; checks: Record<string, boolean> } {
  const checks = {
    started: node.running,
    member: isMember(node),
    notIsolated: node.connectivity.status().state !== 'isolated',
  }
  return { ready: Object.values(checks).every(Boolean), checks }
}

export function statusView(node: CrankNode): Record<string, unknown> {
  return {
    peerId: node.peerId.toString(),
    name: node.config.name,
    multiaddrs: node.multiaddrs.map(String),
    running: node.running,
    draining: node.scheduler.isDraining,
    member: isMember(node),
    openMesh: node.membership.openMesh,
    connectivity: node.connectivity.status(),
    ...(node.renewal === undefined ? {} : { certificate: node.renewal.status() }),
    load: node.scheduler.totals(),
    capabilities: node.capabilities.map((c) => `${c.id}@${c.version}`),
    connections: node.libp2p.getConnections().length,
    meshProviders: node.mesh.all().length,
  }
}
