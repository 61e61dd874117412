/**
 * The gateway's `host:port`, read once, and whether it is loopback: a gateway that anyone on the
 * network can reach must not run without bearer tokens.
 */
import { isIP } from 'node:net'
import { CrankError, ErrorCodes } from '../errors.ts'

export interface ListenAddress {
  /** As `listen()` takes it: IPv6 without brackets. */
  host: string
  port: number
}

export function parseListenAddress(text: string): ListenAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text.trim())
  const port = m === null ? Number.NaN : Number(m[3])
  if (m === null || !Number.isInteger(port) || port > 65_535)
    throw new CrankError(
      ErrorCodes.invalidConfig,
      `gateway address "${text}" must be host:port, e.g. 127.0.0.1:4600 or [::1]:4600 (port 0 picks a free one)`,
    )
  const host = m[1] ?? m[2] ?? ''
  if (m[1] !== undefined && isIP(host) !== 6)
    throw new CrankError(ErrorCodes.invalidConfig, `gateway address "${text}": ${host} is not IPv6`)
  return { host, port }
}

/** Only this machine can reach it: 127.0.0.0/8, ::1 (also as ::ffff:127.x), or `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase()
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h
  return isIP(v4) === 4 && v4.startsWith('127.')
}

/** How to reach it in a URL (IPv6 in brackets). */
export function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host
}
