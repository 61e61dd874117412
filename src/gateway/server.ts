/**
 * The HTTP gateway, assembled: fastify with its limits, the problem-document error handler,
 * OpenAPI from the route schemas, bearer-token auth, then the job, mesh, live-event and
 * dashboard routes, all over one node. `startGateway` listens; `buildGateway` only assembles
 * (tests inject requests into it without a socket). The node's lifecycle is the caller's: the
 * CLI's `start` starts the gateway after the node and closes it before the node stops.
 */
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'
import { CrankError, ErrorCodes } from '../errors.ts'
import { installAuth } from './auth.ts'
import type { GatewayContext, GatewayLimits, GatewayNode } from './context.ts'
import { registerDashboard } from './dashboard.ts'
import { registerEventsRoute } from './events-route.ts'
import { GatewayJobs, type JobChangeNotice } from './gateway-jobs.ts'
import { registerJobRoutes } from './job-routes.ts'
import { JobStats } from './job-stats.ts'
import { LIVE_EVENTS_BUFFER, STORE_FEED_RESTART_MS } from './limits.ts'
import { isLoopback, parseListenAddress, urlHost } from './listen-address.ts'
import { LiveFeed } from './live-feed.ts'
import { registerMeshRoutes } from './mesh-routes.ts'
import { registerOpenApi, registerOpenApiRoute } from './openapi.ts'
import { handleError, notFound } from './problems.ts'
import { SHARED_SCHEMAS } from './schemas.ts'
import { httpsOptions } from './tls.ts'
import { TokenStore, tokensPath } from './tokens.ts'

/** The HTTP API's version, as /openapi.json states it (paths carry its major, /v1). */
export const API_VERSION = '1.0.0'

export interface GatewayOptions extends Partial<GatewayLimits> {
  /** `host:port`; port 0 picks a free one. Default: the node's `gateway.listen`. */
  listen?: string
  /** Where `gateway-tokens.json` is. Default: the node's data dir; without either, no tokens (loopback only). */
  dataDir?: string
}

export interface Gateway {
  /** `http://host:port` (`https://` with gateway.tlsCertFile), with the port actually bound. */
  url: string
  close(): Promise<void>
}

export interface BuiltGateway {
  app: FastifyInstance
  context: GatewayContext
  /** Whether it serves HTTPS (gateway.tlsCertFile). */
  https: boolean
  /** Closes the server and lets go of the node's events. */
  close(): Promise<void>
}

export async function buildGateway(node: GatewayNode, opts: GatewayOptions = {}): Promise<BuiltGateway> {
  const { listen: listenOpt, dataDir: dataDirOpt, ...overrides } = opts
  const { listen: configured, ...fromConfig } = node.config.gateway
  const limits: GatewayLimits = { ...fromConfig, ...definedOnly(overrides) }
  const listen = listenOpt ?? configured
  if (listen === undefined)
    throw new CrankError(
      ErrorCodes.invalidConfig,
      'the gateway needs an address: gateway.listen in the config, or crank-node start --http HOST:PORT',
    )
  const address = parseListenAddress(listen)
  const loopback = isLoopback(address.host)
  const dataDir = dataDirOpt ?? node.config.dataDir
  const tokens = dataDir === undefined ? undefined : new TokenStore(tokensPath(dataDir))
  await tokens?.load()
  const trust = node.membership.trustStore
  const https = httpsOptions(node.config.gateway, trust)
  // httpsOptions refuses client certificates without HTTPS or without a mesh CA.
  const certMode = node.config.gateway.clientCertificates
  if (!loopback && (tokens === undefined || tokens.size === 0) && certMode !== 'required')
    throw new CrankError(
      ErrorCodes.invalidConfig,
      `refusing to serve the HTTP gateway on ${listen} without bearer tokens or required client certificates: anyone who can reach that address could run jobs on the mesh. ` +
        `Create a token first (crank-node gateway token create${dataDir === undefined ? ' --data-dir DIR' : ''}), or listen on 127.0.0.1.`,
    )

  const app: FastifyInstance = Fastify({
    ...(https === undefined ? {} : { https }),
    // pino's Logger is a FastifyBaseLogger; the cast keeps the instance's type the default one the route modules take.
    loggerInstance: node.log.child({ component: 'gateway' }) as FastifyBaseLogger,
    // A line per request would drown the node's log; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: limits.maxBodyBytes,
    connectionTimeout: limits.idleTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // Long-lived streams (SSE, output that follows a job) must not hold a shutdown up.
    forceCloseConnections: true,
    return503OnClosing: true,
    // Unknown body fields are refused, not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
  })
  app.removeContentTypeParser('text/plain')
  app.setErrorHandler(handleError)
  app.setNotFoundHandler(notFound)
  // A callback hook: an async one would cost every response a promise.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff')
    done(null, payload)
  })
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema)
  await registerOpenApi(app, node.capabilities, API_VERSION)
  installAuth(app, {
    tokens,
    loopback,
    maxConcurrent: limits.maxConcurrentPerToken,
    ...(certMode === 'off' || trust === undefined ? {} : { clientCertificates: { mode: certMode, trust } }),
  })

  const context: GatewayContext = {
    node,
    jobs: new GatewayJobs(node, limits),
    stats: new JobStats(),
    live: new LiveFeed(LIVE_EVENTS_BUFFER),
    limits,
  }
  const unfollow = follow(context)
  registerJobRoutes(app, context)
  registerMeshRoutes(app, context)
  registerEventsRoute(app, context)
  registerDashboard(app)
  registerOpenApiRoute(app)
  await app.ready()
  return {
    app,
    context,
    https: https !== undefined,
    close: async () => {
      unfollow()
      await app.close()
    },
  }
}

