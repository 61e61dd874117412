/**
 * The job store's thread, through its connection, on real SQLite files: ordering between posted
 * writes and synchronous reads, one bad row among good ones, a write in flight at close, and a
 * thread that dies. The store's behaviour through nodes is in job-store.test.ts.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Worker } from 'node:worker_threads'
import { CrankError } from '../src/errors.ts'
import { StoreConnection } from '../src/jobs/job-store-connection.ts'
import { answerKeyHash, RowKind, type SqlValue, type WriteReply } from '../src/jobs/job-store-wire.ts'
import { StoreErrorCodes } from '../src/jobs/store-errors.ts'

const dirs: string[] = []
const open: StoreConnection[] = []
function connect(path?: string): StoreConnection {
  let file = path
  if (file === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'crank-store-thread-'))
    dirs.push(dir)
    file = join(dir, 'jobs.db')
  }
  const c = new StoreConnection(file, 'normal')
  open.push(c)
  return c
}

/** A job row as the store inserts it: the fixed columns, then those an update sets (insertArgs's order). */
function jobRow(id: string, state = 'queued'): SqlValue[] {
  const now = Date.now()
  const ended = state === 'queued' ? null : now
  const fixed = [id, 'example.echo', '', '{}', '{}', 1, null, null, now]
  return [...fixed, state, 0, null, null, null, null, null, null, null, 'none', 0, 1, '[]', null, ended]
}

function batch(...rows: SqlValue[][]): { kinds: Uint8Array; args: SqlValue[] } {
  return { kinds: new Uint8Array(rows.length).fill(RowKind.insert), args: rows.flat() }
}

/** The next write reply the connection reports. */
function nextReply(c: StoreConnection): Promise<WriteReply> {
  return new Promise((resolve) => {
    c.onWritten = resolve
  })
}

describe('job store thread', () => {
  afterEach(() => {
    for (const c of open.splice(0)) c.close()
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  it('a read sees every write posted before it, without waiting for the write’s answer', () => {
    const c = connect()
    for (let i = 0; i < 50; i++) {
      const { kinds, args } = batch(jobRow(`a${i}`))
      c.write(i + 1, kinds, args)
    }
    // Synchronous: the 50 writes were only posted, and their answers have not been read yet.
    assert.equal(c.get<{ n: number }>('SELECT count(*) AS n FROM jobs')?.n, 50)
    assert.deepEqual(
      c.all<{ id: string }>('SELECT id FROM jobs ORDER BY rowid LIMIT 3').map((r) => r.id),
      ['a0', 'a1', 'a2'],
    )
  })

  it('one row that cannot be written is dropped and named; the rest of its batch is committed', async () => {
    const c = connect()
    const first = batch(jobRow('dup'))
    c.write(1, first.kinds, first.args)
    assert.equal((await nextReply(c)).dropped, undefined)
    // The second insert of `dup` breaks the primary key; `x` and `y` around it are fine.
    const mixed = batch(jobRow('x'), jobRow('dup'), jobRow('y'))
    const reply = nextReply(c)
    c.write(2, mixed.kinds, mixed.args)
    const r = await reply
    assert.equal(r.seq, 2)
    assert.deepEqual(
      r.dropped?.map((d) => d.index),
      [1],
    )
    assert.match(r.dropped?.[0]?.error.message ?? '', /UNIQUE/)
    assert.deepEqual(
      c.all<{ id: string }>('SELECT id FROM jobs ORDER BY id').map((row) => row.id),
      ['dup', 'x', 'y'],
    )
  })

  it('close waits for the writes in flight and reports each before it returns', () => {
    const c = connect()
    const seen: number[] = []
    c.onWritten = (r) => seen.push(r.seq)
    for (let i = 1; i <= 20; i++) {
      const { kinds, args } = batch(jobRow(`c${i}`))
      c.write(i, kinds, args)
    }
    c.close()
    assert.deepEqual(
      seen,
      Array.from({ length: 20 }, (_, i) => i + 1),
    )
  })

  it('the answers a provider holds are known by their key hashes after a restart, and only those', () => {
    const c = connect()
    const served = (caller: string, key: string | null, state: string): SqlValue[] => [
      caller,
      `job-${caller}-${key}`,
      'example.echo',
      '1.0.0',
      state,
      null,
      key,
      null,
      null,
      null,
      1,
      2,
    ]
    const rows = [served('peerA', 'k1', 'succeeded'), served('peerB', 'k1', 'failed'), served('peerC', null, 'succeeded')]
    c.write(1, new Uint8Array(rows.length).fill(RowKind.served), rows.flat())
    c.close()
    const path = dirs.at(-1) as string
    const again = connect(join(path, 'jobs.db'))
    assert.deepEqual([...again.answerKeys()], [answerKeyHash('peerA', 'k1')])
    assert.notEqual(answerKeyHash('peerA', 'k1'), answerKeyHash('peerB', 'k1'))
    assert.notEqual(answerKeyHash('peer', 'Ak1'), answerKeyHash('peerA', 'k1'))
  })

  it('holds the process open only while a write is in flight: a process that never closes it still exits, after its write commits', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crank-store-thread-exit-'))
    dirs.push(dir)
    const connection = fileURLToPath(new URL('../src/jobs/job-store-connection.ts', import.meta.url))
    const script = join(dir, 'never-closes.ts')
    writeFileSync(
      script,
      `import { StoreConnection } from ${JSON.stringify(connection)}
const c = new StoreConnection(${JSON.stringify(join(dir, 'jobs.db'))}, 'normal')
c.onWritten = (r) => console.log('written', r.seq, r.error === undefined ? 'ok' : r.error.message)
c.write(1, new Uint8Array([0]), ${JSON.stringify(jobRow('exit-1'))})
`,
    )
    // The timeout only guards against a hang; the process is expected to end by itself.
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 60_000 })
    assert.equal(run.signal, null, `killed by the guard: it did not exit (${run.stderr})`)
    assert.equal(run.status, 0, run.stderr)
    assert.match(run.stdout, /written 1 ok/)
  })

  it('a bad statement is a typed error, and the connection goes on', () => {
    const c = connect()
    assert.throws(
      () => c.get('SELECT nope FROM jobs'),
      (err: unknown) => err instanceof CrankError && err.code === StoreErrorCodes.storeUnavailable && /nope/.test(err.message),
    )
    assert.equal(c.get<{ n: number }>('SELECT count(*) AS n FROM jobs')?.n, 0)
  })

  it('a thread that dies fails the writes in flight and every later call with store_unavailable', async () => {
    const c = connect()
    const replies: WriteReply[] = []
    const gone = new Promise<void>((resolve) => {
      c.onWritten = (r) => {
        replies.push(r)
        if (r.error !== undefined) resolve()
      }
    })
    // The test reaches into the connection for its thread: nothing public may kill it.
    await (c as unknown as { worker: Worker }).worker.terminate()
    const { kinds, args } = batch(jobRow('late'))
    c.write(1, kinds, args)
    await gone
    assert.equal(replies.at(-1)?.seq, 1)
    assert.throws(
      () => c.get('SELECT 1'),
      (err: unknown) => err instanceof CrankError && err.code === StoreErrorCodes.storeUnavailable,
    )
  })
})
