/**
 * `GET /v1/events`: one Server-Sent Events stream of everything the dashboard shows live. Job
 * state changes and peers joining or leaving carry ids (`Last-Event-ID` resumes them); a `mesh`
 * snapshot and the newest `stats` bucket come at once and then every LIVE_TICK_MS, without ids
 * (they are state, not history).
 */
import type { FastifyInstance } from 'fastify'
import type { GatewayContext } from './context.ts'
import { LIVE_TICK_MS } from './limits.ts'
import { meshView } from './mesh-views.ts'
import { problemResponse } from './schemas.ts'
import { lastEventId, SseStream } from './sse.ts'

export function registerEventsRoute(app: FastifyInstance, ctx: GatewayContext): void {
  app.get(
    '/v1/events',
    {
      schema: {
        tags: ['live'],
        summary: 'Live changes: jobs, peers, mesh snapshots and job statistics, as Server-Sent Events',
        description:
          'Events: `job` {id, state, at, capability?, durationMs?, error?} and `peer` {peer, change} with ids (resume with Last-Event-ID; ' +
          'a `gap` event names ids dropped before a resuming client read them); `resync` when the job feed restarted (re-read /v1/jobs); ' +
          '`mesh` (as /v1/mesh) and `stats` (the newest /v1/stats point) without ids, at once and every few seconds.',
        querystring: { type: 'object', properties: { lastEventId: { type: 'integer', minimum: 0 } } },
        response: {
          200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          default: problemResponse,
        },
      },
    },
    async (request, reply) => {
      const sse = new SseStream(request, reply, { stallMs: ctx.limits.idleTimeoutMs })
      const header = request.headers['last-event-id'] ?? (request.query as { lastEventId?: unknown }).lastEventId
      // A first connection starts from now; only a resuming one replays.
      let sent = header === undefined ? ctx.live.lastId : lastEventId(request)
      const snapshot = async (): Promise<void> => {
        await sse.send({ event: 'mesh', data: meshView(ctx.node) })
        await sse.send({ event: 'stats', data: { bucketMs: ctx.stats.bucketMs, point: ctx.stats.latest() } })
      }
      const tick = setInterval(() => void snapshot(), LIVE_TICK_MS)
      tick.unref()
      sse.signal.addEventListener('abort', () => clearInterval(tick), { once: true })
      await snapshot()
      while (!sse.closed) {
        const { events, missed } = ctx.live.since(sent)
        if (missed !== undefined && !(await sse.send({ event: 'gap', data: missed }))) break
        for (const e of events) {
          sent = e.id
          if (!(await sse.send({ id: e.id, event: e.event, data: e.data }))) break
        }
        await ctx.live.changed(sse.signal)
      }
      clearInterval(tick)
      return reply
    },
  )
}
