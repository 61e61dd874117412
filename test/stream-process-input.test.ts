/**
 * stream.process on input as it arrives from elsewhere: CSV cells that look
 * like numbers but are not, records over the size limit anywhere in a chunk,
 * invalid UTF-8, prototype keys, the wrong format, CRLF, BOMs, quoted
 * newlines, blank lines and very wide records. Expected values come from the
 * source records, never from the parser under test.
 */
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import { castCell } from '../capabilities/stream.process/csv-cast.ts'
import { compileExpression } from '../capabilities/stream.process/expression.ts'
import cap, { type StreamProcessResult } from '../capabilities/stream.process/index.ts'
import { runCapability } from '../src/testing.ts'
import { type SpamRecord, spamRecords, toNdjson } from './stream-process-records.ts'

const decoder = new TextDecoder()
const encoder = new TextEncoder()

type Input = string | Uint8Array | AsyncIterable<Uint8Array>

/** Runs the job with NDJSON output (CSV input included), so records come back typed as the job saw them. */
async function run(params: Record<string, unknown>, input: Input) {
  const r = await runCapability(cap, { params: { outputFormat: 'ndjson', ...params }, input })
  if (r.outcome.state !== 'succeeded') throw new Error(`failed: ${JSON.stringify(r.outcome).slice(0, 500)}`)
  const text = decoder.decode(r.output)
  const records =
    text === ''
      ? []
      : text
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>)
  return { result: r.outcome.result as StreamProcessResult, records }
}

async function failure(params: Record<string, unknown>, input: Input): Promise<{ code: string; message: string }> {
  const r = await runCapability(cap, { params, input })
  if (r.outcome.state !== 'failed') assert.fail(`expected failure, got ${JSON.stringify(r.outcome).slice(0, 300)}`)
  return r.outcome.error
}

/** The bytes in chunks of `size`: every record boundary, and every multi-byte character, lands somewhere mid-chunk. */
function chunked(data: string | Uint8Array, size: number): AsyncIterable<Uint8Array> {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data
  return (async function* () {
    for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size)
  })()
}

const concat = (...parts: (string | number[])[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...encoder.encode(p)] : p)))

