/**
 * A TCP proxy that adds a fixed one-way delay in each direction (so `2 × delay` of round-trip
 * time), for measuring jobs over a slow link where `tc netem` is not available. Bytes keep their
 * order: every chunk waits the same delay, and timers of equal delay fire in the order set.
 *
 *   node bootstrap/netns/delay-proxy.ts <listen host> <listen port> <target host> <target port> <one-way ms>
 */
import { connect, createServer, type Socket } from 'node:net'

const [listenHost, listenPort, targetHost, targetPort, delay] = process.argv.slice(2)
if (delay === undefined) {
  console.error('usage: delay-proxy.ts <listen host> <listen port> <target host> <target port> <one-way ms>')
  process.exit(2)
}
const delayMs = Number(delay)

/** Forwards `from` to `to` after the delay, pausing `from` while `to` is backed up. */
function forward(from: Socket, to: Socket): void {
  let pending = 0
  from.on('data', (chunk) => {
    pending++
    if (pending > 64) from.pause()
    setTimeout(() => {
      pending--
      if (!to.destroyed) to.write(chunk)
      if (pending <= 64) from.resume()
    }, delayMs)
  })
  from.on('end', () => setTimeout(() => to.end(), delayMs))
  from.on('error', () => to.destroy())
  from.on('close', () => setTimeout(() => to.destroy(), delayMs))
}

// No Nagle: a small frame held back until the previous one is acknowledged meets the peer's
// delayed ACK, and a 0 ms proxy added some 40-90 ms to every job (measured).
const server = createServer({ noDelay: true }, (client) => {
  const upstream = connect({ port: Number(targetPort), host: targetHost, noDelay: true })
  forward(client, upstream)
  forward(upstream, client)
})
server.listen(Number(listenPort), listenHost, () =>
  console.log(`delay-proxy: ${listenHost}:${listenPort} → ${targetHost}:${targetPort}, +${delayMs} ms each way`),
)
// Nothing to drain: server.close() would wait for every proxied connection to end.
process.on('SIGTERM', () => process.exit(0))
