/**
 * What this node says about itself in each advert: its name, health, load from
 * its real figures, dialable addresses and the capabilities it serves.
 */
import { availableParallelism, loadavg } from 'node:os'
import type { Libp2p } from '@libp2p/interface'
import type { AdvertBody } from './adverts.ts'
import { type CapabilityRegistry, concurrencyOf } from './registry.ts'
import type { Scheduler } from './scheduler.ts'

const CORES = availableParallelism()

/** This node's health and load as its adverts state them (and the gateway shows them). */
export function ownLoad(scheduler: Scheduler): {
  health: 'draining' | 'ok'
  load: { inFlight: number; queued: number; capacity: number; cpu: number; memoryBytes: number }
} {
  const load = scheduler.totals()
  return {
    health: scheduler.isDraining ? 'draining' : 'ok',
    load: {
      inFlight: load.inFlight,
      queued: load.queued,
      capacity: load.capacity,
      cpu: loadavg()[0]! / CORES,
      memoryBytes: process.memoryUsage.rss(),
    },
  }
}

export function ownAdvert(name: string, libp2p: Libp2p, registry: CapabilityRegistry, scheduler: Scheduler): AdvertBody {
  return {
    name,
    ...ownLoad(scheduler),
    addrs: libp2p.getMultiaddrs().map((ma) => ma.bytes),
    capabilities: registry.list().map((c) => ({
      id: c.id,
      version: c.version,
      tags: c.tags ?? [],
      gpu: c.resources?.gpu === true,
      concurrency: concurrencyOf(c),
    })),
  }
}
