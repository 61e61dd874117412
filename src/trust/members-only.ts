/**
 * Keeps a libp2p service (gossipsub, the Kademlia DHT) away from peers that
 * have not proven mesh membership.
 *
 * Both services learn of peers in exactly two ways: a stream the peer opens on
 * their protocol (`registrar.handle`) and the registrar's topology telling them
 * a connected peer speaks it (`registrar.register`, `onConnect`). Gossipsub
 * opens its outbound stream only from these two, and sends nothing without it;
 * the DHT adds peers to its routing table from the topology and answers queries
 * and stores provider records only on inbound streams. So the service is handed
 * a registrar whose handlers and topologies wait until the peer is a member:
 * a peer in its grace period gets no adverts, no gossip, no DHT answers naming
 * members, and its provider records are never stored. A peer that never proves
 * membership has its streams aborted.
 *
 * (libp2p's own stream middleware would be the natural hook, but in libp2p 3.3
 * every inbound stream appends to the registered middleware array, so the
 * handler would run once more with each stream.)
 */
import type { Connection, PeerId, Stream, StreamHandler, StreamHandlerOptions, Topology } from '@libp2p/interface'

/** The registrar calls this module wraps (the rest of libp2p's internal Registrar passes through). */
interface RegistrarCalls {
  handle(protocol: string, handler: StreamHandler, options?: StreamHandlerOptions): Promise<void>
  register(protocol: string, topology: Topology): Promise<string>
}

/** Resolves once the peer has proven membership; rejects when it is refused, leaves or runs out of grace. */
export type AwaitMember = (peer: PeerId) => Promise<unknown>

/**
 * Membership is created after libp2p (it needs the libp2p instance), while services are built with
 * it: the node binds the check once membership exists. Until then nobody is admitted.
 */
export class MembersOnly {
  #await: AwaitMember | undefined
  #isMember: ((peer: PeerId) => boolean) | undefined

  bind(isMember: (peer: PeerId) => boolean, awaitMember: AwaitMember): void {
    this.#isMember = isMember
    this.#await = awaitMember
  }

  /** Resolves true once `peer` is a member, false if it never becomes one. */
  async admits(peer: PeerId): Promise<boolean> {
    if (this.#isMember?.(peer) === true) return true
    if (this.#await === undefined) return false
    try {
      await this.#await(peer)
      return true
    } catch {
      return false
    }
  }

  /** The service's libp2p components, with a registrar that admits members only. */
  components<C extends object>(components: C): C {
    const registrar = (components as { registrar?: RegistrarCalls }).registrar
    if (registrar === undefined) return components
    const guarded = this.#guardRegistrar(registrar)
    return new Proxy(components, {
      get: (target, prop) => (prop === 'registrar' ? guarded : Reflect.get(target, prop)),
    })
  }

  #guardRegistrar(registrar: RegistrarCalls): RegistrarCalls {
    const handle = (protocol: string, handler: StreamHandler, options?: StreamHandlerOptions): Promise<void> =>
      registrar.handle(protocol, this.#guardHandler(handler), options)
    const register = (protocol: string, topology: Topology): Promise<string> => registrar.register(protocol, this.#guardTopology(topology))
    return new Proxy(registrar, {
      get: (target, prop) => {
        if (prop === 'handle') return handle
        if (prop === 'register') return register
        const value = Reflect.get(target, prop) as unknown
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
  }

  #guardHandler(handler: StreamHandler): StreamHandler {
    return async (stream: Stream, connection: Connection) => {
      if (!(await this.admits(connection.remotePeer))) {
        stream.abort(new Error('not a proven mesh member'))
        return
      }
      return handler(stream, connection)
    }
  }

  #guardTopology(topology: Topology): Topology {
    const guarded: Topology = {
      ...topology,
      onConnect: (peer, connection) => {
        const onConnect = topology.onConnect
        if (onConnect === undefined) return
        if (this.#isMember?.(peer) === true) return onConnect.call(topology, peer, connection)
        this.admits(peer)
          .then(async (ok) => {
            if (ok && connection.status === 'open') await onConnect.call(topology, peer, connection)
          })
          .catch(() => {}) // the service logs its own failures; a peer that left needs nothing
      },
    }
    return guarded
  }
}
