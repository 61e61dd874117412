/**
 * Both ends of /crank/job/1.0.0 and /crank/job-lane/1.0.0 for one node, sized from its jobs config: the server that runs
 * callers' jobs, with the frame budget that bounds what peers make it hold, and the client that
 * sends this node's jobs over pooled streams and lanes.
 */
import type { Libp2p } from '@libp2p/interface'
import type { Logger } from 'pino'
import type { JobsConfig } from '../config.ts'
import type { Admission, LocalJobRequest } from '../controller/local-jobs.ts'
import { FrameBudget } from '../net/frame-budget.ts'
import { JobClient } from './job-client.ts'
import { type Authorization, JobServer } from './job-server.ts'
import { LanePool } from './lane-pool.ts'
import { LANES_PER_CONNECTION, UNPROVEN_CONNECTION_FRAME_BUDGET_BYTES } from './limits.ts'
import { JOB_LANE_PROTOCOL, JOB_PROTOCOL } from './messages.ts'
import { StreamPool } from './stream-pool.ts'

export interface JobProtocolParts {
  isMember: (peer: string) => boolean
  /** Resolves whether a peer proves membership (waits for its Hello). */
  proves: (peer: string) => Promise<boolean>
  admit: (req: LocalJobRequest) => Admission
  authorize: (req: { peer: string; jobId: string; capability: string; params: unknown }) => Authorization | Promise<Authorization>
  log: Logger
}

export interface JobProtocol {
  frameBudget: FrameBudget
  server: JobServer
  pool: StreamPool
  /** Undefined when `jobs.lanesPerPeer` is 0. */
  lanes: LanePool | undefined
  client: JobClient
}

export function jobProtocol(libp2p: Libp2p, jobs: JobsConfig, parts: JobProtocolParts): JobProtocol {
  const frameBudget = new FrameBudget(
    {
      nodeBytes: jobs.frameBudgetBytes,
      connectionBytes: jobs.connectionFrameBudgetBytes,
      unprovenConnectionBytes: UNPROVEN_CONNECTION_FRAME_BUDGET_BYTES,
    },
    parts.isMember,
  )
  const server = new JobServer({
    budget: frameBudget,
    whenProven: parts.proves,
    admit: parts.admit,
    authorize: parts.authorize,
    log: parts.log,
    maxFrameBytes: jobs.maxFrameBytes,
    inputBufferBytes: jobs.inputBufferBytes,
  })
  const pool = new StreamPool(libp2p, {
    maxFrameBytes: jobs.maxFrameBytes,
    maxIdlePerPeer: jobs.maxIdleStreamsPerPeer,
    maxOutboundStreams: jobs.maxStreamsPerConnection,
  })
  const lanes =
    jobs.lanesPerPeer > 0 ? new LanePool(libp2p, { maxFrameBytes: jobs.maxFrameBytes, lanesPerPeer: jobs.lanesPerPeer }) : undefined
  const client = new JobClient({
    pool,
    ...(lanes === undefined ? {} : { lanes }),
    inputChunkBytes: jobs.inputChunkBytes,
    cancelGraceMs: jobs.cancelGraceMs,
  })
  return { frameBudget, server, pool, lanes, client }
}

/** Serves both job protocols: streams of one job at a time, and lanes of several small jobs. */
export async function handleJobProtocols(libp2p: Libp2p, server: JobServer, jobs: JobsConfig): Promise<void> {
  const streams = jobs.maxStreamsPerConnection
  await libp2p.handle(JOB_PROTOCOL, server.handle, { maxInboundStreams: streams, maxOutboundStreams: streams })
  await libp2p.handle(JOB_LANE_PROTOCOL, server.handleLane, { maxInboundStreams: LANES_PER_CONNECTION, maxOutboundStreams: streams })
}
