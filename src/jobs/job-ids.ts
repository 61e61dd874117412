/**
 * Job ids: unique across the mesh without a coordinator, and cheap, since every
 * job gets one. A random prefix per process (the first four groups of a v4 UUID,
 * 76 random bits) and a counter keep the UUID shape without a UUID per job.
 */
import { randomUUID } from 'node:crypto'

const prefix = randomUUID().slice(0, 23)
let issued = 0

export function newJobId(): string {
  issued++
  return `${prefix}-${issued.toString(16).padStart(12, '0')}`
}
