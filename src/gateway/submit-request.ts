/**
 * What a `POST /v1/jobs` asks for, read into `SubmitOptions`. Two forms:
 *
 * - JSON: `{capability, params, route, deadlineMs, priority, attempts, input, idempotencyKey, durable}`,
 *   where `input` is `{base64}` for bytes, a string for its UTF-8 text, or any other JSON value
 *   for its JSON text.
 * - Raw: the body is the job's input (`application/octet-stream`), streamed into the job as it
 *   arrives and never held whole; the options come from the query string or `Crank-*` headers.
 *
 * Values are checked by the node itself (`invalid_option`, `invalid_params`), so the gateway and
 * the library refuse the same things with the same codes.
 */
import { createHash } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { CrankError, ErrorCodes } from '../errors.ts'
import type { SubmitOptions } from '../jobs/submit-options.ts'
import { GatewayErrorCodes } from './problems.ts'

/** SubmitOptions as the job store extends them; passed only to a node that has one. */
export type StoreSubmitOptions = SubmitOptions & { idempotencyKey?: string; durable?: boolean }

export interface SubmitRequest {
  options: SubmitOptions
  idempotencyKey?: string
  durable: boolean
  /** Names the request, so that an Idempotency-Key reused for another request is caught; only with a key. */
  fingerprint?: string
  /** The streamed body, for a raw submission. */
  raw?: MeteredInput
}

const PRIORITY = { enum: ['high', 'normal', 'low'] }
const OPTION_PROPERTIES = {
  capability: { type: 'string', minLength: 1, description: '`id` or `id@range`, e.g. `example.echo@^1`' },
  version: { type: 'string', description: 'semver range; overrides one in `capability`' },
  route: { type: 'string', description: '`prefer-local` (default), `any`, `local`, or a peer id or multiaddr to pin the job to' },
  deadlineMs: { type: 'integer', minimum: 1, description: 'milliseconds from now after which the job ends `expired`' },
  priority: { ...PRIORITY, description: 'queue priority on the provider (default `normal`)' },
  attempts: { type: 'integer', minimum: 1, description: 'attempts on distinct providers for retryable failures' },
  durable: { type: 'boolean', description: 'keep the job in the node’s job store so it survives a restart (needs a job store)' },
}

/** The JSON body's schema (OpenAPI shows it; fastify checks it). */
export const SUBMIT_BODY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['capability'],
  properties: {
    ...OPTION_PROPERTIES,
    params: {
      description: 'the capability’s params; its schema is components.schemas["<capability>.v<major>.params"] in /openapi.json',
    },
    gpu: { type: 'boolean', description: 'only providers that advertise a GPU' },
    tags: { type: 'array', items: { type: 'string' }, description: 'only providers whose capability has every tag' },
    input: {
      description: 'job input: `{"base64": "..."}` for bytes, a string for its UTF-8 text, any other JSON value for its JSON text',
    },
    idempotencyKey: { type: 'string', minLength: 1, maxLength: 255, description: 'as the Idempotency-Key header' },
  },
}

/** The query string of `POST /v1/jobs`: `wait`, and a raw submission's options. */
export const SUBMIT_QUERY_SCHEMA = {
  type: 'object',
  properties: {
    wait: { type: 'boolean', description: 'answer with the ended job instead of 202' },
    ...OPTION_PROPERTIES,
    params: { type: 'string', description: 'raw submissions: the params as JSON text' },
  },
}

/** Raw submissions may name options in headers instead (`Crank-Capability`, `Crank-Params`, …). */
const HEADER_OPTIONS: Record<string, keyof typeof OPTION_PROPERTIES | 'params'> = {
  'crank-capability': 'capability',
  'crank-version': 'version',
  'crank-params': 'params',
  'crank-route': 'route',
  'crank-deadline-ms': 'deadlineMs',
  'crank-priority': 'priority',
  'crank-attempts': 'attempts',
  'crank-durable': 'durable',
}

export function idempotencyKeyOf(headers: IncomingHttpHeaders, fromBody?: string): string | undefined {
  const header = headers['idempotency-key']
  const key = typeof header === 'string' && header !== '' ? header : fromBody
  if (key !== undefined && (key.length > 255 || !/^[\x21-\x7e]+$/.test(key)))
    throw new CrankError(ErrorCodes.invalidOption, 'Idempotency-Key must be 1 to 255 visible ASCII characters', {
      details: { field: 'idempotencyKey' },
    })
  return key
}

