/**
 * Runs email.parse and email.classify through a local node on a few corpus
 * messages, then classifies them again as one streamed mbox.
 *   node scripts/email/demo.ts
 */
import emailClassify from '../../capabilities/email.classify/index.ts'
import emailParse from '../../capabilities/email.parse/index.ts'
import { createNode } from '../../src/index.ts'
import { mboxOf, messageByKey, readMessage } from './corpus.ts'

const KEYS = ['easy-ham-1/00006', 'hard-ham-1/00039', 'spam-2/01205', 'spam-2/00002']

const node = await createNode({
  capabilities: [emailParse, emailClassify],
  transports: ['memory'],
  listen: ['/memory/email-demo'],
  logLevel: 'warn',
  // One node on its own: no peer ever connects, so no mesh CA is needed.
  trust: { openMesh: true },
})
await node.start()
try {
  for (const key of KEYS) {
    const input = readMessage(messageByKey(key))
    const parsed = (await node.submit({ capability: 'email.parse@^1', input, route: 'local' }).result).value as {
      email: {
        from: { address: string }[]
        subject?: string
        date?: string
        attachments: { filename?: string; size: number }[]
        warnings: { code: string }[]
      }
    }
    const verdict = (await node.submit({ capability: 'email.classify@^1', input, route: 'local' }).result).value as {
      label: string
      probability: number
    }
    const e = parsed.email
    console.log(`${key}: ${verdict.label} (p=${verdict.probability.toFixed(4)})`)
    console.log(`  from ${e.from.map((a) => a.address).join(', ')} · ${e.date ?? 'no date'} · "${e.subject ?? ''}"`)
    if (e.attachments.length > 0)
      console.log(`  attachments: ${e.attachments.map((a) => `${a.filename ?? '(unnamed)'} ${a.size} B`).join(', ')}`)
    if (e.warnings.length > 0) console.log(`  warnings: ${e.warnings.map((w) => w.code).join(', ')}`)
  }
  const mbox = mboxOf(KEYS.map((k) => readMessage(messageByKey(k))))
  console.log('\nthe same messages as one mbox, classified as they stream through:')
  const handle = node.submit({ capability: 'email.classify@^1', input: mbox, route: 'local', params: { format: 'mbox' }, output: 'stream' })
  for await (const ev of handle) if (ev.type === 'output') process.stdout.write(Buffer.from(ev.data).toString('utf8'))
  console.log(JSON.stringify((await handle.result).value))
} finally {
  await node.stop()
}
