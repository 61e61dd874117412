/**
 * A separate OS process that submits one idempotency key many times at once through a node's
 * control socket, as a second CLI or app on the node's host would. Spec from argv: data dir,
 * key, count. It prints `ready`, waits for a line on stdin (so that two of them start together),
 * then prints one JSON line per submit: {jobId, state}.
 */
import { createInterface } from 'node:readline'
import { connectToNode } from '../../src/control/control-client.ts'

const [dataDir, key, countText] = process.argv.slice(2)
// A connection carries a bounded number of open requests (control-protocol.ts): ten submits on each.
const PER_CONNECTION = 10
const count = Number(countText)
const clients = await Promise.all(Array.from({ length: Math.ceil(count / PER_CONNECTION) }, () => connectToNode(dataDir ?? '')))
process.stdout.write('ready\n')
const go = createInterface({ input: process.stdin })
await new Promise<void>((resolve) => go.once('line', () => resolve()))
// stdin open would keep this process alive after its last answer.
go.close()
process.stdin.destroy()
const calls = Array.from({ length: count }, (_, i) => {
  const client = clients[Math.floor(i / PER_CONNECTION)] ?? fail()
  return client.submit({ capability: 'test.slow', params: { ms: 300 }, durable: true, idempotencyKey: key ?? '' }).result
})
for (const r of await Promise.all(calls)) process.stdout.write(`${JSON.stringify({ jobId: r.jobId, state: r.state })}\n`)
for (const c of clients) c?.close()

function fail(): never {
  throw new Error(`no node on ${dataDir}`)
}