export function fromJsonBody(body: Record<string, unknown>, headers: IncomingHttpHeaders): SubmitRequest {
  const { input, idempotencyKey, durable, ...rest } = body
  const options = { ...rest, ...(input === undefined ? {} : { input: decodeInput(input) }) } as SubmitOptions
  const key = idempotencyKeyOf(headers, idempotencyKey as string | undefined)
  if (key === undefined) return { options, durable: durable === true }
  return {
    options,
    idempotencyKey: key,
    durable: durable === true,
    fingerprint: fingerprintOf({ ...rest, input: input ?? null, durable: durable === true }),
  }
}

export function fromRawBody(
  body: AsyncIterable<Uint8Array>,
  query: Record<string, unknown>,
  headers: IncomingHttpHeaders,
  maxInputBytes: number,
): SubmitRequest {
  const fields: Record<string, unknown> = {}
  for (const [header, field] of Object.entries(HEADER_OPTIONS)) {
    const v = headers[header]
    if (typeof v === 'string')
      fields[field] = field === 'deadlineMs' || field === 'attempts' ? Number(v) : field === 'durable' ? v === 'true' : v
  }
  for (const field of [...Object.keys(OPTION_PROPERTIES), 'params']) if (query[field] !== undefined) fields[field] = query[field]
  const { params, durable, ...rest } = fields
  if (typeof rest.capability !== 'string' || rest.capability === '')
    throw new CrankError(ErrorCodes.invalidOption, 'a raw submission names its capability in ?capability= or a Crank-Capability header', {
      details: { field: 'capability' },
    })
  let parsedParams: unknown
  if (params !== undefined) {
    try {
      parsedParams = JSON.parse(String(params))
    } catch (err) {
      throw new CrankError(ErrorCodes.invalidParams, `params is not JSON: ${(err as Error).message}`, { details: { field: 'params' } })
    }
  }
  const length = Number(headers['content-length'])
  if (Number.isFinite(length) && length > maxInputBytes)
    throw new CrankError(
      ErrorCodes.inputTooLarge,
      `the body is ${length} bytes; raw input may be at most ${maxInputBytes} (gateway.maxInputBytes)`,
    )
  const raw = new MeteredInput(body, maxInputBytes)
  const key = idempotencyKeyOf(headers)
  return {
    options: { ...(rest as unknown as SubmitOptions), ...(parsedParams === undefined ? {} : { params: parsedParams }), input: raw },
    durable: durable === true,
    ...(key === undefined
      ? {}
      : {
          idempotencyKey: key,
          fingerprint: fingerprintOf({ ...rest, params: parsedParams ?? null, raw: true, durable: durable === true }),
        }),
    raw,
  }
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/

function decodeInput(input: unknown): Uint8Array | string {
  if (typeof input === 'string') return input
  if (typeof input === 'object' && input !== null && !Array.isArray(input) && Object.keys(input).length === 1 && 'base64' in input) {
    const text = (input as { base64: unknown }).base64
    if (typeof text !== 'string' || !BASE64.test(text.replace(/\s+/g, '')))
      throw new CrankError(GatewayErrorCodes.invalidRequest, 'input.base64 must be a base64 string', { details: { field: 'input' } })
    return Buffer.from(text, 'base64')
  }
  return JSON.stringify(input)
}

/** SHA-256 of the request's JSON with keys sorted, so that key order does not make two equal requests differ. */
function fingerprintOf(value: unknown): string {
  return createHash('sha256').update(canonical(value)).digest('hex')
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (typeof value === 'object' && value !== null)
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`
  return JSON.stringify(value) ?? 'null'
}

/**
 * A raw request body as job input: counted as it streams (past `limit` it fails
 * `input_too_large`), with `done` settling when it has been read to the end, or failed.
 */
export class MeteredInput implements AsyncIterable<Uint8Array> {
  readonly #source: AsyncIterable<Uint8Array>
  readonly #limit: number
  bytes = 0
  chunks = 0
  /** Set when the body ran past the limit. */
  tooLarge = false
  /** Set when the body was read to its end. */
  finished = false
  readonly done: Promise<void>
  #settle!: () => void
  #opened = false

  constructor(source: AsyncIterable<Uint8Array>, limit: number) {
    this.#source = source
    this.#limit = limit
    this.done = new Promise((resolve) => {
      this.#settle = resolve
    })
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    // A body can be read once; a retry of a job whose input was read ends not_replayable in the dispatcher.
    if (this.#opened) throw new CrankError(ErrorCodes.notReplayable, 'the request body was already read')
    this.#opened = true
    try {
      for await (const chunk of this.#source) {
        this.bytes += chunk.byteLength
        this.chunks++
        if (this.bytes > this.#limit) {
          this.tooLarge = true
          throw new CrankError(ErrorCodes.inputTooLarge, `raw input exceeds ${this.#limit} bytes (gateway.maxInputBytes)`)
        }
        yield chunk
      }
      this.finished = true
    } finally {
      this.#settle()
    }
  }
}
