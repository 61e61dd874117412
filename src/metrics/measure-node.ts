/**
 * A node's metrics sources: everything but job counts is read from the node's parts when
 * Prometheus scrapes, so nothing is kept up to date in between.
 */
import type { Libp2p } from '@libp2p/interface'
import type { Registry } from 'prom-client'
import type { AnyCapability } from '../capability.ts'
import type { AdvertService } from '../controller/adverts.ts'
import type { Connectivity } from '../controller/connectivity.ts'
import type { MeshRegistry } from '../controller/mesh-registry.ts'
import type { Scheduler } from '../controller/scheduler.ts'
import type { JobStore } from '../jobs/job-store.ts'
import type { Membership } from '../trust/membership.ts'
import { NodeMetrics } from './node-metrics.ts'

/** The parts of a node metrics read (a CrankNode; some are made after its metrics, so read late). */
export interface MeasuredNode {
  readonly scheduler: Scheduler
  readonly mesh: MeshRegistry
  readonly libp2p: Libp2p
  readonly connectivity: Connectivity
  readonly adverts: AdvertService
  readonly membership: Membership
  readonly capabilities: AnyCapability[]
}

export function measureNode(node: MeasuredNode, registry: Registry, store?: JobStore): NodeMetrics {
  const refusals: Record<string, number> = {}
  const count = (r: { code: string }): void => {
    refusals[r.code] = (refusals[r.code] ?? 0) + 1
  }
  node.membership.on('refused', count)
  node.membership.on('removed', count)
  const metrics = new NodeMetrics(
    {
      totals: () => node.scheduler.totals(),
      queues: () => node.scheduler.loads(),
      providersByCapability: () => {
        const n = new Map<string, number>()
        for (const p of node.mesh.all()) for (const c of p.advert.capabilities ?? []) n.set(c.id ?? '', (n.get(c.id ?? '') ?? 0) + 1)
        return n
      },
      peers: () => node.libp2p.getConnections().length,
      isolated: () => node.connectivity.status().state === 'isolated',
      adverts: () => node.adverts,
      membershipRefusals: () => refusals,
      knows: (id) => node.capabilities.some((c) => c.id === id) || node.mesh.find({ id, range: '' }).length > 0,
      ...(store === undefined ? {} : { storeBytes: () => store.sizeBytes() }),
    },
    { registry },
  )
  if (store !== undefined) store.onWrite = (seconds) => metrics.storeWritten(seconds)
  return metrics
}
