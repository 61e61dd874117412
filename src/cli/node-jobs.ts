/**
 * The hook for `crank-node jobs …`: the durable job store lives in the running node (`node.jobs`),
 * and the CLI reaches it through the control socket, whose `jobs.*` methods the node forwards to it.
 * `registerJobsCommands(program, getApi)` gets its API from here.
 */
import { connectToNode, jobsThroughNode } from '../control/control-client.ts'
import { CrankError, ErrorCodes } from '../errors.ts'

export interface NodeJobs {
  /** Every method call is `jobs.<method>(...args)` on the node; a node without a store answers `not_supported`. */
  api: Record<string, (...args: unknown[]) => Promise<unknown>>
  /** Lets go of the control connection (the process cannot exit while it is open). */
  close(): void
}

export async function nodeJobs(dataDir: string): Promise<NodeJobs> {
  const client = await connectToNode(dataDir)
  if (client === undefined)
    throw new CrankError(ErrorCodes.notStarted, `no node running in ${dataDir}: jobs commands need it (start it with crank-node start)`)
  return { api: jobsThroughNode(client), close: () => client.close() }
}
