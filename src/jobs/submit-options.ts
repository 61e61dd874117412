/**
 * Checks what a caller passes to `node.submit()` before anything is routed:
 * each bad value is a typed error naming the option, instead of a surprise
 * later (a NaN attempt count read as "no provider", a cyclic params object
 * breaking a stream as `connection_lost`, a number as input failing deep inside).
 */

import type { RouteMode } from '../controller/router.ts'
import type { Priority } from '../controller/scheduler.ts'
import { CrankError, ErrorCodes } from '../errors.ts'
import type { OutputMode } from './job-handle.ts'
import type { JobInput } from './job-input.ts'
import { encodeBoundedJson } from './json-bounds.ts'
import { MAX_ATTEMPTS, MAX_DEADLINE_MS } from './limits.ts'

export interface SubmitOptions {
  /** `id`, or `id@range` such as `example.echo@^1`. */
  capability: string
  /** Semver range; overrides one given in `capability`. */
  version?: string
  params?: unknown
  input?: JobInput
  /**
   * `prefer-local` (default): here if this node serves it and has room, else the least loaded
   * of two random remote providers. `any`: the same, but local only when it has room.
   * `local`: never leaves this node. A peer id or peer multiaddr pins the job to that peer.
   */
  route?: RouteMode | string
  /** Only providers that advertise a GPU for this capability. */
  gpu?: boolean
  /** Only providers whose capability carries every one of these tags. */
  tags?: string[]
  /** Attempts on distinct providers for retryable failures (default: config mesh.attempts). */
  attempts?: number
  /** Queue priority on the provider: `high`, `normal` (default) or `low`. */
  priority?: Priority
  /** Milliseconds from now after which the job ends `expired`. */
  deadlineMs?: number
  /** Aborting it cancels the job, like `handle.cancel()`. */
  signal?: AbortSignal
  /** `collect` (default) gathers output into the result; `stream` yields it from the handle with backpressure. */
  output?: OutputMode
  jobId?: string
  /**
   * Keep the job in the node's job store until it ends, with its input, so that it survives the
   * node: the submit is on disk before the handle's `stored` settles, and a node that restarts
   * runs it again (docs/jobs.md). Needs a store (a data dir, or `store.path`).
   */
  durable?: boolean
  /**
   * A submit with a key the store has seen returns a handle on that first job (its result once
   * it ends) and never runs a second one. Needs a store. At most 256 characters.
   */
  idempotencyKey?: string
}

/** The options checked here, as they arrive (anything may come from untyped JavaScript). */
export interface UncheckedSubmitOptions {
  capability?: unknown
  version?: unknown
  params?: unknown
  input?: unknown
  route?: unknown
  gpu?: unknown
  tags?: unknown
  attempts?: unknown
  priority?: unknown
  deadlineMs?: unknown
  output?: unknown
  jobId?: unknown
  durable?: unknown
  idempotencyKey?: unknown
}

const PRIORITIES = ['high', 'normal', 'low']
const MAX_IDEMPOTENCY_KEY_LENGTH = 256
const OUTPUT_MODES = ['collect', 'stream']

function invalid(field: string, message: string): CrankError {
  return new CrankError(ErrorCodes.invalidOption, `${field} ${message}`, { details: { field } })
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v)
  return typeof v
}

function isIterable(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false
  return (
    typeof (v as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function' ||
    typeof (v as Record<symbol, unknown>)[Symbol.iterator] === 'function'
  )
}

/** The first problem with `opts`, or undefined when they are fine. */
export function submitOptionsError(opts: UncheckedSubmitOptions): CrankError | undefined {
  if (typeof opts.capability !== 'string' || opts.capability === '')
    return invalid('capability', `must be a non-empty string, got ${show(opts.capability)}`)
  if (opts.version !== undefined && typeof opts.version !== 'string')
    return invalid('version', `must be a semver range string, got ${show(opts.version)}`)
  if (opts.route !== undefined && (typeof opts.route !== 'string' || opts.route === ''))
    return invalid('route', `must be prefer-local, any, local, a peer id or a multiaddr, got ${show(opts.route)}`)
  if (
    opts.attempts !== undefined &&
    (!Number.isInteger(opts.attempts) || (opts.attempts as number) < 1 || (opts.attempts as number) > MAX_ATTEMPTS)
  )
    return invalid('attempts', `must be an integer from 1 to ${MAX_ATTEMPTS}, got ${show(opts.attempts)}`)
  if (opts.priority !== undefined && !PRIORITIES.includes(opts.priority as string))
    return invalid('priority', `must be one of ${PRIORITIES.join(', ')}, got ${show(opts.priority)}`)
  if (opts.output !== undefined && !OUTPUT_MODES.includes(opts.output as string))
    return invalid('output', `must be one of ${OUTPUT_MODES.join(', ')}, got ${show(opts.output)}`)
  if (
    opts.deadlineMs !== undefined &&
    (typeof opts.deadlineMs !== 'number' || !Number.isFinite(opts.deadlineMs) || opts.deadlineMs <= 0 || opts.deadlineMs > MAX_DEADLINE_MS)
  )
    return invalid('deadlineMs', `must be a number of milliseconds above 0 and at most ${MAX_DEADLINE_MS}, got ${show(opts.deadlineMs)}`)
  if (opts.gpu !== undefined && typeof opts.gpu !== 'boolean') return invalid('gpu', `must be a boolean, got ${show(opts.gpu)}`)
  if (opts.tags !== undefined && (!Array.isArray(opts.tags) || !opts.tags.every((t) => typeof t === 'string')))
    return invalid('tags', 'must be an array of strings')
  if (opts.jobId !== undefined && (typeof opts.jobId !== 'string' || opts.jobId === ''))
    return invalid('jobId', `must be a non-empty string, got ${show(opts.jobId)}`)
  if (opts.durable !== undefined && typeof opts.durable !== 'boolean')
    return invalid('durable', `must be a boolean, got ${show(opts.durable)}`)
  if (
    opts.idempotencyKey !== undefined &&
    (typeof opts.idempotencyKey !== 'string' || opts.idempotencyKey === '' || opts.idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH)
  )
    return invalid(
      'idempotencyKey',
      `must be a non-empty string of at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters, got ${show(opts.idempotencyKey)}`,
    )
  const input = opts.input
  if (input !== undefined && typeof input !== 'string' && !(input instanceof Uint8Array) && !isIterable(input))
    return invalid('input', `must be bytes, a string or an (async) iterable of byte chunks, got ${show(input)}`)
  return undefined
}

/**
 * The params as the JSON bytes a remote job sends, checked once at submit: a cycle, a BigInt,
 * excess depth or size is a typed `invalid_params` naming the field, before anything is routed.
 */
export function encodeParams(params: unknown): Uint8Array {
  try {
    return encodeBoundedJson(params ?? {}, 'params', ErrorCodes.invalidParams)
  } catch (err) {
    throw err instanceof CrankError ? err : new CrankError(ErrorCodes.invalidParams, `params cannot be read: ${(err as Error).message}`)
  }
}
