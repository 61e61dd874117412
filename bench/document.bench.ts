/**
 * document.convert cost against the library doing the core of each conversion,
 * called directly in the same process and run: what the capability's glue
 * (sniffing, limits, zip guard, output streaming) and a node job add.
 *   markdown → html   vs markdown-it render
 *   html → markdown   vs turndown
 *   docx → html       vs mammoth.convertToHtml
 *   pdf → text        vs unpdf extractText
 *   markdown → docx / pdf: no single-library baseline; reported as conversions/s.
 * Each runs as a local job and as a remote job (memory transport) on a two-node pair, interleaved
 * with its baseline in every round; ratios are per round against the library in that round.
 */
import { readFileSync } from 'node:fs'
import mammoth from 'mammoth'
import MarkdownIt from 'markdown-it'
import TurndownService from 'turndown'
import { gfm } from 'turndown-plugin-gfm'
import { extractText, getDocumentProxy } from 'unpdf'
import cap from '../capabilities/document.convert/index.ts'
import { createNode } from '../src/index.ts'
import { envNumber, interleave, printHeader, printRatio, printValue, Results } from './stats.ts'

/** Seconds each contender runs per round, at least MIN_OPS conversions. */
const SECONDS = envNumber('BENCH_SECONDS', 0.25)
const MIN_OPS = 3
const fixture = (name: string) => readFileSync(new URL(`../test/fixtures/documents/${name}`, import.meta.url))

/** Conversions per second over `ms`, and at least MIN_OPS of them. */
async function rate(fn: () => Promise<unknown>, ms: number): Promise<number> {
  let n = 0
  const start = performance.now()
  while (performance.now() - start < ms || n < MIN_OPS) {
    await fn()
    n++
  }
  return n / ((performance.now() - start) / 1000)
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

const res = new Results()
const steps: (() => Promise<void>)[] = []
for (const c of cases) {
  const contenders: [string, () => Promise<unknown>][] = [
    ['local', job(provider, 'local', c.input, c.to)],
    ['remote', job(client, remote, c.input, c.to)],
  ]
  if (c.baseline !== undefined) contenders.push(['library', c.baseline])
  // Warm-up: JIT and each library's first-call set-up.
  for (const [, fn] of contenders) for (let i = 0; i < 2; i++) await fn()
  for (const [who, fn] of contenders) steps.push(async () => res.record(`${c.name}.${who}`, await rate(fn, SECONDS * 1000)))
}
await interleave(steps)

printHeader(`document.convert: conversions/s (${SECONDS} s per contender per round; real fixtures from test/fixtures/documents)`)
for (const c of cases) {
  if (c.baseline === undefined) {
    printValue(`${c.name}, local job (no single-library baseline)`, res.get(`${c.name}.local`))
    printValue(`${c.name}, remote job (no single-library baseline)`, res.get(`${c.name}.remote`))
    continue
  }
  const names = { baseName: 'library' }
  printRatio(`${c.name}, local job`, res.get(`${c.name}.local`), res.get(`${c.name}.library`), { ...names, crankName: 'job' })
  printRatio(`${c.name}, remote job`, res.get(`${c.name}.remote`), res.get(`${c.name}.library`), { ...names, crankName: 'job' })
}
await client.stop()
await provider.stop()
