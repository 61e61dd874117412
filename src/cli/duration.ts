/**
 * Durations on the command line: `90d`, `1h`, `30m`, `2w`, `45s`, `500ms`, a whole number and a
 * unit. A plain number keeps the meaning the flag always had (milliseconds for `--ttl`, days for
 * `--days`), so existing scripts do not change meaning. Anything else is an `invalid_option`.
 */
import { CrankError, ErrorCodes } from '../errors.ts'

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const
export type DurationUnit = keyof typeof UNIT_MS

export interface DurationRule {
  /** The flag, for the message: `--ttl`. */
  flag: string
  /** What a number without a unit counts. */
  plainUnit: DurationUnit
  /** Longest accepted, in milliseconds. */
  maxMs: number
}

const DURATION = /^(\d+)(ms|s|m|h|d|w)?$/

/** Milliseconds; throws CrankError `invalid_option` naming the flag, the value and the accepted forms. */
export function parseDuration(value: string, rule: DurationRule): number {
  const m = DURATION.exec(value.trim())
  if (m === null) {
    throw new CrankError(
      ErrorCodes.invalidOption,
      `${rule.flag} must be a whole number with a unit (ms, s, m, h, d, w), such as 90d, 1h, 30m or 2w, or a plain number of ${UNIT_NAMES[rule.plainUnit]}; got "${value}"`,
      { details: { flag: rule.flag, value } },
    )
  }
  const ms = Number(m[1]) * UNIT_MS[(m[2] as DurationUnit | undefined) ?? rule.plainUnit]
  if (ms <= 0)
    throw new CrankError(ErrorCodes.invalidOption, `${rule.flag} must be longer than 0; got "${value}"`, {
      details: { flag: rule.flag, value },
    })
  if (!Number.isSafeInteger(ms) || ms > rule.maxMs) {
    throw new CrankError(ErrorCodes.invalidOption, `${rule.flag} must be at most ${formatDuration(rule.maxMs)}; got "${value}"`, {
      details: { flag: rule.flag, value },
    })
  }
  return ms
}

const UNIT_NAMES: Record<DurationUnit, string> = { ms: 'milliseconds', s: 'seconds', m: 'minutes', h: 'hours', d: 'days', w: 'weeks' }

/** The largest unit that divides `ms` exactly: 31_622_400_000 → `366d`. */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`
  return `${ms}ms`
}
