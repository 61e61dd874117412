/**
 * The job store across kill -9: the killed node runs in a child process with its own data dir
 * and is started again from it; the SQLite files are real. Set CRANK_RECOVERY_JOBS for more jobs
 * (bench/store-recovery.bench.ts runs 1,000).
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { killProvider, killSubmitter, spreadMs } from './helpers/recovery-scenario.ts'
import { childIdentity, count, startStoreNode } from './helpers/store-process.ts'

const N = Number(process.env.CRANK_RECOVERY_JOBS ?? 100)

describe('job store: recovery after SIGKILL (child processes, real SQLite files)', function () {
  this.timeout(240_000)

  it('a durable submit is on disk by the time it is acknowledged', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'crank-ack-'))
    try {
      // The jobs run here and never end by themselves: what is on disk is what the submits wrote.
      const node = startStoreNode({
        mode: 'submit',
        dataDir,
        ...(await childIdentity('holder')),
        serve: true,
        route: 'local',
        jobs: [60_000, 60_000, 60_000, 60_000],
        inputBytes: 100,
      })
      const lines = await node.until((ls) => count(ls, 'stored') >= 1)
      await node.kill()
      const acked = lines.filter((l) => 'stored' in l).map((l) => l.stored as string)
      assert.ok(acked.length >= 1)
      const db = new DatabaseSync(join(dataDir, 'jobs.db'))
      try {
        for (const id of acked) {
          const row = db.prepare('SELECT params, durable, input_kind, length(input) AS n, replayable FROM jobs WHERE id = ?').get(id) as
            | { params: string; durable: number; input_kind: string; n: number; replayable: number }
            | undefined
          assert.ok(row !== undefined, `acknowledged job ${id} is not in the store`)
          assert.deepEqual(JSON.parse(row.params), { ms: 60_000 })
          assert.equal(row.durable, 1)
          assert.equal(row.input_kind, 'inline')
          assert.equal(row.n, 100)
          assert.equal(row.replayable, 1)
        }
      } finally {
        db.close()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it(`the submitting node killed with ${N} durable jobs out: restarted, it ends every one succeeded, none run twice`, async () => {
    const ms = spreadMs(N)
    const r = await killSubmitter(ms, Math.ceil(N / 3))
    assert.equal(r.final.length, N)
    const notOk = r.final.filter((j) => j.state !== 'succeeded')
    assert.deepEqual(notOk, [], 'every job succeeds after the restart')
    const twice = [...r.completions].filter(([, n]) => n !== 1)
    assert.deepEqual(twice, [], 'each job ran to completion exactly once on the provider')
    assert.equal(r.completions.size, N)
    // Some were taken up again after the kill (attempts counting on), some had ended before it.
    assert.ok(
      r.final.some((j) => j.attempts >= 2),
      'some jobs were resumed',
    )
    console.log(
      `      ${N} jobs: all on disk after ${Math.round(r.timings.storedMs)} ms; killed, restarted and all ended ${Math.round(r.timings.killToFinalMs)} ms later; resumed ${r.final.filter((j) => j.attempts >= 2).length}`,
    )
  })

  it(`a provider killed with ${N} durable jobs running: each is retried on another provider and runs there once`, async () => {
    const r = await killProvider(N)
    assert.equal(r.outcomes.length, N)
    assert.deepEqual(
      r.outcomes.filter((o) => o.state !== 'succeeded'),
      [],
    )
    assert.equal(r.killedCompletions, 0, 'the killed provider completed none')
    assert.deepEqual(
      [...r.completions].filter(([, n]) => n !== 1),
      [],
    )
    assert.equal(r.completions.size, N)
    for (const o of r.outcomes) assert.equal(o.peer, r.peers.survivor)
    assert.deepEqual(r.sampleEvents, ['queued', 'routed@doomed', 'running', 'retrying@doomed', 'routed@survivor', 'running', 'succeeded'])
    console.log(`      ${N} jobs: provider killed, all ended on the survivor ${Math.round(r.timings.killToAllEndedMs)} ms later`)
  })

  it('a job that cannot be run again ends failed `interrupted` at the next start, saying why', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'crank-interrupted-'))
    try {
      const identity = await childIdentity('interrupted')
      const plain = startStoreNode({
        mode: 'submit',
        dataDir,
        ...identity,
        serve: true,
        route: 'local',
        durable: false,
        jobs: [60_000, 60_000],
      })
      await plain.until((ls) => ls.some((l) => 'allStored' in l))
      await plain.kill()
      // Input past store.maxInputBytes is streamed once and not kept.
      const unkept = startStoreNode({
        mode: 'submit',
        dataDir,
        ...identity,
        serve: true,
        route: 'local',
        jobs: [60_000],
        inputBytes: 5000,
        store: { inlineInputBytes: 16, maxInputBytes: 1000 },
      })
      await unkept.until((ls) => ls.some((l) => 'allStored' in l))
      await unkept.kill()
      const resumed = startStoreNode({ mode: 'resume', dataDir, ...identity })
      const final = (
        (await resumed.until((ls) => ls.some((l) => 'final' in l))).find((l) => 'final' in l) as {
          final: Array<{ state: string; code?: string }>
        }
      ).final
      await resumed.kill()
      assert.equal(final.length, 3)
      for (const j of final) assert.deepEqual([j.state, j.code], ['failed', 'interrupted'])
      const db = new DatabaseSync(join(dataDir, 'jobs.db'))
      try {
        const messages = (
          db.prepare('SELECT durable, error FROM jobs ORDER BY rowid').all() as Array<{ durable: number; error: string }>
        ).map((r) => [r.durable, (JSON.parse(r.error) as { message: string }).message] as const)
        assert.match(messages[0]![1], /was not durable/)
        assert.match(messages[1]![1], /was not durable/)
        assert.equal(messages[2]![0], 1)
        assert.match(messages[2]![1], /streamed once without being kept/)
      } finally {
        db.close()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
