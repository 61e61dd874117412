/**
 * `/v1/jobs`: submit (JSON or a streamed raw body), list, show, follow as Server-Sent Events,
 * read the output as it is produced, cancel. A job the gateway submitted is answered from its
 * own record (which streams output and events live); with a job store on the node, lists and
 * jobs the gateway did not submit come from the store.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { SchedulerErrorCodes } from '../controller/scheduler.ts'
import { CrankError, ErrorCodes } from '../errors.ts'
import { JOB_STATES, type JobFilter, type JobState, type JobsApi } from '../jobs/jobs-api.ts'
import type { GatewayContext } from './context.ts'
import type { GatewayJob } from './gateway-jobs.ts'
import { followJobLog, followStoredJob } from './job-event-stream.ts'
import { OutputDroppedError } from './job-log.ts'
import { ADMISSION_WAIT_MS, CANCEL_WAIT_MS, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from './limits.ts'
import { GatewayErrorCodes, problemOf, sendProblem } from './problems.ts'
import { JOB_ID_PARAMS, jobResponse, problemResponse } from './schemas.ts'
import { lastEventId } from './sse.ts'
import { keepQuietSocket, StreamResponse } from './stream-response.ts'
import {
  fromJsonBody,
  fromRawBody,
  type StoreSubmitOptions,
  SUBMIT_BODY_SCHEMA,
  SUBMIT_QUERY_SCHEMA,
  type SubmitRequest,
} from './submit-request.ts'

/** Failures that mean the job never ran: a submission that ends in one is answered as a problem, not 202. */
const REFUSALS = new Set<string>([
  ErrorCodes.unknownCapability,
  ErrorCodes.noProvider,
  ErrorCodes.invalidParams,
  ErrorCodes.invalidOption,
  ErrorCodes.invalidRoute,
  ErrorCodes.notStarted,
  ErrorCodes.shuttingDown,
  ErrorCodes.forbidden,
  ErrorCodes.notMember,
  ErrorCodes.peerUnreachable,
  ErrorCodes.bufferFull,
  ErrorCodes.inputTooLarge,
  SchedulerErrorCodes.queueFull,
])

const RAW = 'application/octet-stream'
const tags = ['jobs']

export function links(id: string): Record<string, string> {
  const self = `/v1/jobs/${encodeURIComponent(id)}`
  return { self, events: `${self}/events`, output: `${self}/output` }
}

function unknownJob(id: string): CrankError {
  return new CrankError(GatewayErrorCodes.unknownJob, `no job ${id}`)
}

/** Whether the error is the store saying it does not know the job. */
function isUnknown(err: unknown): boolean {
  return err instanceof CrankError && err.code === GatewayErrorCodes.unknownJob
}

