/**
 * setTimeout for any delay. Node's timers hold a signed 32-bit millisecond count:
 * a delay of 2^31 ms or more (about 24.8 days) overflows and fires after 1 ms, so
 * a long deadline would expire a job at once. Longer delays are chained.
 */

/** Largest delay setTimeout honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1

export interface DeadlineTimer {
  clear(): void
}

export function setDeadlineTimer(fn: () => void, delayMs: number): DeadlineTimer {
  let handle: NodeJS.Timeout | undefined
  const due = Date.now() + Math.max(0, delayMs)
  const arm = (): void => {
    const left = due - Date.now()
    if (left > MAX_TIMER_MS) {
      handle = setTimeout(arm, MAX_TIMER_MS)
      return
    }
    handle = setTimeout(fn, Math.max(0, left))
  }
  arm()
  return { clear: () => clearTimeout(handle) }
}
