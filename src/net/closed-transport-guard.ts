/**
 * yamux (8.0.3, the newest) opens an outbound stream by sending its SYN from a queueMicrotask
 * callback. When the connection's transport closes between the stream's creation and that
 * microtask (a neighbour restarting, a connection pruned, a node stopping), the transport's
 * send() throws StreamStateError synchronously inside the microtask, where no caller can catch
 * it, and the process dies of an uncaught exception. A simulation of nodes started before their
 * seed hit it. The upstream reports (js-libp2p #2505, js-libp2p-yamux #91) are about frames after
 * close, and open.
 *
 * The guard wraps each muxer's send: once the transport has stopped being writable, a frame has
 * nowhere to go, so it is dropped instead of thrown. Everything else still throws. The
 * connection's own close then aborts its streams, so nobody waits on the dropped frame.
 */
import type { MessageStream, StreamMuxerFactory } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

type Send = (data: Uint8Array | Uint8ArrayList) => boolean

/** The muxer's send as libp2p's AbstractStreamMuxer declares it (StreamMuxer's interface omits it). */
interface Sender {
  send: Send
}

/** Wraps a muxer factory (e.g. `yamux(init)`) so its muxers drop frames for a closed transport instead of throwing. */
export function guardClosedTransport<F extends () => StreamMuxerFactory>(makeFactory: F): F {
  return (() => {
    const factory = makeFactory()
    const create = factory.createStreamMuxer.bind(factory)
    factory.createStreamMuxer = (maConn: MessageStream) => {
      const muxer = create(maConn)
      const sender = muxer as unknown as Sender
      const send = sender.send.bind(muxer)
      sender.send = (data) => {
        try {
          return send(data)
        } catch (err) {
          if ((err as Error).name === 'StreamStateError' && maConn.status !== 'open') return true
          throw err
        }
      }
      return muxer
    }
    return factory
  }) as F
}
