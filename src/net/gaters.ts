/**
 * Several connection gaters as one: libp2p takes a single gater, and Crank has more than one
 * concern to gate on (per-address pending limits, refused peers). A connection is denied when
 * any of them denies it; every gater sees the call, so each can keep its own books.
 */
import type { ConnectionGater } from '@libp2p/interface'

type Hook = keyof ConnectionGater

export function composeGaters(...gaters: Array<ConnectionGater | undefined>): ConnectionGater {
  const present = gaters.filter((g): g is ConnectionGater => g !== undefined)
  if (present.length === 1) return present[0]!
  const hooks = new Set(present.flatMap((g) => Object.keys(g) as Hook[]))
  const out: ConnectionGater = {}
  for (const hook of hooks) {
    // filterMultiaddrForPeer answers "keep this address?": keep it only if every gater does.
    const keep = hook === 'filterMultiaddrForPeer'
    const fn = async (...args: unknown[]): Promise<boolean> => {
      const answers = await Promise.all(
        present.map((g) => {
          // biome-ignore lint/suspicious/noExplicitAny: each hook has its own signature; the arguments are passed through untouched
          const f = g[hook] as ((...a: any[]) => boolean | Promise<boolean>) | undefined
          return f === undefined ? keep : f.apply(g, args)
        }),
      )
      return keep ? answers.every(Boolean) : answers.some(Boolean)
    }
    ;(out as Record<Hook, unknown>)[hook] = fn
  }
  return out
}