/** RFC 4180 quoting, written here rather than by the library the capability reads with. */
const quote = (v: unknown): string => (/[",\r\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v))

describe('stream.process on real-world input', function () {
  this.timeout(60_000)
  const corpus = spamRecords()

  describe('CSV casting', () => {
    const csv = 'id,zip,flag,n\n00159,0x1F,true,42\n'

    it('is off by default: every cell stays the string it was', async () => {
      const { records } = await run({ format: 'csv', pipeline: [] }, csv)
      assert.deepEqual(records, [{ id: '00159', zip: '0x1F', flag: 'true', n: '42' }])
    })

    it('when on, types only what survives the round trip: booleans, plain decimals a double holds', async () => {
      const { records } = await run({ format: 'csv', csv: { cast: true }, pipeline: [] }, csv)
      assert.deepEqual(records, [{ id: '00159', zip: '0x1F', flag: true, n: 42 }])
      const kept = ['00159', '0x1F', '0b101', '0o17', '1_000', ' 5', '5 ', '+5', '.5', '5.', 'Infinity', 'NaN', '-0', 'TRUE', 'False', '']
      for (const v of kept) assert.equal(castCell(v), v, `${JSON.stringify(v)} stays a string`)
      // Past 2^53 or 15 significant digits a double would round it: an id, not a number.
      for (const v of ['12345678901234567890', '9007199254740993', '0.12345678901234567', '1e400']) assert.equal(castCell(v), v)
      const typed: [string, unknown][] = [
        ['true', true],
        ['false', false],
        ['0', 0],
        ['-7', -7],
        ['3.25', 3.25],
        ['0.5', 0.5],
        ['1e3', 1000],
        ['-2.5E-3', -0.0025],
        ['9007199254740991', 9007199254740991],
      ]
      for (const [v, want] of typed) assert.equal(castCell(v), want, v)
    })

    it('never casts a quoted cell or the header', async () => {
      const { records } = await run({ format: 'csv', csv: { cast: true }, pipeline: [] }, '1,true\n"7","false"\n8,false\n')
      assert.deepEqual(records, [
        { '1': '7', true: 'false' },
        { '1': 8, true: false },
      ])
    })
  })

  describe('CSV values without casting, in windows', () => {
    it('event times (zoneless date-times as UTC, epoch-ms text) and numeric text aggregate the same on any provider time zone', async () => {
      const WEEK = 7 * 24 * 3600 * 1000
      const dated = corpus.filter((r) => r.time !== null).slice(0, 2000) as (SpamRecord & { time: number })[]
      // `2002-08-22 18:26:25`: how spreadsheets and databases export timestamps, without a zone.
      const zoneless = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ')
      const csv = ['id,bytes,when,ms', ...dated.map((r) => [r.id, r.bytes, zoneless(r.time - (r.time % 1000)), r.time].join(','))].join(
        '\n',
      )
      const expected = new Map<number, { count: number; sum: number }>()
      for (const r of dated) {
        const w = Math.floor((r.time - (r.time % 1000)) / WEEK) * WEEK
        const e = expected.get(w) ?? { count: 0, sum: 0 }
        e.count++
        e.sum += r.bytes
        expected.set(w, e)
      }
      const tz = process.env.TZ
      // A provider far from UTC: Date.parse would read a zoneless time as local time there.
      process.env.TZ = 'America/New_York'
      try {
        for (const timeField of ['when', 'ms']) {
          const { result, records } = await run(
            {
              format: 'csv',
              pipeline: [
                {
                  op: 'window',
                  kind: 'tumbling',
                  timeMs: WEEK,
                  timeField,
                  allowedLatenessMs: 3000 * 365 * 24 * 3600 * 1000,
                  aggregates: [{ fn: 'count' }, { fn: 'sum', field: 'bytes' }],
                },
              ],
            },
            csv,
          )
          assert.equal(result.malformed, 0, timeField)
          const got = new Map(records.map((w) => [w.windowStart as number, { count: w.count as number, sum: w.sum_bytes as number }]))
          if (timeField === 'ms') {
            // Epoch ms keep their milliseconds; rebuild the expectation from them.
            expected.clear()
            for (const r of dated) {
              const w = Math.floor(r.time / WEEK) * WEEK
              const e = expected.get(w) ?? { count: 0, sum: 0 }
              e.count++
              e.sum += r.bytes
              expected.set(w, e)
            }
          }
          assert.deepEqual(got, expected, timeField)
        }
      } finally {
        if (tz === undefined) delete process.env.TZ
        else process.env.TZ = tz
      }
    })
  })

  describe('maxRecordBytes holds for every record', () => {
    // Lines of 100, 2,000 and 100 bytes, then a 1,200-byte line of 600 two-byte characters (600 UTF-16 units).
    const lines = [
      { i: 0, s: 'a'.repeat(80) },
      { i: 1, s: 'b'.repeat(2000) },
      { i: 2, s: 'c'.repeat(80) },
      { i: 3, s: 'é'.repeat(600) },
      { i: 4, s: 'é'.repeat(400) },
    ]
    const ndjson = toNdjson(lines)
    const within = (l: { s: string }) => encoder.encode(JSON.stringify(l)).byteLength <= 1024

    for (const size of [1 << 20, 700, 3]) {
      it(`NDJSON, in chunks of ${size} bytes`, async () => {
        const { result, records } = await run({ maxRecordBytes: 1024, pipeline: [] }, chunked(ndjson, size))
        assert.deepEqual(
          records.map((r) => r.i),
          lines.filter(within).map((l) => l.i),
        )
        assert.equal(result.malformed, lines.filter((l) => !within(l)).length)
        assert.deepEqual(result.rejects, ['malformed: line 2: longer than 1024 bytes', 'malformed: line 4: longer than 1024 bytes'])
      })

      it(`CSV with quoted newlines, in chunks of ${size} bytes: the rows after a long one still come through`, async () => {
        const text = ['i,s', ...lines.map((l) => `${l.i},"${l.s}\r\nline two"`), '5,last'].join('\r\n')
        const { result, records } = await run({ format: 'csv', maxRecordBytes: 1024, pipeline: [] }, chunked(text, size))
        const rowBytes = (l: { i: number; s: string }) => encoder.encode(`${l.i},"${l.s}\r\nline two"`).byteLength
        const kept = lines.filter((l) => rowBytes(l) <= 1024)
        assert.deepEqual(records, [...kept.map((l) => ({ i: String(l.i), s: `${l.s}\r\nline two` })), { i: '5', s: 'last' }])
        assert.equal(result.malformed, lines.length - kept.length)
        assert.equal(result.recordsIn, lines.length + 1)
        assert.ok(result.rejects.every((r) => /longer than 1024 bytes/.test(r)))
      })
    }
  })

  describe('invalid UTF-8 is malformed, never U+FFFD', () => {
    const good = (n: number) => `{"n":${n},"s":"ünïcödé ✓ 😀"}\n`
    // 0xFF never occurs in UTF-8; 0xC3 opens a two-byte sequence that a quote then breaks.
    const bytes = concat(good(1), '{"n":2,"s":"', [0xff], '"}\n', good(3), '{"n":4,"s":"', [0xc3], '"}\n', good(5))

    for (const size of [1 << 20, 1, 5]) {
      it(`NDJSON in chunks of ${size} bytes (multi-byte characters split across chunks are fine)`, async () => {
        const { result, records } = await run({ pipeline: [] }, chunked(bytes, size))
        assert.deepEqual(
          records.map((r) => [r.n, r.s]),
          [1, 3, 5].map((n) => [n, 'ünïcödé ✓ 😀']),
        )
        assert.equal(result.malformed, 2)
        assert.deepEqual(result.rejects, ['malformed: line 2: not valid UTF-8', 'malformed: line 4: not valid UTF-8'])
      })

      it(`CSV in chunks of ${size} bytes`, async () => {
        const csv = concat('n,s\n1,ünï ✓\n2,', [0xff, 0xfe], '\n3,"😀, quoted"\n4,x', [0xc3], '\n5,ok\n')
        const { result, records } = await run({ format: 'csv', pipeline: [] }, chunked(csv, size))
        assert.deepEqual(records, [
          { n: '1', s: 'ünï ✓' },
          { n: '3', s: '😀, quoted' },
          { n: '5', s: 'ok' },
        ])
        assert.equal(result.malformed, 2)
        assert.ok(JSON.stringify(records).indexOf('\uFFFD') === -1)
      })
    }
  })

  describe('integers past 2^53 in NDJSON stay exact', () => {
    // Twitter-style snowflake ids and a 20-digit account number: JSON.parse alone would round all three.
    const ids = ['1234567890123456789', '-9007199254740993', '18446744073709551615']
    const lines = ids.map((id, i) => `{"i":${i},"id":${id},"nested":{"ids":[${id}]},"ms":1700000000000,"f":0.1}\n`).join('')

    for (const size of [1 << 20, 9]) {
      it(`pass through digit for digit, in chunks of ${size}`, async () => {
        const r = await runCapability(cap, {
          params: { pipeline: [{ op: 'map', set: { s: 'string(id)', n: 'number(id)', c: 'concat("#", id)' } }] },
          input: chunked(lines, size),
        })
        assert.equal(r.outcome.state, 'succeeded')
        const out = decoder.decode(r.output).trimEnd().split('\n')
        assert.equal(out.length, ids.length)
        for (const [i, id] of ids.entries()) {
          assert.ok(out[i]?.startsWith(`{"i":${i},"id":${id},"nested":{"ids":[${id}]},"ms":1700000000000,"f":0.1,`), out[i])
          const rec = JSON.parse(out[i] as string) as Record<string, unknown>
          assert.equal(rec.s, id)
          assert.equal(rec.c, `#${id}`)
          assert.equal(rec.n, Number(id), 'as a number it is the nearest double')
        }
      })
    }

    it('and in CSV output', async () => {
      const r = await runCapability(cap, {
        params: { outputFormat: 'csv', pipeline: [{ op: 'project', fields: ['i', 'id'] }] },
        input: lines,
      })
      assert.equal(decoder.decode(r.output), `i,id\n${ids.map((id, i) => `${i},${id}\n`).join('')}`)
    })
  })

  describe('prototype keys are refused before any input is read', () => {
    it('in expressions, as names, members and literal keys', () => {
      for (const bad of ['__proto__', 'constructor', 'prototype', '$.constructor', 'b.__proto__', '$["__proto__"]', 'a.b.prototype == 1']) {
        assert.throws(
          () => compileExpression(bad),
          (e: { code?: string; message?: string }) =>
            e.code === 'invalid_pipeline' && /is not allowed as a field name/.test(e.message ?? ''),
          bad,
        )
      }
      // As a value they are ordinary strings.
      assert.equal(compileExpression('s == "constructor"')({ s: 'constructor' }), true)
      // A computed key cannot be checked in advance: it reads null.
      assert.equal(compileExpression('$[k]')({ k: '__proto__' }), null)
    })

    it('in every operator field param, through the capability', async () => {
      const pipelines = [
        [{ op: 'filter', where: '__proto__ == null' }],
        // JSON.parse, so `__proto__` is an own key, as it is off the wire (a literal would set the prototype).
        JSON.parse('[{ "op": "map", "set": { "__proto__": "1" } }]'),
        [{ op: 'map', set: { x: '1' }, remove: ['constructor'] }],
        [{ op: 'project', fields: ['a'], rename: { a: '__proto__' } }],
        [{ op: 'dedupe', key: ['prototype'] }],
        [{ op: 'window', kind: 'tumbling', count: 5, groupBy: ['__proto__'], aggregates: [{ fn: 'count' }] }],
        [{ op: 'window', kind: 'tumbling', count: 5, aggregates: [{ fn: 'sum', field: 'x', as: 'constructor' }] }],
      ]
      for (const pipeline of pipelines) {
        const e = await failure({ pipeline }, '{"a":1}\n')
        assert.equal(e.code, 'invalid_pipeline', JSON.stringify(pipeline))
      }
    })
  })

  describe('a job that reads no valid record fails', () => {
    const rows = corpus.slice(0, 50)
    const csv = ['id,group,bytes', ...rows.map((r) => [r.id, r.group, r.bytes].join(','))].join('\n')

    it('CSV sent without format: "csv" fails with no_valid_records, and says so', async () => {
      const e = await failure({ pipeline: [] }, csv)
      assert.equal(e.code, 'no_valid_records')
      assert.match(e.message, /format: "csv"/)
      // The same bytes with the format given are read in full.
      const { result } = await run({ format: 'csv', csv: { cast: true }, pipeline: [] }, csv)
      assert.equal(result.recordsOut, rows.length)
    })

    it('UTF-16 input (as Excel saves "Unicode text") fails with a hint to convert it', async () => {
      const utf16 = Uint8Array.from(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(toNdjson(rows), 'utf16le')]))
      const e = await failure({ pipeline: [] }, utf16)
      assert.equal(e.code, 'no_valid_records')
      assert.match(e.message, /must be UTF-8/)
    })

    it('NDJSON sent as CSV fails too; a partly malformed input and an empty one still succeed', async () => {
      assert.equal((await failure({ format: 'csv', pipeline: [] }, toNdjson(rows))).code, 'no_valid_records')
      const partly = await run({ pipeline: [] }, `${toNdjson(rows)}a,b\n`)
      assert.equal(partly.result.malformed, 1)
      assert.equal((await run({ pipeline: [] }, '')).result.recordsIn, 0)
    })
  })

  describe('line endings, BOMs, quoted newlines, blank lines, wide records', () => {
    const rows = corpus.slice(0, 1500)
    const expected = rows.map((r) => ({ id: r.id, bytes: String(r.bytes), subject: r.subject, from: r.from }))

    for (const size of [1 << 20, 4093, 7]) {
      it(`CSV with a BOM, CRLF, quoted CRLF and blank lines, in chunks of ${size}`, async () => {
        const body = rows.map((r, i) =>
          [r.id, r.bytes, i % 7 === 0 ? `${r.subject}\r\nsecond line` : r.subject, r.from].map(quote).join(','),
        )
        const text = `\uFEFFid,bytes,subject,from\r\n${body.map((b, i) => (i % 100 === 0 ? `${b}\r\n\r\n` : `${b}\r\n`)).join('')}`
        const { result, records } = await run({ format: 'csv', pipeline: [] }, chunked(text, size))
        assert.equal(result.malformed, 0)
        assert.deepEqual(
          records,
          expected.map((e, i) => (i % 7 === 0 ? { ...e, subject: `${e.subject}\r\nsecond line` } : e)),
        )
      })

      it(`NDJSON with a BOM, CRLF and blank lines, in chunks of ${size}`, async () => {
        const text = `\uFEFF${rows.map((r, i) => `${JSON.stringify(r)}\r\n${i % 100 === 0 ? '\r\n  \r\n' : ''}`).join('')}`
        const { result, records } = await run({ pipeline: [] }, chunked(text, size))
        assert.equal(result.malformed, 0)
        assert.equal(result.recordsIn, rows.length)
        assert.deepEqual(records, rows as unknown as Record<string, unknown>[])
      })
    }

    it('repeated CSV header names keep every value (a, a_2, a_3), not only the last', async () => {
      const { records } = await run({ format: 'csv', pipeline: [] }, 'a,b,a,a_2,a\n1,2,3,4,5\n')
      assert.deepEqual(records, [{ a: '1', b: '2', a_3: '3', a_2: '4', a_4: '5' }])
    })

    it('a BOM anywhere but the start is malformed', async () => {
      const { result } = await run({ pipeline: [] }, `{"a":1}\n\uFEFF{"a":2}\n`)
      assert.equal(result.malformed, 1)
    })

    it('records 5,000 fields wide, CSV and NDJSON', async () => {
      const width = 5000
      const names = Array.from({ length: width }, (_, i) => `f${i}`)
      const values = (r: SpamRecord, k: number) => names.map((_, j) => `${r.id}/${(j * 31 + k) % 997}`)
      const wide = rows.slice(0, 20)
      const csv = [names.join(','), ...wide.map((r, k) => values(r, k).join(','))].join('\n')
      const want = wide.map((r, k) => {
        const v = values(r, k)
        return Object.fromEntries(names.map((n, j) => [n, v[j]]))
      })
      const fromCsv = await run({ format: 'csv', pipeline: [] }, chunked(csv, 64 * 1024))
      assert.deepEqual(fromCsv.records, want)
      const fromNdjson = await run({ pipeline: [{ op: 'project', fields: ['f0', 'f4999'] }] }, chunked(toNdjson(want), 64 * 1024))
      assert.deepEqual(
        fromNdjson.records,
        want.map((w) => ({ f0: w.f0, f4999: w.f4999 })),
      )
    })
  })
})
