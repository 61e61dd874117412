/**
 * Entry of the job store's thread: it owns the SQLite connection, so the inserts, updates,
 * commits and WAL checkpoints of a busy node run beside the event loop instead of on it.
 *
 * Requests arrive in order on one port. Writes (batches of job rows) are answered when their
 * transaction has committed; other requests (reads, a keyed insert, deletes) are answered at
 * once, and the main thread waits for those answers (see job-store-connection.ts). Every answer
 * bumps a shared counter and notifies it, which is what that wait sleeps on.
 *
 * Only node: built-ins and job-store-wire.ts (types, constants, one hash) are imported
 * statically: the store's schema module is imported when the file is opened, so a thread that
 * cannot load it still answers, with the reason, instead of leaving the main thread waiting.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite'
import type { MessagePort } from 'node:worker_threads'
import { receiveMessageOnPort, workerData } from 'node:worker_threads'
import {
  answerKeyHash,
  ROW_WIDTH,
  RowKind,
  type SqlValue,
  type StoreReply,
  type StoreRequest,
  type StoreThreadData,
  type WireError,
} from './job-store-wire.ts'

const { port, signal: signalBuffer, path, synchronous } = workerData as StoreThreadData & { port: MessagePort }
const signal = new Int32Array(signalBuffer)

/** The columns a job's update sets; an insert writes the job's fixed columns, then these (see job-store-rows.ts). */
const CHANGING = `state, attempts, peer, reason, version, error, result, output, output_bytes, input_kind, input_bytes,
  replayable, events, started_at, ended_at`
const INSERT = `INSERT INTO jobs (id, capability, version_range, params, options, durable, idempotency_key, input, created_at,
  ${CHANGING}) VALUES (${Array(24).fill('?').join(', ')})`
const UPDATE_SET = `UPDATE jobs SET ${CHANGING.split(',')
  .map((c) => `${c.trim()} = ?`)
  .join(', ')}`
