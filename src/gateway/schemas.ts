/**
 * JSON Schemas the routes share, for OpenAPI. Objects allow more properties than they list:
 * fastify serialises responses with these schemas, and a field added to a job must not vanish
 * from the answer because a schema here was not updated.
 */

export const PROBLEM_SCHEMA = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem document (application/problem+json) with Crank’s error code',
  additionalProperties: true,
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string', description: 'Crank error code, e.g. invalid_params, no_provider, unknown_job' },
    retryable: { type: 'boolean' },
    details: { type: 'object', additionalProperties: true },
    jobId: { type: 'string', description: 'the job a refused submission was given' },
  },
  required: ['type', 'title', 'status', 'code'],
}

const ERROR_INFO = {
  type: 'object',
  additionalProperties: true,
  properties: { code: { type: 'string' }, message: { type: 'string' }, retryable: { type: 'boolean' } },
}

export const JOB_LINKS_SCHEMA = {
  $id: 'JobLinks',
  type: 'object',
  additionalProperties: true,
  properties: { self: { type: 'string' }, events: { type: 'string' }, output: { type: 'string' } },
}

export const JOB_SCHEMA = {
  $id: 'Job',
  type: 'object',
  description: 'A job as the gateway (or the node’s job store) records it',
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    capability: { type: 'string' },
    state: { type: 'string', enum: ['queued', 'routed', 'running', 'retrying', 'succeeded', 'failed', 'cancelled', 'expired'] },
    attempts: { type: 'integer' },
    peer: { type: 'string', description: '`local`, or the peer id that ran the latest attempt' },
    version: { type: 'string' },
    durable: { type: 'boolean' },
    idempotencyKey: { type: 'string' },
    result: { description: 'the handler’s result, when it succeeded' },
    error: ERROR_INFO,
    createdAt: { type: 'integer' },
    startedAt: { type: 'integer' },
    endedAt: { type: 'integer' },
    durationMs: { type: 'number' },
    outputBytes: { type: 'integer' },
    outputKept: { type: 'boolean' },
    links: { $ref: 'JobLinks#' },
  },
}

export const SHARED_SCHEMAS = [PROBLEM_SCHEMA, JOB_LINKS_SCHEMA, JOB_SCHEMA]

export const problemResponse = {
  description: 'problem document',
  content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } },
}
export const jobResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: 'Job#' } } } })
export const JOB_ID_PARAMS = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } }
/** A free-form JSON object answer (status, mesh views): described for OpenAPI, serialised as is. */
export const anyObject = (description: string) => ({
  description,
  content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } },
})
