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
  | { op: 'close'; id: number }

/** A write batch's outcome; `dropped` names rows (by index) that failed on their own and were left out. */
export interface WriteReply {
  t: 'w'
  seq: number
  seconds: number
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