export function registerJobRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const { node, jobs, limits } = ctx
  const store = (): JobsApi | undefined => node.jobs

  // The raw body reaches the route as the request stream itself: nothing is buffered.
  app.addContentTypeParser(RAW, (_request, payload, done) => done(null, payload))

  app.post(
    '/v1/jobs',
    {
      schema: {
        tags,
        summary: 'Submit a job',
        description:
          'JSON body, or the job input itself as `application/octet-stream` (streamed into the job; options in the query string or `Crank-*` headers). ' +
          '`Idempotency-Key` makes a retried request return the first job. 202 with the job id, or with `?wait=true` 200 and the ended job.',
        querystring: SUBMIT_QUERY_SCHEMA,
        headers: {
          type: 'object',
          properties: { 'idempotency-key': { type: 'string', description: 'a retry with the same key returns the first job' } },
        },
        body: {
          content: {
            'application/json': { schema: SUBMIT_BODY_SCHEMA },
            [RAW]: { schema: { description: 'the job’s input bytes, streamed' } },
          },
        },
        response: {
          200: jobResponse('the ended job (`?wait=true`), or the job an Idempotency-Key named before'),
          202: jobResponse('accepted: follow it at links.events'),
          default: problemResponse,
        },
      },
    },
    async (request, reply) => {
      const query = request.query as Record<string, unknown>
      const raw = (request.headers['content-type'] ?? '').toLowerCase().startsWith(RAW)
      // An answer before the whole body was read (a refusal, a replay) closes the connection:
      // otherwise the server would read the rest of a possibly huge upload only to discard it.
      if (raw) reply.header('connection', 'close')
      const sub = raw
        ? fromRawBody(request.body as AsyncIterable<Uint8Array>, query, request.headers, limits.maxInputBytes)
        : fromJsonBody(request.body as Record<string, unknown>, request.headers)
      const wait = query.wait === true
      const withStore = store() !== undefined
      if (sub.durable && !withStore)
        throw new CrankError(GatewayErrorCodes.noStore, 'durable jobs need the node’s job store, and this node has none')
      if (sub.idempotencyKey !== undefined && !withStore) {
        const earlier = jobs.byIdempotencyKey(sub.idempotencyKey)
        if (earlier !== undefined) {
          if (earlier.fingerprint !== sub.fingerprint)
            throw new CrankError(
              GatewayErrorCodes.idempotencyKeyReused,
              `Idempotency-Key ${sub.idempotencyKey} was used for another request (job ${earlier.id})`,
              {
                details: { jobId: earlier.id },
              },
            )
          reply.header('idempotent-replayed', 'true')
          return answer(request, reply, earlier, wait, 200)
        }
      }
      const { job, replayed } = jobs.submit(
        optionsFor(sub, withStore),
        sub.idempotencyKey === undefined
          ? {}
          : { idempotencyKey: sub.idempotencyKey, ...(sub.fingerprint === undefined ? {} : { fingerprint: sub.fingerprint }) },
      )
      if (replayed) {
        // The node's job store knew the key: this is the first job, and nothing new runs.
        reply.header('idempotent-replayed', 'true')
        return answer(request, reply, job, wait, 200)
      }
      if (wait && sub.raw === undefined) return waitForEnd(request, reply, job)
      await admission(job, sub)
      if (sub.raw?.finished === true) reply.removeHeader('connection')
      if (sub.raw?.tooLarge === true)
        throw new CrankError(ErrorCodes.inputTooLarge, `raw input exceeds ${limits.maxInputBytes} bytes (gateway.maxInputBytes)`, {
          details: { jobId: job.id },
        })
      const refusal = job.ended && job.startedAt === undefined ? job.report?.error : undefined
      if (refusal !== undefined && REFUSALS.has(refusal.code)) {
        const problem = problemOf(refusal, request.url)
        return sendProblem(reply, { ...problem, jobId: job.id })
      }
      return answer(request, reply, job, wait, 202)
    },
  )

  /**
   * `?wait=true` with a JSON body: one wait, for the end (or the client going), instead of one for
   * admission and then one for the end. The answer is the one the two waits would give: a refusal
   * is a problem document if the job ended before it started, within the admission wait;
   * otherwise 200 with the ended job.
   */
  async function waitForEnd(request: FastifyRequest, reply: FastifyReply, job: GatewayJob): Promise<unknown> {
    if (!(await endedOrGone(request, reply, job))) return reply
    const refusal = job.admittedByEnd && job.startedAt === undefined ? job.report?.error : undefined
    if (refusal !== undefined && REFUSALS.has(refusal.code) && (job.admittedAt as number) - job.createdAt <= ADMISSION_WAIT_MS)
      return sendProblem(reply, { ...problemOf(refusal, request.url), jobId: job.id })
    const view = job.view()
    view.links = links(job.id)
    reply.header('location', (view.links as { self: string }).self)
    return reply.code(200).send(view)
  }

  /** Waits for the job to be admitted or refused, and for a raw body to be read (or the job to end without it). */
  async function admission(job: GatewayJob, sub: SubmitRequest): Promise<void> {
    if (!job.isAdmitted) {
      let timer: NodeJS.Timeout | undefined
      const cap = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ADMISSION_WAIT_MS)
      })
      await Promise.race([job.admitted, cap])
      clearTimeout(timer)
    }
    if (sub.raw !== undefined) await Promise.race([sub.raw.done, job.whenEnded])
  }

  async function answer(request: FastifyRequest, reply: FastifyReply, job: GatewayJob, wait: boolean, status: number): Promise<unknown> {
    reply.header('location', links(job.id).self)
    if (!wait) return reply.code(status).send({ ...job.summary(), links: links(job.id) })
    if (!(await endedOrGone(request, reply, job))) return reply
    return reply.code(200).send({ ...job.view(), links: links(job.id) })
  }

  app.get(
    '/v1/jobs',
    {
      schema: {
        tags,
        summary: 'List jobs, newest first',
        description: 'From the node’s job store when it has one, else the jobs this gateway submitted (the newest gateway.maxJobs).',
        querystring: {
          type: 'object',
          properties: {
            state: { type: 'string', description: 'one state, or several separated by commas' },
            capability: { type: 'string' },
            since: { type: 'string', description: 'submitted at or after: epoch ms or an ISO 8601 time' },
            before: { type: 'string', description: 'submitted before: epoch ms or an ISO 8601 time' },
            limit: { type: 'integer', minimum: 1, maximum: MAX_LIST_LIMIT, default: DEFAULT_LIST_LIMIT },
          },
        },
        response: {
          200: {
            description: 'the jobs',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { source: { enum: ['store', 'gateway'] }, jobs: { type: 'array', items: { $ref: 'Job#' } } },
                },
              },
            },
          },
          default: problemResponse,
        },
      },
    },
    async (request) => {
      const q = request.query as { state?: string; capability?: string; since?: string; before?: string; limit: number }
      const states =
        q.state === undefined
          ? undefined
          : q.state
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
      for (const s of states ?? [])
        if (!(JOB_STATES as readonly string[]).includes(s))
          throw new CrankError(ErrorCodes.invalidOption, `state must be one of ${JOB_STATES.join(', ')}, got "${s}"`, {
            details: { field: 'state' },
          })
      const filter: JobFilter = {
        limit: q.limit,
        ...(states === undefined ? {} : { state: states as JobState[] }),
        ...(q.capability === undefined ? {} : { capability: q.capability }),
        ...(q.since === undefined ? {} : { since: timeOf(q.since, 'since') }),
        ...(q.before === undefined ? {} : { before: timeOf(q.before, 'before') }),
      }
      const s = store()
      if (s !== undefined) {
        const listed = await s.list(filter)
        return { source: 'store', jobs: listed.map((j) => ({ ...j, links: links(j.id) })) }
      }
      const listed = jobs.list({
        limit: q.limit,
        ...(states === undefined ? {} : { state: states }),
        ...(filter.capability === undefined ? {} : { capability: filter.capability }),
        ...(filter.since === undefined ? {} : { since: filter.since }),
        ...(filter.before === undefined ? {} : { before: filter.before }),
      })
      return { source: 'gateway', jobs: listed.map((j) => ({ ...j, links: links(j.id as string) })) }
    },
  )

  app.get(
    '/v1/jobs/:id',
    {
      schema: {
        tags,
        summary: 'One job',
        params: JOB_ID_PARAMS,
        response: { 200: jobResponse('the job'), default: problemResponse },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string }
      const s = store()
      if (s !== undefined) {
        try {
          const record = await s.get(id)
          const live = jobs.get(id)
          // The store records the job; the gateway knows the output it holds for it.
          return {
            ...record,
            ...(live === undefined ? {} : { outputBytes: live.log.outputBytes, outputKept: live.log.outputKept }),
            links: links(id),
          }
        } catch (err) {
          if (!isUnknown(err) || jobs.get(id) === undefined) throw err
        }
      }
      const job = jobs.get(id)
      if (job === undefined) throw unknownJob(id)
      return { ...job.view(), links: links(id) }
    },
  )

  app.get(
    '/v1/jobs/:id/events',
    {
      schema: {
        tags,
        summary: 'Follow a job as Server-Sent Events',
        description:
          'Events `accepted`, `progress`, `retry`, `output` (with `?output=true`: base64 bytes) and one terminal event named by the state ' +
          '(`succeeded`, `failed`, `cancelled`, `expired`), after which the stream ends. Event ids resume with `Last-Event-ID` (or `?lastEventId=`); ' +
          'events dropped from the buffer before a resuming client read them are announced by a `gap` event. A job the gateway did not submit is ' +
          'followed through the job store, with the store’s event names.',
        params: JOB_ID_PARAMS,
        querystring: {
          type: 'object',
          properties: { output: { type: 'boolean', default: false }, lastEventId: { type: 'integer', minimum: 0 } },
        },
        response: {
          200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          204: { description: 'the job has ended and the client has every event (EventSource then stops reconnecting)', type: 'null' },
          default: problemResponse,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string }
      const withOutput = (request.query as { output?: boolean }).output === true
      const after = lastEventId(request)
      const job = jobs.get(id)
      if (job !== undefined) return followJobLog(request, reply, job, { after, withOutput, stallMs: limits.idleTimeoutMs })
      const s = store()
      if (s === undefined) throw unknownJob(id)
      return followStoredJob(request, reply, s, id, { after, stallMs: limits.idleTimeoutMs })
    },
  )

  app.get(
    '/v1/jobs/:id/output',
    {
      schema: {
        tags,
        summary: 'The job’s output bytes, streamed as they are produced',
        description:
          'Follows a running job until it ends; the `Crank-Job-State` trailer says how it ended. 404 `output_unavailable` when the output was not kept.',
        params: JOB_ID_PARAMS,
        response: {
          200: { description: 'the output bytes', content: { [RAW]: { schema: { type: 'string', format: 'binary' } } } },
          default: problemResponse,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string }
      const job = jobs.get(id)
      if (job === undefined) {
        const s = store()
        if (s === undefined) throw unknownJob(id)
        const bytes = await s.output(id)
        if (bytes === undefined) throw new CrankError(GatewayErrorCodes.outputUnavailable, `the job store kept no output for ${id}`)
        return reply.type(RAW).send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
      }
      if (!job.log.outputKept)
        throw new CrankError(
          GatewayErrorCodes.outputUnavailable,
          `the output of ${id} was dropped to stay within gateway.outputBudgetBytes`,
        )
      const out = new StreamResponse(request, reply, {
        headers: { 'content-type': RAW, trailer: 'Crank-Job-State', 'cache-control': 'no-store' },
        stallMs: limits.idleTimeoutMs,
      })
      try {
        for (let i = 0; !out.closed; ) {
          const chunk = job.log.chunkAt(i)
          if (chunk === null) break
          if (chunk === undefined) {
            await job.log.changed(out.signal)
            continue
          }
          i++
          if (!(await out.write(chunk))) return reply
        }
      } catch (err) {
        // Dropped mid-stream: cut the response short, so the client cannot mistake it for all of the output.
        if (err instanceof OutputDroppedError) out.destroy()
        else throw err
        return reply
      }
      reply.raw.addTrailers({ 'Crank-Job-State': job.state })
      out.end()
      return reply
    },
  )

  app.delete(
    '/v1/jobs/:id',
    {
      schema: {
        tags,
        summary: 'Cancel a job',
        description: `200 with the ended job once it has ended (within ${CANCEL_WAIT_MS} ms), else 202; 409 \`invalid_state\` if it had already ended.`,
        params: JOB_ID_PARAMS,
        response: { 200: jobResponse('the cancelled job'), 202: jobResponse('cancel under way'), default: problemResponse },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string }
      const job = jobs.get(id)
      if (job === undefined) {
        const s = store()
        if (s === undefined) throw unknownJob(id)
        await s.cancel(id, 'cancelled over HTTP')
        return reply.code(202).send({ id, state: (await s.get(id)).state, links: links(id) })
      }
      if (job.ended)
        throw new CrankError(GatewayErrorCodes.invalidState, `job ${id} has already ended ${job.state}`, { details: { state: job.state } })
      job.handle.cancel('cancelled over HTTP')
      let timer: NodeJS.Timeout | undefined
      await Promise.race([job.whenEnded, new Promise((resolve) => (timer = setTimeout(resolve, CANCEL_WAIT_MS)))])
      clearTimeout(timer)
      return reply.code(job.ended ? 200 : 202).send({ ...job.view(), links: links(id) })
    },
  )
}

/** Waits until the job has ended (true) or the client went away first (false). */
async function endedOrGone(request: FastifyRequest, reply: FastifyReply, job: GatewayJob): Promise<boolean> {
  if (job.log.ended) return true
  // The body has arrived; from here the client only waits, as long as the job takes.
  keepQuietSocket(request)
  const res = reply.raw
  let onClose: (() => void) | undefined
  const gone = new Promise<void>((resolve) => {
    onClose = resolve
    res.once('close', resolve)
  })
  await Promise.race([job.whenEnded, gone])
  res.off('close', onClose as () => void)
  return job.log.ended
}

function timeOf(text: string, field: string): number {
  const t = /^\d+$/.test(text) ? Number(text) : Date.parse(text)
  if (!Number.isFinite(t))
    throw new CrankError(ErrorCodes.invalidOption, `${field} must be epoch milliseconds or an ISO 8601 time, got "${text}"`, {
      details: { field },
    })
  return t
}

function optionsFor(sub: SubmitRequest, withStore: boolean): StoreSubmitOptions {
  // The job store takes these two; a node without one would not know them.
  if (!withStore) return sub.options
  return {
    ...sub.options,
    ...(sub.idempotencyKey === undefined ? {} : { idempotencyKey: sub.idempotencyKey }),
    ...(sub.durable ? { durable: true } : {}),
  }
}
