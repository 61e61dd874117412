/**
 * One job's events as a Server-Sent Events stream: replayed from where the client left off
 * (`Last-Event-ID`), then followed live, ending with the job. A job the gateway submitted is
 * read from its JobLog (with output chunks on request); one only the node's job store knows,
 * from the store's events and change feed.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { isTerminal, type JobState, type JobsApi } from '../jobs/jobs-api.ts'
import type { GatewayJob } from './gateway-jobs.ts'
import type { LoggedEvent } from './job-log.ts'
import { SseStream } from './sse.ts'

/** A job the gateway follows: its log replayed after `after`, then followed live until its end. */
export async function followJobLog(
  request: FastifyRequest,
  reply: FastifyReply,
  job: GatewayJob,
  opts: { after: number; withOutput: boolean; stallMs: number },
): Promise<unknown> {
  const { after, withOutput } = opts
  if (job.log.ended && after >= job.log.lastSeq) return reply.code(204).send()
  const sse = new SseStream(request, reply, { stallMs: opts.stallMs })
  let sent = after
  while (!sse.closed) {
    const { events, missed } = job.log.since(sent)
    if (missed !== undefined && !(await sse.send({ event: 'gap', data: { jobId: job.id, ...missed } }))) return reply
    for (const e of events) {
      sent = e.seq
      const payload = sseOf(job, e, withOutput)
      if (payload !== undefined && !(await sse.send({ id: e.seq, ...payload }))) return reply
      if (e.type === 'end') {
        sse.end()
        return reply
      }
    }
    await job.log.changed(sse.signal)
  }
  return reply
}

/** A job only the job store knows: its recorded events after `after`, then its changes until its end, with the store's names and numbers. */
export async function followStoredJob(
  request: FastifyRequest,
  reply: FastifyReply,
  s: JobsApi,
  id: string,
  opts: { after: number; stallMs: number },
): Promise<unknown> {
  const { after } = opts
  const record = await s.get(id) // unknown_job is a 404 before the stream starts
  const listen = new AbortController()
  // Subscribed (an async generator starts on its first next()) before the history is read, so
  // that nothing falls between the two.
  const changes = s.changes({ signal: listen.signal })[Symbol.asyncIterator]()
  let pending = changes.next()
  pending.catch(() => {})
  const history = await s.events(id, after)
  if (isTerminal(record.state) && history.length === 0) {
    listen.abort()
    return reply.code(204).send()
  }
  const sse = new SseStream(request, reply, { stallMs: opts.stallMs })
  sse.signal.addEventListener('abort', () => listen.abort(), { once: true })
  let sent = after
  try {
    for (const e of history) {
      sent = e.seq
      if (!(await sse.send({ id: e.seq, event: e.type, data: { jobId: id, ...e } }))) return reply
      if (isTerminal(e.type as JobState)) return reply
    }
    for (;;) {
      const next = await pending
      if (next.done === true) return reply
      pending = changes.next()
      pending.catch(() => {})
      const e = next.value.event
      if (next.value.id !== id || e.seq <= sent) continue
      sent = e.seq
      if (!(await sse.send({ id: e.seq, event: e.type, data: { jobId: id, ...e } }))) return reply
      if (isTerminal(e.type as JobState)) return reply
    }
  } catch (err) {
    if (!sse.closed) await sse.send({ event: 'error', data: { jobId: id, message: (err as Error).message } })
    return reply
  } finally {
    listen.abort()
    sse.end()
  }
}

/** A logged event as SSE, or undefined when it is not sent (output without ?output=true). */
function sseOf(job: GatewayJob, e: LoggedEvent, withOutput: boolean): { event: string; data: unknown } | undefined {
  const { seq: _seq, ...rest } = e
  switch (e.type) {
    case 'output': {
      if (!withOutput) return undefined
      const bytes = job.log.chunkOf(e)
      return {
        event: 'output',
        data: {
          jobId: job.id,
          at: e.at,
          offset: e.offset,
          bytes: e.bytes,
          ...(bytes === undefined
            ? { dropped: true }
            : { data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') }),
        },
      }
    }
    case 'end': {
      const { type: _type, ...report } = rest as typeof rest & { type: 'end' }
      return { event: e.state, data: { jobId: job.id, ...report } }
    }
    default: {
      const { type, ...data } = rest
      return { event: type, data: { jobId: job.id, ...data } }
    }
  }
}
