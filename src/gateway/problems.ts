/**
 * Errors as RFC 9457 problem documents (`application/problem+json`), each carrying Crank's error
 * `code` and `retryable`. One table maps every code the gateway can answer with to its HTTP
 * status; a code not in it (a capability's own) is a 500 only if it escapes as a request error,
 * which job failures never do: they are job states, not HTTP errors.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { SchedulerErrorCodes } from '../controller/scheduler.ts'
import { CrankError, ErrorCodes } from '../errors.ts'
import { TrustErrorCodes } from '../trust/errors.ts'
import { TokenErrorCodes } from './tokens.ts'

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/** Codes only the gateway produces (the job store's are spelled as its API documents them). */
export const GatewayErrorCodes = {
  /** No bearer token, or one that is not (or no longer) valid. */
  unauthorized: 'unauthorized',
  /** The token has `gateway.maxConcurrentPerToken` requests in flight already. */
  tooManyRequests: 'too_many_requests',
  /** No such route. */
  notFound: 'not_found',
  /** The body is not what its Content-Type says (malformed JSON, bad base64, a JSON body that is not an object). */
  invalidRequest: 'invalid_request',
  unsupportedMediaType: 'unsupported_media_type',
  methodNotAllowed: 'method_not_allowed',
  /** No job with that id, here or in the job store. */
  unknownJob: 'unknown_job',
  /** The job is in a state that does not allow it (cancel an ended job). */
  invalidState: 'invalid_state',
  /** The node has no job store (`durable` asked for one). */
  noStore: 'no_store',
  /** The Idempotency-Key was used before for a different request. */
  idempotencyKeyReused: 'idempotency_key_reused',
  /** The job's output was not kept, or was dropped to stay within `gateway.outputBudgetBytes`. */
  outputUnavailable: 'output_unavailable',
  /** The gateway already follows `gateway.maxJobs` jobs that have not ended. */
  tooManyJobs: 'too_many_jobs',
  /** `/readyz`: not started, not a member, or isolated. */
  notReady: 'not_ready',
} as const

interface Mapping {
  status: number
  title: string
}

/** Every code the gateway answers with, and its HTTP status. */
export const STATUS_BY_CODE: Readonly<Record<string, Mapping>> = {
  [ErrorCodes.invalidOption]: { status: 400, title: 'Invalid option' },
  [ErrorCodes.invalidRoute]: { status: 400, title: 'Invalid route' },
  [GatewayErrorCodes.invalidRequest]: { status: 400, title: 'Invalid request' },
  [GatewayErrorCodes.unauthorized]: { status: 401, title: 'Unauthorized' },
  [ErrorCodes.forbidden]: { status: 403, title: 'Forbidden' },
  [ErrorCodes.notMember]: { status: 403, title: 'Not a mesh member' },
  [GatewayErrorCodes.notFound]: { status: 404, title: 'Not found' },
  [GatewayErrorCodes.unknownJob]: { status: 404, title: 'Unknown job' },
  [ErrorCodes.unknownCapability]: { status: 404, title: 'Unknown capability' },
  [ErrorCodes.noProvider]: { status: 404, title: 'No provider' },
  [TokenErrorCodes.unknownToken]: { status: 404, title: 'Unknown token' },
  [GatewayErrorCodes.outputUnavailable]: { status: 404, title: 'Output unavailable' },
  [GatewayErrorCodes.methodNotAllowed]: { status: 405, title: 'Method not allowed' },
  [GatewayErrorCodes.invalidState]: { status: 409, title: 'Invalid state' },
  [ErrorCodes.notReplayable]: { status: 409, title: 'Not replayable' },
  [ErrorCodes.inputTooLarge]: { status: 413, title: 'Input too large' },
  [GatewayErrorCodes.unsupportedMediaType]: { status: 415, title: 'Unsupported media type' },
  [ErrorCodes.invalidParams]: { status: 422, title: 'Invalid params' },
  [GatewayErrorCodes.idempotencyKeyReused]: { status: 422, title: 'Idempotency key reused' },
  [GatewayErrorCodes.tooManyRequests]: { status: 429, title: 'Too many requests' },
  [ErrorCodes.internal]: { status: 500, title: 'Internal error' },
  [GatewayErrorCodes.noStore]: { status: 501, title: 'No job store' },
  [ErrorCodes.peerUnreachable]: { status: 502, title: 'Peer unreachable' },
  [ErrorCodes.connectionLost]: { status: 502, title: 'Connection lost' },
  [ErrorCodes.notStarted]: { status: 503, title: 'Node not started' },
  [ErrorCodes.shuttingDown]: { status: 503, title: 'Shutting down' },
  [ErrorCodes.bufferFull]: { status: 503, title: 'Buffer full' },
  [SchedulerErrorCodes.queueFull]: { status: 503, title: 'Queue full' },
  [GatewayErrorCodes.tooManyJobs]: { status: 503, title: 'Too many jobs' },
  [GatewayErrorCodes.notReady]: { status: 503, title: 'Not ready' },
  [TrustErrorCodes.caUnavailable]: { status: 503, title: 'CA unavailable' },
}