/** Where the state is in an insert's values. */
const INSERT_STATE = 9
const SERVED = `INSERT OR REPLACE INTO served (caller, job_id, capability, version, state, error, idempotency_key, result,
  output, output_bytes, started_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'expired'])

let db: DatabaseSync | undefined
let isDiskFull: (err: unknown) => boolean = () => false
const statements = new Map<string, StatementSync>()
/** Rowids of rows this thread inserted whose job has not ended: an update finds its row without the id index. */
const rowids = new Map<string, number>()

/** Prepared statements kept; reads with filters make new SQL text, so the cache starts afresh past this. */
const MAX_STATEMENTS = 256

function statement(sql: string): StatementSync {
  let s = statements.get(sql)
  if (s === undefined) {
    if (db === undefined) throw new Error('the job store is not open')
    if (statements.size >= MAX_STATEMENTS) statements.clear()
    s = db.prepare(sql)
    statements.set(sql, s)
  }
  return s
}

function reply(msg: StoreReply): void {
  port.postMessage(msg)
  Atomics.add(signal, 0, 1)
  Atomics.notify(signal, 0)
}

function wireError(err: unknown): WireError {
  const e = err as { message?: unknown; errcode?: unknown; code?: unknown; name?: unknown; details?: unknown }
  return {
    message: typeof e?.message === 'string' ? e.message : String(err),
    ...(typeof e?.errcode === 'number' ? { errcode: e.errcode } : {}),
    ...(e?.name === 'CrankError' && typeof e.code === 'string'
      ? { crankCode: e.code, ...(e.details === undefined ? {} : { details: e.details as Record<string, unknown> }) }
      : {}),
    ...(e?.code === 'ENOSPC' ? { code: 'ENOSPC' } : {}),
  }
}

async function open(): Promise<void> {
  const schema = (await import(`./job-store-schema${extension()}`)) as typeof import('./job-store-schema.ts')
  isDiskFull = schema.isDiskFull
  db = schema.openJobDatabase(path, { synchronous })
}

/** The entry's own extension: `.ts` from the repository, `.js` from the built package (see src/sibling-module.ts). */
function extension(): string {
  return import.meta.url.endsWith('.ts') ? '.ts' : '.js'
}

function writeRow(kind: number, args: SqlValue[], at: number): void {
  if (kind === RowKind.insert) {
    const row = args.slice(at, at + ROW_WIDTH[kind]!)
    const rowid = Number(statement(INSERT).run(...row).lastInsertRowid)
    if (!TERMINAL.has(row[INSERT_STATE] as string)) rowids.set(row[0] as string, rowid)
  } else if (kind === RowKind.update) {
    const id = args[at] as string
    const set = args.slice(at + 1, at + ROW_WIDTH[kind]!)
    const rowid = rowids.get(id)
    if (rowid === undefined) statement(`${UPDATE_SET} WHERE id = ?`).run(...set, id)
    else statement(`${UPDATE_SET} WHERE rowid = ?`).run(...set, rowid)
    if (TERMINAL.has(set[0] as string)) rowids.delete(id)
  } else {
    statement(SERVED).run(...args.slice(at, at + ROW_WIDTH[kind]!))
  }
}

function rollback(): void {
  try {
    db?.exec('ROLLBACK')
  } catch {}
}

type WriteRequest = Extract<StoreRequest, { op: 'write' }>

function writeBatch(batch: WriteRequest): void {
  let at = 0
  for (const kind of batch.kinds) {
    writeRow(kind, batch.args, at)
    at += ROW_WIDTH[kind]!
  }
}

/** Writes these batches in one transaction (a busy node posts several while one commits), then answers each. */
function write(batches: WriteRequest[]): void {
  const since = performance.now()
  try {
    db?.exec('BEGIN')
    for (const b of batches) writeBatch(b)
    db?.exec('COMMIT')
    const seconds = (performance.now() - since) / 1000
    const last = batches.length - 1
    for (let i = 0; i < last; i++) reply({ t: 'w', seq: batches[i]!.seq })
    reply({ t: 'w', seq: batches[last]!.seq, seconds })
    return
  } catch (err) {
    rollback()
    if (isDiskFull(err)) {
      for (const b of batches) reply({ t: 'w', seq: b.seq, error: wireError(err), diskFull: true })
      return
    }
  }
  for (const b of batches) writeOneByOne(b, since)
}

/** One bad row (a constraint, say) must not hold back the rest: each is written on its own. */
function writeOneByOne(batch: WriteRequest, since: number): void {
  const dropped: Array<{ index: number; error: WireError }> = []
  let at = 0
  for (let i = 0; i < batch.kinds.length; i++) {
    const kind = batch.kinds[i]!
    try {
      db?.exec('BEGIN')
      writeRow(kind, batch.args, at)
      db?.exec('COMMIT')
    } catch (err) {
      rollback()
      dropped.push({ index: i, error: wireError(err) })
    }
    at += ROW_WIDTH[kind]!
  }
  reply({ t: 'w', seq: batch.seq, seconds: (performance.now() - since) / 1000, dropped })
}

/** A keyed job's insert: the UNIQUE index decides who holds the key. */
function claim(args: SqlValue[]): { rowid?: number; holder?: string } {
  const row = statement(`${INSERT} ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING rowid`).get(
    ...args,
  ) as { rowid: number } | undefined
  if (row !== undefined) {
    rowids.set(args[0] as string, row.rowid)
    return { rowid: row.rowid }
  }
  const holder = statement('SELECT id FROM jobs WHERE idempotency_key = ?').get(args[6] as string) as { id: string } | undefined
  return holder === undefined ? {} : { holder: holder.id }
}

/** Deletes ended jobs by id, 500 to a transaction; returns how many rows went. */
function deleteEnded(ids: string[]): number {
  let deleted = 0
  const del = statement('DELETE FROM jobs WHERE id = ? AND ended_at IS NOT NULL')
  for (let i = 0; i < ids.length; i += 500) {
    db?.exec('BEGIN')
    try {
      for (const id of ids.slice(i, i + 500)) deleted += Number(del.run(id).changes)
      db?.exec('COMMIT')
    } catch (err) {
      rollback()
      throw err
    }
  }
  return deleted
}

function answer(req: Exclude<StoreRequest, { op: 'write' | 'open' }>): unknown {
  switch (req.op) {
    case 'get':
      return statement(req.sql).get(...req.args)
    case 'all':
      return statement(req.sql).all(...req.args)
    case 'run':
      return Number(statement(req.sql).run(...req.args).changes)
    case 'claim':
      return claim(req.args)
    case 'deleteEnded':
      return deleteEnded(req.ids)
    case 'answerKeys': {
      const rows = statement(
        "SELECT caller, idempotency_key AS key FROM served WHERE state = 'succeeded' AND idempotency_key IS NOT NULL",
      ).all() as Array<{ caller: string; key: string }>
      return Int32Array.from(rows, (r) => answerKeyHash(r.caller, r.key))
    }
    case 'close':
      statements.clear()
      db?.close()
      db = undefined
      return undefined
  }
}

function answerCall(req: Exclude<StoreRequest, { op: 'write' | 'open' }>): void {
  let value: unknown
  try {
    value = answer(req)
  } catch (err) {
    reply({ t: 's', id: req.id, ok: false, error: wireError(err) })
    return
  }
  reply({ t: 's', id: req.id, ok: true, value })
}

port.on('message', (req: StoreRequest) => {
  if (req.op === 'open') {
    // The only request that awaits (its import); the main thread sends nothing else until it is answered.
    open().then(
      () => reply({ t: 's', id: req.id, ok: true, value: undefined }),
      (err: unknown) => reply({ t: 's', id: req.id, ok: false, error: wireError(err) }),
    )
    return
  }
  if (req.op !== 'write') {
    answerCall(req)
    return
  }
  // Every write already queued behind this one joins its transaction; a call among them waits
  // for the writes before it, so it sees them, as it would have in order.
  let writes: WriteRequest[] = [req]
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
    const next = m.message as StoreRequest
    if (next.op === 'write') {
      writes.push(next)
      continue
    }
    write(writes)
    writes = []
    if (next.op !== 'open') answerCall(next)
  }
  if (writes.length > 0) write(writes)
})
