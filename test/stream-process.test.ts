import assert from 'node:assert/strict'
import { parse as parseCsv } from 'csv-parse/sync'
import { compileExpression } from '../capabilities/stream.process/expression.ts'
import cap, { type StreamProcessResult } from '../capabilities/stream.process/index.ts'
import { runCapability } from '../src/testing.ts'
import { type SpamRecord, spamRecords, toNdjson } from './stream-process-records.ts'

const decoder = new TextDecoder()
const WEEK = 7 * 24 * 3600 * 1000

async function run(params: Record<string, unknown>, input: string | Uint8Array | AsyncIterable<Uint8Array>) {
  const r = await runCapability(cap, { params, input })
  if (r.outcome.state !== 'succeeded') throw new Error(`failed: ${JSON.stringify(r.outcome)}`)
  const text = decoder.decode(r.output)
  const records =
    text === '' || params.outputFormat === 'csv'
      ? []
      : text
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>)
  return { result: r.outcome.result as StreamProcessResult, records, text, progress: r.progress }
}

async function failure(params: Record<string, unknown>, input: string): Promise<{ code: string; message: string }> {
  const r = await runCapability(cap, { params, input })
  if (r.outcome.state !== 'failed') assert.fail(`expected failure, got ${JSON.stringify(r.outcome).slice(0, 300)}`)
  return r.outcome.error
}

