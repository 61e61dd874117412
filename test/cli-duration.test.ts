/** Duration flags (`ca token --ttl`, `ca issue --days`): units, plain numbers in the flag's old unit, typed errors. */
import assert from 'node:assert/strict'
import { formatDuration, parseDuration } from '../src/cli/duration.ts'
import { CrankError } from '../src/errors.ts'

const DAY = 86_400_000
const ttl = { flag: '--ttl', plainUnit: 'ms', maxMs: 366 * DAY } as const
const days = { flag: '--days', plainUnit: 'd', maxMs: 36_500 * DAY } as const

describe('CLI durations', () => {
  it('reads every unit', () => {
    assert.equal(parseDuration('90d', days), 90 * DAY)
    assert.equal(parseDuration('1h', ttl), 3_600_000)
    assert.equal(parseDuration('30m', ttl), 1_800_000)
    assert.equal(parseDuration('2w', days), 14 * DAY)
    assert.equal(parseDuration('45s', ttl), 45_000)
    assert.equal(parseDuration('500ms', ttl), 500)
    assert.equal(parseDuration(' 12h ', days), 12 * 3_600_000, 'surrounding blanks are ignored')
  })

  it('keeps the meaning a plain number always had for the flag', () => {
    assert.equal(parseDuration('3600000', ttl), 3_600_000, '--ttl: milliseconds')
    assert.equal(parseDuration('90', days), 90 * DAY, '--days: days')
  })

  it('refuses bad values with a typed invalid_option error that names the flag and the value', () => {
    const cases: Array<[string, typeof ttl | typeof days, RegExp]> = [
      [
        'abc',
        ttl,
        /^--ttl must be a whole number with a unit \(ms, s, m, h, d, w\), such as 90d, 1h, 30m or 2w, or a plain number of milliseconds; got "abc"$/,
      ],
      ['', days, /plain number of days; got ""$/],
      ['10x', ttl, /got "10x"$/],
      ['1.5d', days, /got "1.5d"$/],
      ['-1d', days, /got "-1d"$/],
      ['1 h', ttl, /got "1 h"$/],
      ['1H', ttl, /got "1H"$/],
      ['0', ttl, /^--ttl must be longer than 0; got "0"$/],
      ['0w', days, /^--days must be longer than 0; got "0w"$/],
      ['367d', ttl, /^--ttl must be at most 366d; got "367d"$/],
      ['36501', days, /^--days must be at most 36500d; got "36501"$/],
      ['99999999999999999999w', days, /must be at most 36500d/],
    ]
    for (const [value, rule, message] of cases) {
      assert.throws(
        () => parseDuration(value, rule),
        (err: unknown) => {
          assert.ok(err instanceof CrankError, `${value}: ${String(err)}`)
          assert.equal(err.code, 'invalid_option')
          assert.equal(err.retryable, false)
          assert.deepEqual(err.details, { flag: rule.flag, value })
          assert.match(err.message, message)
          return true
        },
      )
    }
  })

  it('formats a limit in the largest exact unit', () => {
    assert.equal(formatDuration(366 * DAY), '366d')
    assert.equal(formatDuration(14 * DAY), '2w')
    assert.equal(formatDuration(90_000), '90s')
    assert.equal(formatDuration(1500), '1500ms')
  })
})
