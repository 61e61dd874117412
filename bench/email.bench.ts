/**
 * email.parse and email.classify through a local node, against mailparser's simpleParser called
 * directly (no job, no node) with the options email.parse passes it
 * (capabilities/email-shared/parse-email.ts: no html→text, no text→html, no link detection).
 * Each round, interleaved:
 *   - the baseline: simpleParser over every message, one after another;
 *   - one job per message, 8 in flight: email.parse, then email.classify (parse + model);
 *   - one job streaming an mbox of all the messages: email.parse, then email.classify.
 * Then, once: a large mbox (the split repeated BENCH_EMAIL_REPEAT times) generated on the fly and
 * classified as one streamed job, sampling the process's peak RSS.
 * Messages: the held-out split of the SpamAssassin corpus (1,209 real messages).
 */
import { simpleParser } from 'mailparser'
import emailClassify from '../capabilities/email.classify/index.ts'
import emailParse from '../capabilities/email.parse/index.ts'
import { loadSplit, mboxOf, readMessage } from '../scripts/email/corpus.ts'
import { createNode } from '../src/index.ts'
import { envNumber, interleave, printHeader, printRatio, printValue, Results, Series } from './stats.ts'

const messages = loadSplit('test').map(readMessage)
const mbox = mboxOf(messages)

const node = await createNode({
  capabilities: [emailParse, emailClassify],
  transports: ['memory'],
  listen: ['/memory/email-bench'],
  logLevel: 'silent',
  // One node on its own: no peer ever connects, so no mesh CA is needed.
  trust: { openMesh: true },
})
await node.start()

async function perMessage(capability: string, inFlight: number): Promise<number> {
  let next = 0
  const t = performance.now()
  const loop = async (): Promise<void> => {
    while (next < messages.length) {
      const input = messages[next++] as Buffer
      await node.submit({ capability, input, route: 'local' }).result
    }
  }
  await Promise.all(Array.from({ length: inFlight }, loop))
  return messages.length / ((performance.now() - t) / 1000)
}

async function streamed(capability: string): Promise<number> {
  const t = performance.now()
  const r = await node.submit({ capability, input: mbox, route: 'local', params: { format: 'mbox' } }).result
  const n = (r.value as { messages: number }).messages
  if (n !== messages.length) throw new Error(`the mbox job saw ${n} messages, expected ${messages.length}`)
  return n / ((performance.now() - t) / 1000)
}

/** The options parseMessage passes simpleParser; keep in step with capabilities/email-shared/parse-email.ts. */
const PARSE_OPTIONS = { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true }

async function direct(): Promise<number> {
  const t = performance.now()
  for (const m of messages) await simpleParser(m, PARSE_OPTIONS)
  return messages.length / ((performance.now() - t) / 1000)
}

// Warm-up: JIT, the ONNX session, the node's paths.
await perMessage('email.classify', 8)
await direct()
await streamed('email.classify')

/** Classifies a mailbox of `repeat` copies of the split, never held in memory, reading results as they stream. */
async function bigMailbox(repeat: number): Promise<{ rate: number; bytes: number; peakRssMb: number; startRssMb: number }> {
  let bytes = 0
  async function* input(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < repeat; i++) {
      for (let off = 0; off < mbox.length; off += 64 * 1024) {
        const chunk = mbox.subarray(off, off + 64 * 1024)
        bytes += chunk.length
        yield chunk
      }
    }
  }
  const startRssMb = process.memoryUsage().rss / 2 ** 20
  let peak = startRssMb
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss / 2 ** 20)
  }, 20)
  const t = performance.now()
  const handle = node.submit({ capability: 'email.classify', input: input(), route: 'local', params: { format: 'mbox' }, output: 'stream' })
  for await (const _ of handle) {
    // Drain events as they come: the caller keeps nothing.
  }
  const r = await handle.result
  clearInterval(sampler)
  const n = (r.value as { messages: number }).messages
  if (n !== messages.length * repeat) throw new Error(`the big mbox job saw ${n} messages, expected ${messages.length * repeat}`)
  return { rate: n / ((performance.now() - t) / 1000), bytes, peakRssMb: peak, startRssMb }
}

const res = new Results()
const paths: [string, () => Promise<number>][] = [
  ['direct', direct],
  ['parse', () => perMessage('email.parse', 8)],
  ['classify', () => perMessage('email.classify', 8)],
  ['parseMbox', () => streamed('email.parse')],
  ['classifyMbox', () => streamed('email.classify')],
]
await interleave(
  paths.map(
    ([name, run]) =>
      async () =>
        res.record(name, await run()),
  ),
)
const repeat = envNumber('BENCH_EMAIL_REPEAT', 2, { integer: true })
const big = await bigMailbox(repeat)
await node.stop()

printHeader(
  `email: ${messages.length} SpamAssassin messages (${(mbox.length / 1e6).toFixed(1)} MB) through a local node (memory transport), ` +
    "against simpleParser called directly with email.parse's options, messages/s",
)
const names = { baseName: 'simpleParser' }
printValue('baseline: simpleParser direct, one message after another, messages/s', res.get('direct'))
printRatio('email.parse, 1 job per message, 8 in flight', res.get('parse'), res.get('direct'), { ...names, crankName: 'email.parse' })
printRatio('email.classify (parse + model), 1 job per message, 8 in flight', res.get('classify'), res.get('direct'), {
  ...names,
  crankName: 'email.classify',
})
printRatio('email.parse, one mbox job (NDJSON stream)', res.get('parseMbox'), res.get('direct'), { ...names, crankName: 'email.parse' })
printRatio('email.classify (parse + model), one mbox job (NDJSON stream)', res.get('classifyMbox'), res.get('direct'), {
  ...names,
  crankName: 'email.classify',
})
const bigRate = new Series()
bigRate.add(big.rate)
printValue(
  `bounded memory, one sample: a ${(big.bytes / 1e6).toFixed(0)} MB mbox (${messages.length * repeat} messages) classified as one streamed job ` +
    `(RSS ${big.startRssMb.toFixed(0)} MB before, peak ${big.peakRssMb.toFixed(0)} MB), messages/s`,
  bigRate,
)