/** Nearest-rank percentile, computed independently of the capability. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] as number
}

function chunked(text: string, size: number): AsyncIterable<Uint8Array> {
  const bytes = new TextEncoder().encode(text)
  return (async function* () {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
  })()
}

describe('stream.process', function () {
  this.timeout(30_000)
  const records = spamRecords()
  const ndjson = toNdjson(records)

  describe('expressions are parsed and evaluated without eval', () => {
    const ev = (src: string, rec: Record<string, unknown> = {}) => compileExpression(src)(rec)

    it('evaluates fields, operators, calls and conditionals', () => {
      const rec = { a: 3, b: 'Hello', c: { d: [10, 20] }, 'odd name': 1 }
      assert.equal(ev('a * 2 + 1', rec), 7)
      assert.equal(ev('a > 2 && lower(b) == "hello"', rec), true)
      assert.equal(ev('c.d[1] - c.d[0]', rec), 10)
      assert.equal(ev('$["odd name"]', rec), 1)
      assert.equal(ev('a > 5 ? "big" : "small"', rec), 'small')
      assert.equal(ev('contains(b, "ell") && len(b) == 5', rec), true)
      assert.equal(ev('missing == null && !exists(missing)', rec), true)
      assert.equal(ev('b * 2', rec), null, 'arithmetic on a string is null, not NaN')
      assert.equal(ev('a / 0', rec), null)
    })

    it('cannot reach prototypes, globals or functions outside the whitelist', () => {
      assert.equal(ev('$[k]', { k: 'constructor' }), null, 'a computed prototype key reads null')
      assert.equal(ev('process', {}), null, 'a bare name is a field, never a global')
      assert.equal(ev('b.length', { b: 'abc' }), null, 'no properties of strings')
      for (const bad of [
        'constructor',
        '$.constructor',
        'b.__proto__',
        '$["__proto__"]',
        'constructor("return 1")()',
        'b.toString()',
        'this',
        'eval("1")',
        'a = 1',
        'x => x',
        '/a+/',
      ]) {
        assert.throws(
          () => compileExpression(bad),
          (e: { code?: string }) => e.code === 'invalid_pipeline',
          bad,
        )
      }
    })
  })

  describe('operators on the SpamAssassin corpus (6,046 records)', () => {
    it('filter + per-group tumbling window: count/sum/avg/min/max/p50/p95 match an independent computation', async () => {
      const { result, records: out } = await run(
        {
          pipeline: [
            { op: 'filter', where: 'bytes > 0' },
            {
              op: 'window',
              kind: 'tumbling',
              count: 1_000_000,
              groupBy: ['group'],
              aggregates: [
                { fn: 'count' },
                { fn: 'sum', field: 'bytes' },
                { fn: 'avg', field: 'bytes' },
                { fn: 'min', field: 'bytes' },
                { fn: 'max', field: 'bytes' },
                { fn: 'p50', field: 'bytes' },
                { fn: 'p95', field: 'bytes' },
              ],
            },
          ],
        },
        ndjson,
      )
      assert.equal(result.recordsIn, 6046)
      const expected = { 'easy-ham-1': 2500, 'easy-ham-2': 1400, 'hard-ham-1': 250, 'spam-1': 500, 'spam-2': 1396 }
      assert.deepEqual(Object.fromEntries(out.map((w) => [w.group, w.count])), expected)
      for (const w of out) {
        const sizes = records.filter((r) => r.group === w.group).map((r) => r.bytes)
        const sum = sizes.reduce((a, b) => a + b, 0)
        assert.equal(w.sum_bytes, sum)
        assert.ok(Math.abs((w.avg_bytes as number) - sum / sizes.length) < 1e-9)
        assert.equal(w.min_bytes, Math.min(...sizes))
        assert.equal(w.max_bytes, Math.max(...sizes))
        assert.equal(w.p50_bytes, percentile(sizes, 50))
        assert.equal(w.p95_bytes, percentile(sizes, 95))
      }
    })

    it('tumbling event-time windows by week, grouped by spam; records without a date are counted as malformed', async () => {
      const { result, records: out } = await run(
        {
          pipeline: [
            {
              op: 'window',
              kind: 'tumbling',
              timeMs: WEEK,
              timeField: 'time',
              groupBy: ['spam'],
              // Some spam is dated year 102 (a two-digit-year bug): allow lateness past that, so nothing is late.
              allowedLatenessMs: 3000 * 365 * 24 * 3600 * 1000,
              aggregates: [{ fn: 'count' }, { fn: 'max', field: 'bytes' }],
            },
          ],
        },
        ndjson,
      )
      const dated = records.filter((r) => r.time !== null) as (SpamRecord & { time: number })[]
      assert.equal(result.malformed, records.length - dated.length)
      assert.ok(result.malformed > 0)
      assert.equal(result.late, 0)
      const expected = new Map<string, number>()
      for (const r of dated) {
        const key = `${Math.floor(r.time / WEEK) * WEEK}/${r.spam}`
        expected.set(key, (expected.get(key) ?? 0) + 1)
      }
      assert.equal(out.length, expected.size)
      for (const w of out) assert.equal(w.count, expected.get(`${w.windowStart}/${w.spam}`), JSON.stringify(w))
      const starts = out.map((w) => w.windowStart as number)
      assert.deepEqual(
        starts,
        [...starts].sort((a, b) => a - b),
        'windows close in event-time order',
      )
    })

    it('records behind the watermark are late: counted under continue, fatal under fail', async () => {
      const lateness = 30 * 24 * 3600 * 1000
      const { result } = await run(
        {
          pipeline: [
            { op: 'window', kind: 'tumbling', timeMs: WEEK, timeField: 'time', allowedLatenessMs: lateness, aggregates: [{ fn: 'count' }] },
          ],
        },
        ndjson,
      )
      // The corpus is in file order, not time order: replay the watermark independently.
      let watermark = Number.NEGATIVE_INFINITY
      let late = 0
      for (const r of records) {
        if (r.time === null) continue
        if (Math.floor(r.time / WEEK) * WEEK + WEEK <= watermark) late++
        else watermark = Math.max(watermark, r.time - lateness)
      }
      assert.ok(late > 0)
      assert.equal(result.late, late)
      assert.ok(result.rejects.some((r) => r.startsWith('late:')))
      const e = await failure(
        {
          onLate: 'fail',
          pipeline: [
            { op: 'window', kind: 'tumbling', timeMs: WEEK, timeField: 'time', allowedLatenessMs: lateness, aggregates: [{ fn: 'count' }] },
          ],
        },
        ndjson,
      )
      assert.equal(e.code, 'late_record')
    })

    it('sliding event-time windows (4 weeks, sliding by 1) match a brute-force count', async () => {
      const sorted = records.filter((r) => r.time !== null).sort((a, b) => (a.time as number) - (b.time as number))
      const { records: out, result } = await run(
        {
          pipeline: [
            {
              op: 'window',
              kind: 'sliding',
              timeMs: 4 * WEEK,
              slide: WEEK,
              timeField: 'time',
              aggregates: [{ fn: 'count' }, { fn: 'p95', field: 'bytes' }],
            },
          ],
        },
        toNdjson(sorted),
      )
      assert.equal(result.late, 0)
      for (const w of out) {
        const inside = sorted.filter((r) => (r.time as number) >= (w.windowStart as number) && (r.time as number) < (w.windowEnd as number))
        assert.equal(w.count, inside.length)
        assert.equal(
          w.p95_bytes,
          percentile(
            inside.map((r) => r.bytes),
            95,
          ),
        )
      }
      const total = out.reduce((a, w) => a + (w.count as number), 0)
      assert.equal(total, sorted.length * 4, 'every record is in exactly four windows')
    })

    it('sliding count windows (100 records, every 50) match the last-100 brute force', async () => {
      const { records: out } = await run(
        {
          pipeline: [
            {
              op: 'window',
              kind: 'sliding',
              count: 100,
              slide: 50,
              aggregates: [
                { fn: 'avg', field: 'bytes' },
                { fn: 'min', field: 'bytes' },
                { fn: 'max', field: 'bytes' },
              ],
            },
          ],
        },
        ndjson,
      )
      assert.equal(out.length, Math.ceil(6046 / 50))
      for (const w of out) {
        const slice = records.slice(w.windowStart as number, w.windowEnd as number).map((r) => r.bytes)
        assert.ok(slice.length === 100 || w.windowStart === 0 || w.windowEnd === 6046)
        assert.equal(w.min_bytes, Math.min(...slice))
        assert.equal(w.max_bytes, Math.max(...slice))
        assert.ok(Math.abs((w.avg_bytes as number) - slice.reduce((a, b) => a + b, 0) / slice.length) < 1e-9)
      }
    })

    it('window state stays within maxGroups and maxOpenWindows, and says what it dropped or closed early', async () => {
      const grouped = await run(
        {
          pipeline: [{ op: 'window', kind: 'tumbling', count: 1_000_000, groupBy: ['group'], maxGroups: 2, aggregates: [{ fn: 'count' }] }],
        },
        ndjson,
      )
      // File order: easy-ham-1 and easy-ham-2 take the two slots; the other groups overflow.
      assert.deepEqual(
        grouped.records.map((w) => [w.group, w.count]),
        [
          ['easy-ham-1', 2500],
          ['easy-ham-2', 1400],
        ],
      )
      assert.equal(grouped.result.operators[0]?.stats.groupOverflow, 250 + 500 + 1396)
      const lateness = 3000 * 365 * 24 * 3600 * 1000
      const weekly = {
        op: 'window',
        kind: 'tumbling',
        timeMs: WEEK,
        timeField: 'time',
        allowedLatenessMs: lateness,
        maxOpenWindows: 4,
        aggregates: [{ fn: 'count' }],
      }
      const open = await run({ pipeline: [weekly] }, ndjson)
      assert.ok((open.result.operators[0]?.stats.forcedCloses ?? 0) > 0)
      // Closing early moves the watermark: what then arrives for a closed week is late, never silently lost.
      const counted = open.records.reduce((a, w) => a + (w.count as number), 0)
      assert.ok(open.result.late > 0)
      assert.equal(counted + open.result.late + open.result.malformed, 6046)
    })

    it('dedupe drops repeats within its LRU horizon, and the horizon bounds its memory', async () => {
      const twice = ndjson + ndjson
      const all = await run({ pipeline: [{ op: 'dedupe', key: ['id'] }] }, twice)
      assert.equal(all.result.recordsOut, 6046)
      assert.deepEqual(all.result.operators[0]?.stats, { duplicates: 6046, evicted: 0 })
      // Repeats 6,046 records apart fall outside a 1,000-key horizon and pass again.
      const bounded = await run({ pipeline: [{ op: 'dedupe', key: ['id'], maxKeys: 1000 }] }, twice)
      assert.equal(bounded.result.recordsOut, 12092)
      assert.equal(bounded.result.operators[0]?.stats.evicted, 12092 - 1000)
      // Same subject and sender: real duplicates in the corpus.
      const content = await run({ pipeline: [{ op: 'dedupe', key: ['subject', 'from'] }] }, ndjson)
      assert.equal(content.result.recordsOut, new Set(records.map((r) => JSON.stringify([r.subject, r.from]))).size)
    })

    it('sample keeps one in every N exactly, or a seeded fraction reproducibly', async () => {
      const every = await run({ pipeline: [{ op: 'sample', every: 10 }] }, ndjson)
      assert.equal(every.result.recordsOut, 605)
      const a = await run({ pipeline: [{ op: 'sample', rate: 0.1, seed: 42 }] }, ndjson)
      const b = await run({ pipeline: [{ op: 'sample', rate: 0.1, seed: 42 }] }, ndjson)
      assert.equal(a.text, b.text)
      assert.ok(a.result.recordsOut > 500 && a.result.recordsOut < 710, `${a.result.recordsOut}`)
    })

    it('map computes fields and project keeps and renames them', async () => {
      const { records: out } = await run(
        {
          pipeline: [
            { op: 'filter', where: 'spam' },
            { op: 'map', set: { kb: 'round(bytes / 1024)', shouting: 'subject == upper(subject) && len(subject) > 3' }, remove: ['from'] },
            { op: 'project', fields: ['id', 'kb', 'shouting'], rename: { kb: 'kib' } },
          ],
        },
        ndjson,
      )
      const spam = records.filter((r) => r.spam)
      assert.equal(out.length, spam.length)
      assert.deepEqual(Object.keys(out[0] ?? {}), ['id', 'kib', 'shouting'])
      for (let i = 0; i < spam.length; i++) {
        const r = spam[i] as SpamRecord
        assert.equal(out[i]?.kib, Math.round(r.bytes / 1024))
        assert.equal(out[i]?.shouting, r.subject === r.subject.toUpperCase() && r.subject.length > 3)
      }
    })

    it('reads and writes CSV, counting malformed rows', async () => {
      const quote = (v: unknown): string => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v))
      const rows = records.slice(0, 2000)
      const lines = ['id,group,bytes,subject', ...rows.map((r) => [r.id, r.group, r.bytes, r.subject].map(quote).join(','))]
      lines.splice(500, 0, 'only,two')
      const { result, text } = await run(
        {
          format: 'csv',
          outputFormat: 'csv',
          csv: { cast: true },
          pipeline: [
            { op: 'filter', where: 'bytes > 4000' },
            { op: 'project', fields: ['id', 'bytes', 'subject'] },
          ],
        },
        chunked(lines.join('\n'), 4096),
      )
      assert.equal(result.malformed, 1)
      const parsed = parseCsv(text, { columns: true }) as { id: string; bytes: string; subject: string }[]
      const expected = rows.filter((r) => r.bytes > 4000)
      assert.equal(parsed.length, expected.length)
      assert.deepEqual(
        parsed.map((p) => [p.id, Number(p.bytes), p.subject]),
        expected.map((r) => [r.id, r.bytes, r.subject]),
      )
    })
  })

  describe('malformed input and bad pipelines', () => {
    const withBad = `${toNdjson(records.slice(0, 100))}{not json\n[1,2]\n"str"\n${toNdjson(records.slice(100, 200))}`

    it('counts malformed records and reports samples under continue', async () => {
      const { result } = await run({ pipeline: [] }, chunked(withBad, 1000))
      assert.equal(result.recordsOut, 200)
      assert.equal(result.malformed, 3)
      assert.equal(result.recordsIn, 203)
      assert.deepEqual(result.rejects, [
        'malformed: line 101: not JSON',
        'malformed: line 102: not a JSON object',
        'malformed: line 103: not a JSON object',
      ])
    })

    it('fails with malformed_record under fail, or past maxMalformed', async () => {
      assert.equal((await failure({ onMalformed: 'fail', pipeline: [] }, withBad)).code, 'malformed_record')
      assert.equal((await failure({ maxMalformed: 2, pipeline: [] }, withBad)).code, 'malformed_record')
    })

    it('skips a line over maxRecordBytes without buffering it', async () => {
      const long = `{"x":"${'a'.repeat(200_000)}"}`
      const { result } = await run({ maxRecordBytes: 1024, pipeline: [] }, chunked(`{"a":1}\n${long}\n{"b":2}\n`, 4096))
      assert.equal(result.recordsOut, 2)
      assert.equal(result.malformed, 1)
    })

    it('rejects bad pipelines with invalid_pipeline or invalid_params', async () => {
      assert.equal((await failure({ pipeline: [{ op: 'filter', where: 'exec("x")' }] }, '')).code, 'invalid_pipeline')
      assert.equal((await failure({ pipeline: [{ op: 'filter', where: 'a >' }] }, '')).code, 'invalid_pipeline')
      assert.equal(
        (await failure({ pipeline: [{ op: 'window', kind: 'tumbling', aggregates: [{ fn: 'count' }] }] }, '')).code,
        'invalid_pipeline',
      )
      assert.equal(
        (await failure({ pipeline: [{ op: 'window', kind: 'sliding', count: 5, slide: 10, aggregates: [{ fn: 'count' }] }] }, '')).code,
        'invalid_pipeline',
      )
      assert.equal(
        (await failure({ pipeline: [{ op: 'window', kind: 'tumbling', count: 5, aggregates: [{ fn: 'sum' }] }] }, '')).code,
        'invalid_pipeline',
      )
      const tooMuchWork = { op: 'window', kind: 'sliding', count: 1_000_000, aggregates: [{ fn: 'count' }] }
      assert.equal((await failure({ pipeline: [tooMuchWork] }, '')).code, 'invalid_pipeline')
      assert.equal((await failure({ pipeline: [{ op: 'explode' }] }, '')).code, 'invalid_params')
      assert.equal((await failure({ pipeline: [{ op: 'sample', rate: 2 }] }, '')).code, 'invalid_params')
    })
  })

  it('reports progress while it runs', async () => {
    const { progress, result } = await run({ progressEvery: 1000, pipeline: [{ op: 'filter', where: 'spam' }] }, chunked(ndjson, 16 * 1024))
    assert.ok(progress.length >= 6, `${progress.length} progress events`)
    assert.deepEqual(progress.at(-1), { done: 6046, total: 6046, message: `done: ${result.recordsOut} out` })
  })
})
