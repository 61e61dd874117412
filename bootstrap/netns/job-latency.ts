/**
 * Job latency to one provider over several paths, in interleaved rounds: an enrolled client (a
 * data dir with a membership certificate) runs `example.echo` jobs pinned to the provider
 * through each address in turn, and prints one JSON object: each path's median and p90, and how
 * many times a round's connection had to be opened again because it took another path.
 *
 *   node bootstrap/netns/job-latency.ts <data dir> <rounds> <jobs per round> <label>=<multiaddr>...
 *
 * Every address must reach the same peer (say, directly and through delaying proxies).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { CODE_P2P, multiaddr } from '@multiformats/multiaddr'
import { createNode } from '../../src/index.ts'

const [dataDir, roundsArg, perRoundArg, ...pathArgs] = process.argv.slice(2)
const paths = pathArgs.map((p) => ({ label: p.slice(0, p.indexOf('=')), route: p.slice(p.indexOf('=') + 1) }))
const rounds = Number(roundsArg)
const perRound = Number(perRoundArg)
if (dataDir === undefined || paths.length === 0 || !(rounds > 0) || !(perRound > 0) || paths.some((p) => !p.route.includes('/p2p/'))) {
  console.error('usage: job-latency.ts <data dir> <rounds> <jobs per round> <label>=<multiaddr with /p2p/>...')
  process.exit(2)
}
const peer = peerIdFromString(paths[0]!.route.split('/p2p/')[1]!)
// No DHT: it tags its closest peers keep-alive, and libp2p redials a keep-alive peer the moment
// it disconnects, by peer id, over the address it knows best: the direct one.
const client = await createNode({ dataDir, listen: [], bootstrap: [], logLevel: 'error', client: true, mesh: { dht: false } })
await client.start()

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return Math.round(s[Math.min(s.length - 1, Math.floor(s.length * q))]! * 100) / 100
}
/** Attempts at opening a round's connection over its own path before the run gives up. */
const PATH_ATTEMPTS = 5
let redials = 0

/**
 * libp2p reuses an open connection to a peer whatever address is asked for, and a dial for a
 * multiaddr joins one already pending for the same peer, which a dial by peer id makes over the
 * peer store's addresses. So each round hangs up, leaves the route's address as the only one
 * the peer store knows, and opens the connection with one untimed job; then checks that the
 * only connection to the peer is over that address, and starts over if not: a round that took
 * another path would time the wrong link.
 */
async function openPath(route: string): Promise<void> {
  const want = multiaddr(route.split('/p2p/')[0]!)
  for (let attempt = 1; ; attempt++) {
    await client.libp2p.hangUp(peer)
    await client.libp2p.peerStore.patch(peer, { multiaddrs: [want] })
    await client.submit({ capability: 'example.echo', params: { echo: 'warm-up' }, route }).result
    const used = client.libp2p.getConnections(peer).map((c) => c.remoteAddr.decapsulateCode(CODE_P2P).toString())
    if (used.length === 1 && used[0] === want.toString()) return
    if (attempt === PATH_ATTEMPTS) throw new Error(`jobs for ${want} kept going over ${used.join(', ') || 'no connection'}`)
    redials++
  }
}

async function timeJobs(route: string, n: number): Promise<number[]> {
  await openPath(route)
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await client.submit({ capability: 'example.echo', params: { echo: 'latency' }, route }).result
    out.push(performance.now() - t0)
  }
  return out
}
const samples = new Map(paths.map((p) => [p.label, [] as number[]]))
for (let r = 0; r < rounds; r++) for (const p of paths) samples.get(p.label)!.push(...(await timeJobs(p.route, perRound)))
await client.stop()
const figures = Object.fromEntries(
  [...samples].map(([label, xs]) => [label, { p50_ms: quantile(xs, 0.5), p90_ms: quantile(xs, 0.9), jobs: xs.length }]),
)
// How often a round's connection came up over another path and was opened again.
console.log(JSON.stringify({ paths: figures, redials }))
