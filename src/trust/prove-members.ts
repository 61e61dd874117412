/**
 * Providers named only by the DHT are strangers until they prove membership: a
 * provider record is an unsigned claim that anyone reachable by the DHT could
 * have made. Before the router may choose one, we connect and let the
 * membership exchange run; those that fail it are refused (and gated) like any
 * other peer, and the router then lists them as ineligible.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Membership } from './membership.ts'

/** Proves (connects to and verifies) each of `peers` that is not yet a member; resolves when all have settled or `signal` fires. */
export async function proveMembers(
  libp2p: Libp2p,
  membership: Membership,
  peers: PeerId[],
  signal: AbortSignal,
  log?: { debug(obj: object, msg?: string): void },
): Promise<void> {
  await Promise.all(
    peers
      .filter((p) => !membership.isMember(p))
      .map(async (peer) => {
        try {
          await libp2p.dial(peer, { signal })
          await Promise.race([membership.authorize(peer), aborted(signal)])
        } catch (err) {
          log?.debug({ peer: peer.toString(), err: (err as Error).message }, 'a provider found through the DHT did not prove membership')
        }
      }),
  )
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason)
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true })
  })
}
