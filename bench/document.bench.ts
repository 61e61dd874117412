/**
 * document.convert cost against the library doing the core of each conversion,
 * called directly in the same process and run: what the capability's glue
 * (sniffing, limits, zip guard, output streaming) and a node job add.
 *   markdown → html   vs markdown-it render
 *   html → markdown   vs turndown
 *   docx → html       vs mammoth.convertToHtml
 *   pdf → text        vs unpdf extractText
 *   markdown → docx / pdf: no single-library baseline; reported as conversions/s.
 * Each runs as a local job and as a remote job (memory transport) on a two-node pair.
 */
import { readFileSync } from 'node:fs'
import mammoth from 'mammoth'
import MarkdownIt from 'markdown-it'
import TurndownService from 'turndown'
import { gfm } from 'turndown-plugin-gfm'
import { extractText, getDocumentProxy } from 'unpdf'
import cap from '../capabilities/document.convert/index.ts'
import { createNode } from '../src/node.ts'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3)
const fixture = (name: string) => readFileSync(new URL(`../test/fixtures/documents/${name}`, import.meta.url))

/** Operations per second over `ms` (after a short warm-up). */
async function rate(fn: () => Promise<unknown>, ms: number): Promise<number> {
  for (let i = 0; i < 2; i++) await fn()
  let n = 0
  const start = performance.now()
  while (performance.now() - start < ms) {
    await fn()
    n++
  }
  return n / ((performance.now() - start) / 1000)
}

/**
 * The machine is shared, so load drifts between measurements: the contenders
 * run interleaved in ROUNDS rounds and each keeps its best round.
 */
const ROUNDS = 3
async function best(fns: (() => Promise<unknown>)[]): Promise<number[]> {
  const out = fns.map(() => 0)
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < fns.length; i++)
      out[i] = Math.max(out[i] as number, await rate(fns[i] as () => Promise<unknown>, (SECONDS * 1000) / ROUNDS))
  }
  return out
}

const provider = await createNode({
  capabilities: [cap],
  transports: ['memory'],
  listen: [`/memory/docbench-p-${process.pid}`],
  logLevel: 'silent',
  trust: { openMesh: true },
})
const client = await createNode({
  transports: ['memory'],
  listen: [`/memory/docbench-c-${process.pid}`],
  logLevel: 'silent',
  trust: { openMesh: true },
})
await provider.start()
await client.start()
const remote = (await client.connect(provider.multiaddrs[0]!)).toString()

const md = MarkdownIt('commonmark').enable(['table', 'strikethrough'])
const td = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced' }).use(gfm)
const readme = fixture('htmlparser2-readme.md')
const html = fixture('users-and-groups.html')
const docx = fixture('users-and-groups.docx')
const pdf = fixture('users-and-groups.pdf')

const cases: { name: string; input: Uint8Array; to: string; baseline?: () => Promise<unknown> }[] = [
  { name: 'markdown → html', input: readme, to: 'html', baseline: async () => md.render(readme.toString('utf8')) },
  { name: 'html → markdown', input: html, to: 'markdown', baseline: async () => td.turndown(html.toString('utf8')) },
  { name: 'docx → html', input: docx, to: 'html', baseline: () => mammoth.convertToHtml({ buffer: docx }) },
  {
    name: 'pdf → text',
    input: pdf,
    to: 'text',
    baseline: async () => extractText(await getDocumentProxy(new Uint8Array(pdf)), { mergePages: true }),
  },
  { name: 'markdown → docx', input: readme, to: 'docx' },
  { name: 'markdown → pdf', input: readme, to: 'pdf' },
]

const job = (node: typeof client, route: string, input: Uint8Array, to: string) => async () => {
  const r = await node.submit({ capability: 'document.convert', params: { to }, input, route }).outcome
  if (r.state !== 'succeeded') throw new Error(JSON.stringify(r.error))
}

console.log(
  `document.convert, conversions/s (${SECONDS} s each, best of ${ROUNDS} interleaved rounds; real fixtures from test/fixtures/documents)`,
)
for (const c of cases) {
  const fns = [job(provider, 'local', c.input, c.to), job(client, remote, c.input, c.to), ...(c.baseline === undefined ? [] : [c.baseline])]
  const [local = 0, rem = 0, base] = await best(fns)
  const vs = (x: number) => (base === undefined ? '' : ` (${(x / base).toFixed(2)}× library)`)
  console.log(
    `  ${c.name.padEnd(16)} ${base === undefined ? '' : `library ${base.toFixed(0)}/s, `}local job ${local.toFixed(0)}/s${vs(local)}, remote job ${rem.toFixed(0)}/s${vs(rem)}`,
  )
}
await client.stop()
await provider.stop()