/** Status for a code; anything unlisted is a server-side failure. */
export function statusOf(code: string): number {
  return STATUS_BY_CODE[code]?.status ?? 500
}

export interface Problem {
  /** A URN naming the code, stable across releases (RFC 9457 allows any URI). */
  type: string
  title: string
  status: number
  detail: string
  instance?: string
  code: string
  retryable: boolean
  details?: Record<string, unknown>
  /** The job a refused submission was given, when there is one. */
  jobId?: string
}

export function problemOf(
  err: { code: string; message: string; retryable?: boolean; details?: Record<string, unknown> },
  instance?: string,
): Problem {
  const mapping = STATUS_BY_CODE[err.code]
  return {
    type: `urn:crank:problem:${err.code}`,
    title: mapping?.title ?? 'Error',
    status: mapping?.status ?? 500,
    detail: err.message,
    ...(instance === undefined ? {} : { instance }),
    code: err.code,
    retryable: err.retryable ?? false,
    ...(err.details === undefined ? {} : { details: err.details }),
  }
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  if (problem.status === 401) reply.header('www-authenticate', 'Bearer realm="crank"')
  if (problem.status === 429 || (problem.status === 503 && problem.retryable)) reply.header('retry-after', '1')
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem)
}

/** Fastify's own errors (parsing, validation, limits) as the Crank codes they amount to. */
function fromFastify(err: FastifyError): CrankError | undefined {
  if (err.validation !== undefined) {
    const first = err.validation[0]
    const where = err.validationContext ?? 'request'
    const field = first?.instancePath === undefined || first.instancePath === '' ? where : `${where}${first.instancePath}`
    return new CrankError(ErrorCodes.invalidOption, err.message, {
      details: { field, errors: err.validation.map((v) => ({ path: v.instancePath, message: v.message })) },
    })
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new CrankError(ErrorCodes.inputTooLarge, err.message)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new CrankError(GatewayErrorCodes.unsupportedMediaType, `${err.message}: send application/json or application/octet-stream`)
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new CrankError(GatewayErrorCodes.invalidRequest, err.message)
  }
  if (err instanceof SyntaxError) return new CrankError(GatewayErrorCodes.invalidRequest, `body is not valid JSON: ${err.message}`)
  return undefined
}

/** The one error handler: a CrankError keeps its code; fastify's errors are mapped; anything else is `internal`, its message kept out of the answer. */
export function handleError(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const crank = err instanceof CrankError ? err : fromFastify(err as FastifyError)
  if (crank !== undefined) return sendProblem(reply, problemOf(crank, request.url))
  const status = (err as FastifyError).statusCode
  if (status !== undefined && status >= 400 && status < 500)
    return sendProblem(reply, problemOf({ code: GatewayErrorCodes.invalidRequest, message: err.message }, request.url))
  request.log.error({ err }, 'gateway request failed')
  return sendProblem(reply, problemOf({ code: ErrorCodes.internal, message: 'internal error (see the node log)' }, request.url))
}

export function notFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(
    reply,
    problemOf({ code: GatewayErrorCodes.notFound, message: `no route ${request.method} ${request.url.split('?')[0]}` }, request.url),
  )
}
