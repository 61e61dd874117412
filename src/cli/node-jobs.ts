/**
 * Where `crank-node jobs …` gets its JobsApi: the durable job store lives in the running node
 * (`node.jobs`), and the CLI reaches it through the control socket, whose `jobs.*` requests the
 * node forwards to it. With no node running there is nothing to ask: the store is the node's.
 */
import { connectToNode, jobsThroughNode } from '../control/control-client.ts'
import { CrankError, ErrorCodes } from '../errors.ts'
import type { JobsApi } from '../jobs/jobs-api.ts'
import { dataDirFrom } from './paths.ts'

export async function nodeJobs(opts: { dataDir?: string }): Promise<JobsApi & { close(): void }> {
  const dataDir = dataDirFrom(opts.dataDir)
  const client = await connectToNode(dataDir)
  if (client === undefined)
    throw new CrankError(
      ErrorCodes.notStarted,
      `no node running in ${dataDir}: jobs commands read its job store through it (start it with crank-node start)`,
    )
  const remote = jobsThroughNode(client)
  // The socket carries each method by name; the node checks every argument as it would a library call's.
  const api = new Proxy(remote, {
    get: (target, name) => (name === 'close' ? () => client.close() : Reflect.get(target, name)),
  })
  return api as unknown as JobsApi & { close(): void }
}