export async function startGateway(node: GatewayNode, opts: GatewayOptions = {}): Promise<Gateway> {
  const built = await buildGateway(node, opts)
  const { host, port } = parseListenAddress(opts.listen ?? node.config.gateway.listen ?? '')
  try {
    await built.app.listen({ host, port })
  } catch (err) {
    await built.close()
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES')
      throw new CrankError(ErrorCodes.invalidConfig, `the gateway cannot listen on ${host}:${port}: ${code}`)
    throw err
  }
  const bound = (built.app.server.address() as AddressInfo).port
  const url = `${built.https ? 'https' : 'http'}://${urlHost(host)}:${bound}`
  node.log.info({ url }, 'gateway listening')
  return { url, close: built.close }
}

/** Feeds the statistics and the live feed from the node and the gateway's jobs; returns the unsubscribe. */
function follow(ctx: GatewayContext): () => void {
  const { node, jobs, stats, live } = ctx
  const store = node.jobs
  const onJob = (n: JobChangeNotice): void => {
    if (n.durationMs !== undefined) stats.submitted(n.durationMs, n.state !== 'succeeded')
    // With a job store, its feed reports every job (the gateway's too): one source, no doubles.
    if (store === undefined) live.publish({ event: 'job', data: n })
  }
  const onServed = (e: { state: string; startedAt: number; endedAt: number }): void =>
    stats.served(e.endedAt - e.startedAt, e.state !== 'succeeded')
  const onAdded = (peer: string): void => live.publish({ event: 'peer', data: { peer, change: 'added', at: Date.now() } })
  const onRemoved = (peer: string): void => live.publish({ event: 'peer', data: { peer, change: 'removed', at: Date.now() } })
  jobs.on('change', onJob)
  node.journal.on('end', onServed)
  node.mesh.on('added', onAdded)
  node.mesh.on('removed', onRemoved)
  const stop = new AbortController()
  if (store !== undefined) void followStore(ctx, stop.signal)
  return () => {
    stop.abort()
    jobs.off('change', onJob)
    node.journal.off('end', onServed)
    node.mesh.off('added', onAdded)
    node.mesh.off('removed', onRemoved)
  }
}

/** The job store's change feed into the live feed; a feed that fell behind is restarted, and clients told to re-read. */
async function followStore(ctx: GatewayContext, signal: AbortSignal): Promise<void> {
  const store = ctx.node.jobs
  if (store === undefined) return
  while (!signal.aborted) {
    try {
      for await (const change of store.changes({ signal })) {
        ctx.live.publish({
          event: 'job',
          data: {
            id: change.id,
            state: change.state,
            at: change.event.at,
            ...('error' in change.event && change.event.error !== undefined ? { error: change.event.error } : {}),
            ...('peer' in change.event ? { peer: change.event.peer } : {}),
          },
        })
      }
      return
    } catch (err) {
      if (signal.aborted) return
      if (err instanceof CrankError && err.code === 'no_store') return
      ctx.live.publish({ event: 'resync', data: { at: Date.now(), reason: (err as Error).message } })
      ctx.node.log.warn({ err: (err as Error).message }, 'gateway: the job store change feed failed; restarting it')
      // A feed that fails at once must not spin.
      await new Promise((resolve) => setTimeout(resolve, STORE_FEED_RESTART_MS).unref())
    }
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
