/**
 * Job latency over a direct link and over a delayed one, in interleaved rounds: an enrolled
 * client (a data dir with a membership certificate) runs `example.echo` jobs, pinned to the same
 * provider through each address in turn, and prints the median of each and their difference.
 *
 *   node bootstrap/netns/job-latency.ts <data dir> <direct multiaddr> <delayed multiaddr> [jobs per round]
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { createNode } from '../../src/index.ts'

const [dataDir, direct, delayed, perRound = '20'] = process.argv.slice(2)
if (delayed === undefined) {
  console.error('usage: job-latency.ts <data dir> <direct multiaddr> <delayed multiaddr> [jobs per round]')
  process.exit(2)
}
const ROUNDS = 5
const client = await createNode({ dataDir, listen: [], bootstrap: [], logLevel: 'error', client: true })
await client.start()

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}
/**
 * Both addresses reach the same peer, and libp2p reuses an open connection to a peer whatever
 * address is asked for: so each round hangs up first, and one untimed job opens the connection
 * (TLS, membership) through the address under test.
 */
async function timeJobs(route: string, n: number): Promise<number[]> {
  await client.libp2p.hangUp(peerIdFromString(route.split('/p2p/')[1] as string))
  await client.submit({ capability: 'example.echo', params: { echo: 'warm-up' }, route }).result
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await client.submit({ capability: 'example.echo', params: { echo: 'latency' }, route }).result
    out.push(performance.now() - t0)
  }
  return out
}
const samples = { direct: [] as number[], delayed: [] as number[] }
for (let r = 0; r < ROUNDS; r++) {
  samples.direct.push(...(await timeJobs(direct, Number(perRound))))
  samples.delayed.push(...(await timeJobs(delayed, Number(perRound))))
}
const d = median(samples.direct)
const s = median(samples.delayed)
console.log(`direct_p50_ms=${d.toFixed(2)}`)
console.log(`delayed_p50_ms=${s.toFixed(2)}`)
console.log(`added_ms=${(s - d).toFixed(2)}`)
await client.stop()
