/**
 * The capability API: the only part of Crank that capabilities depend on.
 * A capability is a declared, versioned function with JSON-Schema contracts for
 * its params and its result; the id and major version are the routing key.
 */

import type { ValidateFunction } from 'ajv'
import type { Caller } from './trust/caller.ts'

export type { Caller }

import type { Logger } from 'pino'
import semver from 'semver'
import { CrankError, ErrorCodes } from './errors.ts'
import { compileSchema, type JSONSchema } from './schema.ts'

export type { JSONSchema }

export interface ProgressUpdate {
  /** Units done so far (records, bytes, messages…). */
  done: number
  /** Total units when known. */
  total?: number
  message?: string
}

/** What a handler receives for one job. */
export interface JobContext<P = unknown> {
  readonly jobId: string
  /** Params, already validated against the capability's input schema. */
  readonly params: P
  /** Streamed input bytes; empty when the job has no input. Consume at your own pace: it is backpressured. */
  readonly input: AsyncIterable<Uint8Array>
  /** Fires on cancellation or deadline. `signal.reason` is a CrankError (`cancelled` or `deadline_exceeded`). */
  readonly signal: AbortSignal
  /** Absolute deadline (epoch ms), when the job has one. */
  readonly deadline?: number
  /** Who asked, as the membership layer proved it (peer id, certificate name and roles). */
  readonly caller?: Caller
  readonly log: Logger
  /** Reports progress to the caller. Cheap: updates are coalesced, never block. */
  progress(update: ProgressUpdate): void
  /** Streams an output chunk to the caller; resolves when the chunk is accepted (backpressure). */
  write(chunk: Uint8Array): Promise<void>
}

export interface CapabilityErrorSpec {
  retryable: boolean
  description: string
}

export type WorkerRuntime = 'inline' | 'thread' | 'process'

export interface CapabilityDefinition<P = unknown, R = unknown> {
  /** Dotted lowercase id, e.g. `email.parse`. */
  id: string
  /** Exact semver, e.g. `1.0.0`. Callers match on ranges within a major. */
  version: string
  description: string
  /** JSON Schema of the params object. */
  input: JSONSchema
  /** JSON Schema of the handler's result. */
  output: JSONSchema
  /** Capability-specific error codes a handler may throw as `JobError`. */
  errors?: Record<string, CapabilityErrorSpec>
  /** Free-form routing tags, e.g. `['cpu', 'onnx']`. */
  tags?: string[]
  /** Where the handler runs. Defaults to `inline`. */
  runtime?: WorkerRuntime
  /**
   * Jobs of this capability a node runs at once. Defaults to 4 for `thread` and `process` (one worker
   * each) and to 256 for `inline`, whose handlers share the event loop: a slot there costs nothing,
   * and cheap jobs should not queue behind each other.
   */
  concurrency?: number
  /** Admission: jobs that may wait for a slot (default 64; past it `queue_full`), and how long (default 30 s; past it `expired`). */
  queue?: { limit?: number; timeoutMs?: number }
  resources?: {
    gpu?: boolean
    memoryMb?: number
    /** The handler loads a native addon (e.g. onnxruntime-node): a `process` worker then gets `--allow-addons`. */
    addons?: boolean
  }
  /**
   * Running a job of this capability twice has the effect of running it once (a pure function, a
   * lookup). A provider then runs a repeat of a durable job again instead of answering it from its
   * store, and keeps no answer for it. Default false: a repeat is answered, never run twice.
   */
  idempotent?: boolean
  /**
   * URL of the module whose default export is this capability (`import.meta.url`).
   * Needed for `thread` and `process` runtimes, which import the handler in another isolate.
   */
  module?: string
  handler: (ctx: JobContext<P>) => Promise<R> | R
}

export interface Capability<P = unknown, R = unknown> extends Readonly<CapabilityDefinition<P, R>> {
  /** `id@major`, the routing key. */
  readonly key: string
  readonly major: number
  readonly validateParams: ValidateFunction<P>
  readonly validateOutput: ValidateFunction<R>
}

const ID_PATTERN = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$/

export function defineCapability<P = unknown, R = unknown>(def: CapabilityDefinition<P, R>): Capability<P, R> {
  if (!ID_PATTERN.test(def.id)) {
    throw new CrankError(ErrorCodes.invalidConfig, `capability id "${def.id}" must be dotted lowercase, e.g. "email.parse"`)
  }
  const version = semver.valid(def.version)
  if (version === null) throw new CrankError(ErrorCodes.invalidConfig, `capability ${def.id}: version "${def.version}" is not semver`)
  if (typeof def.handler !== 'function') throw new CrankError(ErrorCodes.invalidConfig, `capability ${def.id}: handler must be a function`)
  if (def.idempotent !== undefined && typeof def.idempotent !== 'boolean') {
    throw new CrankError(ErrorCodes.invalidConfig, `capability ${def.id}: idempotent must be a boolean`)
  }
  if (def.concurrency !== undefined && (!Number.isInteger(def.concurrency) || def.concurrency < 1)) {
    throw new CrankError(ErrorCodes.invalidConfig, `capability ${def.id}: concurrency must be a positive integer`)
  }
  let validateParams: ValidateFunction<P>
  let validateOutput: ValidateFunction<R>
  try {
    validateParams = compileSchema<P>(def.input)
    validateOutput = compileSchema<R>(def.output)
  } catch (err) {
    throw new CrankError(ErrorCodes.invalidConfig, `capability ${def.id}: bad schema: ${(err as Error).message}`, { cause: err })
  }
  const major = semver.major(version)
  return Object.freeze({ ...def, version, key: `${def.id}@${major}`, major, validateParams, validateOutput })
}

/** A capability of any params and result type, as held by registries. */
// biome-ignore lint/suspicious/noExplicitAny: registries hold capabilities of every params/result type; handlers stay typed at definition.
export type AnyCapability = Capability<any, any>
