/**
 * The messages a controller and its workers exchange, for both the thread and
 * the process runtime. Binary payloads travel as Uint8Array: transferred (not
 * copied) between threads, and written once onto the pipe by the v8 serializer
 * between processes. Input flows under credit: the controller sends an input
 * chunk only while the worker has granted room for it.
 */

import type { ProgressUpdate } from '../capability.ts'
import type { JobOutcome } from '../controller/executor.ts'
import type { ErrorInfo } from '../errors.ts'
import type { Caller } from '../trust/caller.ts'

/** Controller → worker. */
export type ControlMessage =
  | { t: 'start'; jobId: string; params: unknown; deadline?: number; validateOutput: boolean; logLevel: string; caller?: Caller }
  | { t: 'input'; jobId: string; chunk: Uint8Array }
  | { t: 'input-end'; jobId: string }
  | { t: 'input-error'; jobId: string; error: ErrorInfo }
  /** The controller's sink accepted `n` more output chunks. */
  | { t: 'output-ack'; jobId: string; n: number }
  | { t: 'cancel'; jobId: string; reason: ErrorInfo }
  | { t: 'ping'; seq: number }

/** Worker → controller. */
export type WorkerMessage =
  | { t: 'ready'; key: string; pid: number; threadId: number }
  | { t: 'boot-failed'; error: ErrorInfo }
  /** The worker consumed `n` input chunks: the controller may send `n` more. */
  | { t: 'credit'; jobId: string; n: number }
  | { t: 'output'; jobId: string; chunk: Uint8Array }
  | { t: 'progress'; jobId: string; update: ProgressUpdate }
  | { t: 'done'; jobId: string; outcome: JobOutcome }
  /** The handler's own promise settled: the worker is truly free again. */
  | { t: 'released'; jobId: string }
  | { t: 'pong'; seq: number; rss: number; heapUsed: number }
  | { t: 'log'; line: string }

/** Input chunks the controller may have in flight to a worker before it waits for credit. */
export const INPUT_WINDOW = 8
/** Output chunks a worker may have in flight before `ctx.write()` waits for the controller's sink. */
export const OUTPUT_WINDOW = 4

/**
 * A chunk that alone owns its ArrayBuffer can be moved to another thread for free
 * when the sender gives it up (`owned`: a handler's output);
 * a view into a shared or larger buffer (a Buffer pool slice) is copied once, so that
 * the sender's other data is never detached under it.
 */
export function transferable(chunk: Uint8Array, owned = true): { chunk: Uint8Array; transfer: ArrayBuffer[] } {
  const buffer = chunk.buffer
  if (owned && buffer instanceof ArrayBuffer && chunk.byteOffset === 0 && chunk.byteLength === buffer.byteLength && buffer.byteLength > 0) {
    return { chunk, transfer: [buffer] }
  }
  const copy = new Uint8Array(chunk.byteLength)
  copy.set(chunk)
  return { chunk: copy, transfer: [copy.buffer] }
}
