/**
 * What the job store's main thread and its thread (job-store-thread.ts) say to each other. Kept
 * apart so that the thread loads nothing but this and node:sqlite before it opens the file.
 */
export type SqlValue = string | number | bigint | Uint8Array | null

/** How an error crosses from the thread: enough to rebuild a CrankError or classify SQLite's code. */
export interface WireError {
  message: string
  errcode?: number
  /** `ENOSPC` when a file write found the disk full. */
  code?: string
  crankCode?: string
  details?: Record<string, unknown>
}

export type StoreRequest =
  | { op: 'write'; seq: number; kinds: Uint8Array; args: SqlValue[] }
  | { op: 'open'; id: number }
  | { op: 'get' | 'all' | 'run'; id: number; sql: string; args: SqlValue[] }
  | { op: 'claim'; id: number; args: SqlValue[] }
  | { op: 'deleteEnded'; id: number; ids: string[] }
  | { op: 'answerKeys'; id: number }
  | { op: 'close'; id: number }

/** A write batch's outcome; `dropped` names rows (by index) that failed on their own and were left out. */
export interface WriteReply {
  t: 'w'
  seq: number
  /** How long the transaction took, on the last batch it carried only: one figure per commit. */
  seconds?: number
  error?: WireError
  diskFull?: boolean
  dropped?: Array<{ index: number; error: WireError }>
}

export type StoreReply = WriteReply | { t: 's'; id: number; ok: true; value: unknown } | { t: 's'; id: number; ok: false; error: WireError }

export interface StoreThreadData {
  signal: SharedArrayBuffer
  path: string
  synchronous: 'normal' | 'full'
}

/** Row kinds in a write batch; each takes `ROW_WIDTH[kind]` values of the batch's flat `args`. */
export const RowKind = { insert: 0, update: 1, served: 2 } as const

/** An insert is every column; an update is the id and the fifteen columns that change; served is its twelve columns. */
export const ROW_WIDTH: readonly number[] = [24, 16, 12]

/**
 * A 32-bit FNV-1a hash of a served job's caller and idempotency key: the store keeps these for
 * every answer it holds, so a key it has never answered (nearly every one) is told apart without
 * asking the thread. Two keys with one hash only cost that question.
 */
export function answerKeyHash(caller: string, key: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < caller.length; i++) h = Math.imul(h ^ caller.charCodeAt(i), 0x01000193)
  h = Math.imul(h ^ 0, 0x01000193)
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
  return h
}
