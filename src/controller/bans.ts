/** Providers that failed recently are skipped for a while; each new failure doubles the wait. */
export class BanList {
  private readonly bans = new Map<string, { until: number; failures: number }>()
  private readonly baseMs: number
  private readonly maxMs: number

  constructor(opts: { baseMs: number; maxMs: number }) {
    this.baseMs = opts.baseMs
    this.maxMs = opts.maxMs
  }

  fail(peer: string, now = Date.now()): number {
    const failures = (this.bans.get(peer)?.failures ?? 0) + 1
    const wait = Math.min(this.maxMs, this.baseMs * 2 ** (failures - 1))
    this.bans.set(peer, { until: now + wait, failures })
    return wait
  }

  succeed(peer: string): void {
    this.bans.delete(peer)
  }

  /** Milliseconds left on the ban, 0 when not banned. */
  remaining(peer: string, now = Date.now()): number {
    const ban = this.bans.get(peer)
    return ban === undefined ? 0 : Math.max(0, ban.until - now)
  }
}
