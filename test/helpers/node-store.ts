import type { CrankNode } from '../../src/index.ts'
import type { JobsApi } from '../../src/jobs/jobs-api.ts'

/** The node's job store API; a node started without one fails the test here, saying so. */
export function storeOf(node: CrankNode): JobsApi {
  if (node.jobs === undefined) throw new Error(`node ${node.config.name} has no job store (no data dir or store.path)`)
  return node.jobs
}
