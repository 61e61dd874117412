/**
 * What the gateway's routes share: the node they front (with the job store and metrics it may
 * have), the jobs the gateway follows, the job statistics, the live event feed and the limits.
 */
import type { GatewayConfig } from '../config.ts'
import type { JobsApi } from '../jobs/jobs-api.ts'
import type { CrankNode } from '../node.ts'
import type { GatewayJobs } from './gateway-jobs.ts'
import type { JobStats } from './job-stats.ts'
import type { LiveFeed } from './live-feed.ts'

/** A Prometheus registry as `/metrics` serves it. */
export interface MetricsText {
  contentType: string
  text(): Promise<string>
}

/** The node, with the parts it has when the job store and the metrics are assembled in. */
export type GatewayNode = CrankNode & { readonly jobs?: JobsApi | undefined; readonly metrics?: MetricsText | undefined }

export type GatewayLimits = Omit<GatewayConfig, 'listen'>

export interface GatewayContext {
  node: GatewayNode
  jobs: GatewayJobs
  stats: JobStats
  live: LiveFeed
  limits: GatewayLimits
}
