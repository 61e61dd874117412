/**
 * Opens the job store's SQLite file, or says precisely why not: a corrupt file, one another
 * process holds, or one written by a newer schema is a typed CrankError at start, and nothing
 * is written to it before it has been read back whole once, so such a file is left as it was.
 *
 * The database is held with an exclusive lock for the node's lifetime: one node per data dir,
 * which a second one learns at once (`store_locked`) instead of both writing the same jobs.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { CrankError } from '../errors.ts'
import { StoreErrorCodes } from './store-errors.ts'

/** Bumped with every change to the tables below; a file from a newer version is refused, not migrated down. */
export const SCHEMA_VERSION = 1

/** WAL pages (4 KiB each) between automatic checkpoints; SQLite's default is 1000. */
const WAL_CHECKPOINT_PAGES = 10_000

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY NOT NULL,
  capability TEXT NOT NULL,
  version_range TEXT NOT NULL,
  params TEXT NOT NULL,
  options TEXT NOT NULL,
  durable INTEGER NOT NULL,
  idempotency_key TEXT,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  peer TEXT,
  reason TEXT,
  version TEXT,
  error TEXT,
  result TEXT,
  output BLOB,
  output_bytes INTEGER,
  input_kind TEXT NOT NULL,
  input BLOB,
  input_bytes INTEGER NOT NULL,
  replayable INTEGER NOT NULL,
  events TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_idempotency_key ON jobs(idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS served (
  caller TEXT NOT NULL,
  job_id TEXT NOT NULL,
  capability TEXT NOT NULL,
  version TEXT NOT NULL,
  state TEXT NOT NULL,
  error TEXT,
  idempotency_key TEXT,
  result TEXT,
  output BLOB,
  output_bytes INTEGER,
  started_at INTEGER NOT NULL,
  ended_at INTEGER NOT NULL,
  PRIMARY KEY (caller, job_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS served_idempotency_key ON served(caller, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS served_ended_at ON served(ended_at);
`

/** SQLite's primary result codes we tell apart (errcode & 0xff). */
const SQLITE_BUSY = 5
const SQLITE_LOCKED = 6
const SQLITE_CORRUPT = 11
const SQLITE_FULL = 13
const SQLITE_CANTOPEN = 14
const SQLITE_NOTADB = 26

/** The primary SQLite result code of an error node:sqlite threw, if it is one. */
export function sqliteCode(err: unknown): number | undefined {
  const code = (err as { errcode?: unknown } | null)?.errcode
  return typeof code === 'number' ? code & 0xff : undefined
}

/** Whether a write failed because the disk is full. */
export function isDiskFull(err: unknown): boolean {
  return sqliteCode(err) === SQLITE_FULL || (err as NodeJS.ErrnoException | null)?.code === 'ENOSPC'
}

/** A typed error for a failure while opening or first reading `path`. */
function openError(path: string, err: unknown): CrankError {
  const code = sqliteCode(err)
  const why = (err as Error).message
  if (code === SQLITE_BUSY || code === SQLITE_LOCKED) {
    return new CrankError(
      StoreErrorCodes.storeLocked,
      `job store ${path} is held by another process (is a node already running from this data dir?): ${why}`,
      { cause: err },
    )
  }
  if (code === SQLITE_CORRUPT || code === SQLITE_NOTADB) {
    return new CrankError(
      StoreErrorCodes.storeCorrupt,
      `job store ${path} is not a readable SQLite database (${why}); it was left untouched: move it aside to start with an empty store, or restore it`,
      { cause: err },
    )
  }
  if (code === SQLITE_CANTOPEN) {
    return new CrankError(StoreErrorCodes.storeUnavailable, `job store ${path} cannot be opened: ${why}`, { cause: err })
  }
  if (isDiskFull(err)) return new CrankError(StoreErrorCodes.storeFull, `job store ${path}: the disk is full: ${why}`, { cause: err })
  return new CrankError(StoreErrorCodes.storeUnavailable, `job store ${path}: ${why}`, { cause: err })
}

export interface OpenOptions {
  /** `normal`: commits survive a killed process; `full`: also a power cut (an fsync per commit). */
  synchronous: 'normal' | 'full'
  /** How long to wait for another holder of the file before `store_locked`. */
  busyTimeoutMs?: number
}

/** Opens (creating when absent) the store at `path`, checked and ready for writes. */
export function openJobDatabase(path: string, opts: OpenOptions): DatabaseSync {
  try {
    mkdirSync(dirname(path), { recursive: true })
  } catch (err) {
    throw new CrankError(StoreErrorCodes.storeUnavailable, `job store directory ${dirname(path)}: ${(err as Error).message}`, {
      cause: err,
    })
  }
  let db: DatabaseSync
  try {
    db = new DatabaseSync(path, { timeout: opts.busyTimeoutMs ?? 250 })
  } catch (err) {
    throw openError(path, err)
  }
  try {
    // Exclusive before WAL: the WAL index then lives in this process's memory (no -shm file), and
    // the lock taken by the first read below is held until close.
    db.exec('PRAGMA locking_mode = EXCLUSIVE')
    // Reads only, until the file is known to be ours and whole: a corrupt file stays as it was.
    const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version
    if (version > SCHEMA_VERSION) {
      throw new CrankError(
        StoreErrorCodes.storeUnavailable,
        `job store ${path} has schema version ${version}, newer than this node's ${SCHEMA_VERSION}: run a newer crank-node, or move the file aside`,
      )
    }
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>
    // Every page of both tables is read once: a file whose header is fine but whose pages are not fails here.
    for (const { name } of tables) {
      if (name === 'jobs' || name === 'served') db.prepare(`SELECT count(*) AS n, max(length(CAST(rowid AS TEXT))) FROM ${name}`).get()
    }
    db.exec('PRAGMA journal_mode = WAL')
    db.exec(`PRAGMA synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
    // A checkpoint (WAL pages copied back into the file, with an fsync each side in `normal` mode)
    // runs inside a commit, on the event loop: fewer, larger ones stall the node less often, and a
    // job row rewritten many times between two of them is copied once. The WAL may reach ~40 MiB.
    db.exec(`PRAGMA wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`)
    db.exec(`PRAGMA journal_size_limit = ${WAL_CHECKPOINT_PAGES * 4096}`)
    db.exec('BEGIN IMMEDIATE')
    db.exec(SCHEMA)
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`)
    db.exec('COMMIT')
    return db
  } catch (err) {
    try {
      db.close()
    } catch {}
    if (err instanceof CrankError) throw err
    throw openError(path, err)
  }
}
