/**
 * The node and its mesh over HTTP: capabilities (this node's and the mesh's), peers, members,
 * status, the mesh view the dashboard draws, job statistics, health and readiness probes, and
 * Prometheus metrics when the node has them.
 */
import type { FastifyInstance } from 'fastify'
import type { GatewayContext } from './context.ts'
import { capabilitiesView, membersView, meshView, peersView, readiness, statusView } from './mesh-views.ts'
import { GatewayErrorCodes, problemOf, sendProblem } from './problems.ts'
import { anyObject, problemResponse } from './schemas.ts'

const tags = ['mesh']

export function registerMeshRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const { node } = ctx

  app.get(
    '/v1/capabilities',
    {
      schema: {
        tags,
        summary: 'Capabilities this node serves and the mesh advertises, each with its providers',
        response: { 200: anyObject('{capabilities: [{id, version, providers: [...]}, ...]}'), default: problemResponse },
      },
    },
    async () => ({ capabilities: capabilitiesView(node) }),
  )

  app.get(
    '/v1/mesh',
    {
      schema: {
        tags,
        summary: 'This node and every provider it holds an advert from: what each serves, its load, health and advert age',
        response: { 200: anyObject('{self, nodes: [...]}'), default: problemResponse },
      },
    },
    async () => meshView(node),
  )

  app.get(
    '/v1/peers',
    {
      schema: {
        tags,
        summary: 'Connected peers, with what their adverts say',
        response: { 200: anyObject('{peers: [...]}'), default: problemResponse },
      },
    },
    async () => ({ peers: peersView(node) }),
  )

  app.get(
    '/v1/members',
    {
      schema: {
        tags,
        summary: 'Connected peers that proved mesh membership, with their certificates',
        response: { 200: anyObject('{openMesh, members: [...]}'), default: problemResponse },
      },
    },
    async () => membersView(node),
  )

  app.get(
    '/v1/status',
    {
      schema: {
        tags,
        summary: 'This node: identity, connectivity, certificate, load',
        response: { 200: anyObject('node status'), default: problemResponse },
      },
    },
    async () => ({
      ...statusView(node),
      ready: readiness(node),
      gateway: {
        jobsFollowed: ctx.jobs.size,
        jobsActive: ctx.jobs.active,
        outputBytesKept: ctx.jobs.keptBytes,
        jobStore: node.jobs !== undefined,
      },
    }),
  )

  app.get(
    '/v1/stats',
    {
      schema: {
        tags,
        summary: 'Job rate and latency per time bucket: jobs submitted through this gateway and jobs this node served',
        response: { 200: anyObject('{bucketMs, points: [...]}'), default: problemResponse },
      },
    },
    async () => ({ bucketMs: ctx.stats.bucketMs, points: ctx.stats.points() }),
  )

  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: { tags: ['probes'], summary: 'Alive: the process answers', response: { 200: anyObject('{status: "ok"}') } },
    },
    async () => ({ status: 'ok' }),
  )

  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: {
        tags: ['probes'],
        summary: 'Ready: started, a mesh member, and not isolated',
        response: { 200: anyObject('{ready: true, checks}'), 503: problemResponse },
      },
    },
    async (request, reply) => {
      const r = readiness(node)
      if (r.ready) return r
      const failing = Object.entries(r.checks)
        .filter(([, ok]) => !ok)
        .map(([name]) => name)
      return sendProblem(reply, {
        ...problemOf(
          { code: GatewayErrorCodes.notReady, message: `not ready: ${failing.join(', ')}`, retryable: true, details: r.checks },
          request.url,
        ),
      })
    },
  )

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['probes'],
        summary: 'Prometheus metrics (404 when the node collects none)',
        response: {
          200: { description: 'Prometheus text exposition', content: { 'text/plain': { schema: { type: 'string' } } } },
          default: problemResponse,
        },
      },
    },
    async (request, reply) => {
      const metrics = node.metrics
      if (metrics === undefined)
        return sendProblem(reply, problemOf({ code: GatewayErrorCodes.notFound, message: 'this node collects no metrics' }, request.url))
      return reply.type(metrics.contentType).send(await metrics.text())
    },
  )
}
