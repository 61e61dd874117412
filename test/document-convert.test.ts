import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crc32, deflateRawSync } from 'node:zlib'
import spec from 'commonmark-spec'
import mammoth from 'mammoth'
import markdownIt from 'markdown-it'
import cap from '../capabilities/document.convert/index.ts'
import { createNode } from '../src/node.ts'
import { runCapability } from '../src/testing.ts'
import { spamRecords } from './stream-process-records.ts'

const FIXTURES = new URL('./fixtures/documents/', import.meta.url)
const fixture = (name: string): Buffer => readFileSync(new URL(name, FIXTURES))
const decoder = new TextDecoder()

/** Whitespace-normalised text, so phrases match across line wrapping and table layout. */
const norm = (s: string): string => s.replace(/\s+/g, ' ').trim()

async function convert(input: Uint8Array | string, params: Record<string, unknown>) {
  const r = await runCapability(cap, { params, input })
  if (r.outcome.state !== 'succeeded') throw new Error(`${JSON.stringify(params)} failed: ${JSON.stringify(r.outcome)}`)
  return {
    output: r.output,
    result: r.outcome.result as { from: string; detected: boolean; pages?: number; rows?: number; warnings: string[] },
  }
}

async function failure(input: Uint8Array | string, params: Record<string, unknown>): Promise<{ code: string; message: string }> {
  const r = await runCapability(cap, { params, input })
  if (r.outcome.state !== 'failed') assert.fail(`expected failure, got ${JSON.stringify(r.outcome)}`)
  return r.outcome.error
}

function pdftotext(pdf: Uint8Array): string {
  return execFileSync('pdftotext', ['-layout', '-', '-'], { input: pdf }).toString('utf8')
}

/** mammoth's HTML rather than its raw text: raw text drops line breaks (<w:br/>) between words. */
async function docxText(docx: Uint8Array): Promise<string> {
  return htmlText((await mammoth.convertToHtml({ buffer: Buffer.from(docx) })).value)
}

function htmlText(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
}

/** Text of any output, read back by an independent reader where one exists (pdftotext for PDF). */
async function readBack(format: string, output: Uint8Array): Promise<string> {
  if (format === 'pdf') return pdftotext(output)
  if (format === 'docx') return docxText(output)
  if (format === 'html') return htmlText(decoder.decode(output))
  if (format === 'markdown') return htmlText(markdownIt().render(decoder.decode(output)))
  return decoder.decode(output)
}

/** Real documents, each with phrases that must survive every conversion. */
const SOURCES = [
  { name: 'htmlparser2-readme.md', format: 'markdown', phrases: ['The fast & forgiving HTML/XML parser', 'Serializer for domhandler'] },
  { name: 'users-and-groups.html', format: 'html', phrases: ['Users and Groups', 'update-passwd tool keeps the entries'] },
  { name: 'users-and-groups.docx', format: 'docx', phrases: ['Users and Groups', 'update-passwd tool keeps the entries'] },
  { name: 'users-and-groups.pdf', format: 'pdf', phrases: ['Users and Groups', 'update-passwd tool keeps the entries'] },
  { name: 'mammoth-tables.docx', format: 'docx', phrases: ['Top left', 'Bottom right'] },
  { name: 'shared-mime-info-spec.pdf', format: 'pdf', phrases: ['Shared MIME-info Database', 'last updated 2 October 2018'] },
  {
    name: 'gpl-2.txt',
    format: 'text',
    phrases: ['GNU GENERAL PUBLIC LICENSE', 'This General Public License applies to most of the Free Software Foundation'],
  },
]
const DOCUMENT_FORMATS = ['markdown', 'html', 'text', 'docx', 'pdf']

describe('document.convert', function () {
  this.timeout(60_000)

  describe('each conversion pair on real documents', () => {
    for (const source of SOURCES) {
      for (const to of DOCUMENT_FORMATS.filter((f) => f !== source.format)) {
        it(`${source.name} → ${to}`, async () => {
          const { output, result } = await convert(fixture(source.name), { to })
          assert.equal(result.from, source.format, 'format detected from the bytes')
          assert.equal(result.detected, true)
          const text = norm(await readBack(to, output))
          for (const phrase of source.phrases) assert.ok(text.includes(phrase), `"${phrase}" missing from ${to}: ${text.slice(0, 300)}`)
        })
      }
    }
  })

  describe('structure', () => {
    it('Markdown → DOCX keeps headings, emphasis, lists, code and GFM tables', async () => {
      const md =
        '# Title\n\nSome **bold** and *italic* and `code`.\n\n1. one\n2. two\n\n- a\n- b\n\n| k | v |\n|---|---|\n| x | 1 |\n\n```\nfenced\n```\n'
      const { output } = await convert(md, { to: 'docx', from: 'markdown' })
      const html = (await mammoth.convertToHtml({ buffer: Buffer.from(output) })).value
      assert.match(html, /<h1>Title<\/h1>/)
      assert.match(html, /<strong>bold<\/strong>/)
      assert.match(html, /<em>italic<\/em>/)
      assert.match(html, /<ol><li>one<\/li><li>two<\/li><\/ol>/)
      assert.match(html, /<ul><li>a<\/li><li>b<\/li><\/ul>/)
      assert.match(html, /<table>.*<p>x<\/p>.*<p>1<\/p>.*<\/table>/)
      assert.match(html, /fenced/)
    })

    it('HTML → Markdown writes GFM tables and ATX headings', async () => {
      const { output } = await convert(
        '<h2>Hi</h2><table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>',
        {
          to: 'markdown',
        },
      )
      const md = decoder.decode(output)
      assert.match(md, /^## Hi$/m)
      assert.match(md, /^\| a \| b \|$/m)
      assert.match(md, /^\| 1 \| 2 \|$/m)
    })

    it('PDF → JSON gives pages, lines with font sizes, metadata and the outline', async () => {
      const { output, result } = await convert(fixture('shared-mime-info-spec.pdf'), { to: 'json' })
      const pdf = JSON.parse(decoder.decode(output)) as {
        pageCount: number
        pages: { number: number; lines: { text: string; fontSize: number }[] }[]
        outline: { title: string }[]
      }
      assert.equal(result.pages, 17)
      assert.equal(pdf.pageCount, 17)
      assert.equal(pdf.pages.length, 17)
      assert.ok(pdf.pages[0]?.lines.some((l) => l.text.includes('Shared MIME-info Database')))
      assert.ok(pdf.outline.length > 0, 'the DocBook PDF has bookmarks')
    })

    it('PDF → Markdown turns large-font lines into headings', async () => {
      const { output } = await convert(fixture('users-and-groups.pdf'), { to: 'markdown' })
      assert.match(decoder.decode(output), /^#{1,3} Chapter 1\. Introduction$/m)
    })

    it('rawHtml: false escapes HTML in untrusted Markdown; standalone wraps a full document', async () => {
      const md = '# T\n\n<script>alert(1)</script>\n\nok <img src=x onerror=alert(1)>\n'
      const raw = decoder.decode((await convert(md, { from: 'markdown', to: 'html' })).output)
      assert.match(raw, /<script>alert\(1\)<\/script>/, 'CommonMark passes raw HTML through by default')
      const safe = decoder.decode(
        (await convert(md, { from: 'markdown', to: 'html', rawHtml: false, standalone: true, title: 'A & B' })).output,
      )
      assert.doesNotMatch(safe, /<script|<img/)
      assert.match(safe, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/)
      assert.match(safe, /^<!doctype html>[\s\S]*<title>A &amp; B<\/title>[\s\S]*<h1>T<\/h1>/)
    })

    it('characters outside Windows-1252 survive into the PDF', async () => {
      const { output } = await convert('Grüße, Ωμέγα, Привет — ok', { to: 'pdf', from: 'text' })
      assert.match(pdftotext(output), /Grüße, Ωμέγα, Привет — ok/)
    })
  })

  it('Markdown → HTML passes at least 99% of the CommonMark spec examples (commonmark-spec)', async () => {
    const failed: number[] = []
    for (const example of spec.tests) {
      // The spec writes tabs as → so they show; its own runner swaps them back.
      const markdown = example.markdown.replace(/→/g, '\t')
      const { output } = await convert(markdown, { from: 'markdown', to: 'html' })
      if (decoder.decode(output) !== example.html.replace(/→/g, '\t')) failed.push(example.number)
    }
    const rate = (spec.tests.length - failed.length) / spec.tests.length
    console.log(
      `      CommonMark ${spec.tests.length - failed.length}/${spec.tests.length} = ${(rate * 100).toFixed(2)}%, failing: ${failed.join(', ')}`,
    )
    assert.ok(spec.tests.length > 600, 'the spec ships its examples')
    assert.ok(rate >= 0.99, `pass rate ${rate}`)
  })

  // soffice alone may take a minute on a loaded machine; its own limit below is 120 s.
  it('DOCX we write opens in LibreOffice, which gives back the text (one soffice run)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crank-docx-'))
    try {
      const made: { file: string; phrases: string[] }[] = []
      for (const source of SOURCES.filter((s) => s.format !== 'docx')) {
        const { output } = await convert(fixture(source.name), { to: 'docx' })
        const file = `${source.name.replace(/\W+/g, '-')}.docx`
        writeFileSync(join(dir, file), output)
        made.push({ file, phrases: source.phrases })
      }
      execFileSync(
        'soffice',
        ['--headless', '--convert-to', 'txt:Text (encoded):UTF8', '--outdir', join(dir, 'txt'), ...made.map((m) => join(dir, m.file))],
        {
          stdio: 'pipe',
          timeout: 120_000,
          env: { ...process.env, HOME: dir },
        },
      )
      for (const m of made) {
        const text = norm(readFileSync(join(dir, 'txt', m.file.replace(/\.docx$/, '.txt')), 'utf8'))
        for (const phrase of m.phrases) assert.ok(text.includes(phrase), `LibreOffice text of ${m.file} lacks "${phrase}"`)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }).timeout(180_000)

  describe('CSV ↔ JSON on SpamAssassin headers', () => {
    const rows = spamRecords()
      .slice(0, 3000)
      .map((r) => ({ id: r.id, group: r.group, subject: r.subject, from: r.from }))
    const csv = [
      'id,group,subject,from',
      ...rows.map((r) => [r.id, r.group, r.subject, r.from].map((v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(',')),
    ].join('\r\n')

    it('CSV → JSON gives back every row exactly (commas, quotes, odd bytes)', async () => {
      assert.ok(rows.some((r) => r.subject.includes(',')) && rows.some((r) => r.from.includes('"')), 'the data has commas and quotes')
      const { output, result } = await convert(csv, { to: 'json' })
      assert.equal(result.from, 'csv')
      assert.equal(result.rows, rows.length)
      assert.deepEqual(JSON.parse(decoder.decode(output)), rows)
    })

    it('JSON → CSV → JSON round-trips', async () => {
      const { output: csvOut } = await convert(JSON.stringify(rows), { to: 'csv' })
      const { output } = await convert(csvOut, { from: 'csv', to: 'json' })
      assert.deepEqual(JSON.parse(decoder.decode(output)), rows)
    })

    for (const [from, to] of [
      ['csv', 'markdown'],
      ['csv', 'html'],
      ['csv', 'text'],
      ['csv', 'docx'],
      ['json', 'html'],
      ['json', 'docx'],
    ] as const) {
      it(`${from.toUpperCase()} → ${to} renders the rows as a table`, async () => {
        const head = rows.slice(0, 20)
        const input = from === 'csv' ? csv.split('\r\n').slice(0, 21).join('\n') : JSON.stringify(head)
        const { output, result } = await convert(input, { to })
        assert.equal(result.from, from)
        assert.equal(result.rows, 20)
        const text = norm(await readBack(to, output))
        for (const r of head) assert.ok(text.includes(norm(r.subject)), `"${r.subject}" missing from ${to}`)
        if (to === 'markdown') assert.match(decoder.decode(output), /^\| id \| group \| subject \| from \|$/m)
      })
    }

    it('CSV → PDF renders a table pdftotext can read', async () => {
      const { output, result } = await convert(csv.split('\r\n').slice(0, 21).join('\n'), { to: 'pdf' })
      assert.ok((result.pages ?? 0) >= 1)
      const text = pdftotext(output)
      assert.ok(text.includes('easy-ham-1/00001') && text.includes('Robert Elz'), text.slice(0, 300))
    })
  })

  it('runs through a node in its worker thread, streaming output past one chunk, with typed errors intact', async () => {
    // Open mesh: membership is tested in the trust suites; this is about the thread runtime's data path.
    const node = await createNode({
      capabilities: [cap],
      transports: ['memory'],
      listen: [`/memory/doc-${process.pid}`],
      logLevel: 'silent',
      trust: { openMesh: true },
    })
    await node.start()
    try {
      const input = fixture('shared-mime-info-spec.pdf')
      const viaNode = await node.submit({ capability: 'document.convert', params: { to: 'json' }, input }).result
      const direct = await convert(input, { to: 'json' })
      assert.ok(direct.output.byteLength > 64 * 1024, 'output spans several chunks')
      assert.ok(viaNode.output !== undefined && Buffer.from(viaNode.output).equals(Buffer.from(direct.output)))
      assert.equal((viaNode.value as { bytesOut: number }).bytesOut, direct.output.byteLength)
      const bad = await node.submit({
        capability: 'document.convert',
        params: { to: 'text', from: 'docx' },
        input: Buffer.from('PK\x03\x04 not a zip'),
      }).outcome
      assert.equal(bad.state, 'failed')
      assert.equal(bad.error?.code, 'invalid_document')
    } finally {
      await node.stop()
    }
  })

  describe('bad input gives typed errors', () => {
    it('corrupt DOCX → invalid_document', async () => {
      const docx = fixture('users-and-groups.docx')
      assert.equal((await failure(docx.subarray(0, docx.length / 2), { from: 'docx', to: 'text' })).code, 'invalid_document')
      const flipped = Buffer.from(docx).map((b, i) => (i > 200 && i < 4000 ? b ^ 0x55 : b))
      assert.equal((await failure(flipped, { from: 'docx', to: 'text' })).code, 'invalid_document')
      assert.equal(
        (await failure(zip([{ name: 'hello.txt', data: Buffer.from('not word') }]), { from: 'docx', to: 'text' })).code,
        'invalid_document',
      )
    })

    it('corrupt PDF → invalid_document', async () => {
      const pdf = fixture('shared-mime-info-spec.pdf')
      assert.equal((await failure(pdf.subarray(0, pdf.length / 2), { to: 'text' })).code, 'invalid_document')
      assert.equal(
        (await failure(Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(4096, 7)]), { to: 'text' })).code,
        'invalid_document',
      )
      assert.equal((await failure(new Uint8Array(0), { from: 'pdf', to: 'text' })).code, 'invalid_document')
    })

    it('a zip-bomb DOCX is refused before it is inflated', async () => {
      const bomb = zip([
        { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
        { name: 'word/document.xml', data: Buffer.alloc(64 * 1024 * 1024) },
      ])
      assert.ok(bomb.byteLength < 256 * 1024, `bomb is ${bomb.byteLength} bytes`)
      // 64 MiB of zeros deflates about 1000:1, past the ratio limit.
      const byRatio = await failure(bomb, { to: 'text' })
      assert.equal(byRatio.code, 'document_too_large')
      assert.match(byRatio.message, /compresses \d+:1 \(zip bomb\?\)/)
      // And the declared total is checked against maxUncompressedBytes.
      const byTotal = await failure(bomb, { to: 'text', limits: { maxUncompressedBytes: 16 * 1024 * 1024 } })
      assert.equal(byTotal.code, 'document_too_large')
      assert.match(byTotal.message, /declares over 16777216 bytes uncompressed/)
    })

    it('a DOCX whose headers understate its size is refused while inflating', async () => {
      const liar = zip(
        [
          { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
          { name: 'word/document.xml', data: Buffer.alloc(20 * 1024 * 1024) },
        ],
        { declareSize: 1000 },
      )
      const e = await failure(liar, { from: 'docx', to: 'text' })
      assert.equal(e.code, 'invalid_document')
      assert.match(e.message, /declared size/)
    })

    it('input over maxBytes → document_too_large, without reading the rest', async () => {
      let pulled = 0
      async function* chunks() {
        for (let i = 0; i < 100; i++) {
          pulled++
          yield new Uint8Array(64 * 1024).fill(97)
        }
      }
      const r = await runCapability(cap, { params: { to: 'html', limits: { maxBytes: 256 * 1024 } }, input: chunks() })
      assert.ok(r.outcome.state === 'failed' && r.outcome.error.code === 'document_too_large')
      assert.ok(pulled <= 5, `pulled ${pulled} chunks`)
    })

    it('more pages than maxPages → too_many_pages', async () => {
      assert.equal((await failure(fixture('shared-mime-info-spec.pdf'), { to: 'text', limits: { maxPages: 5 } })).code, 'too_many_pages')
    })

    it('past timeoutMs → conversion_timeout', async () => {
      assert.equal(
        (await failure(fixture('shared-mime-info-spec.pdf'), { to: 'text', limits: { timeoutMs: 1 } })).code,
        'conversion_timeout',
      )
    })

    it('unsupported pairs, unknown binary formats and bad UTF-8 are named', async () => {
      assert.equal((await failure(fixture('users-and-groups.docx'), { to: 'csv' })).code, 'unsupported_conversion')
      assert.equal((await failure('# x', { from: 'markdown', to: 'markdown' })).code, 'unsupported_conversion')
      const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex')
      assert.equal((await failure(png, { to: 'html' })).code, 'unknown_format')
      // Text falls back to Windows-1252 (document-real-world.test.ts); JSON has to be UTF-8.
      assert.equal((await failure(Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]), { from: 'json', to: 'csv' })).code, 'invalid_document')
      assert.equal((await failure('[1, 2]', { to: 'csv' })).code, 'invalid_document')
      assert.equal((await failure('x', { to: 'rtf' })).code, 'invalid_params')
    })
  })
})

/** A minimal ZIP writer (stored names, deflated data), so tests can build hostile archives. */
function zip(entries: { name: string; data: Buffer }[], opts: { declareSize?: number } = {}): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const e of entries) {
    const name = Buffer.from(e.name)
    const deflated = deflateRawSync(e.data, { level: 9 })
    const size = opts.declareSize ?? e.data.byteLength
    const crc = crc32(e.data)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(8, 8)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(deflated.byteLength, 18)
    local.writeUInt32LE(size, 22)
    local.writeUInt16LE(name.byteLength, 26)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(8, 10)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(deflated.byteLength, 20)
    central.writeUInt32LE(size, 24)
    central.writeUInt16LE(name.byteLength, 28)
    central.writeUInt32LE(offset, 42)
    locals.push(local, name, deflated)
    centrals.push(central, name)
    offset += local.byteLength + name.byteLength + deflated.byteLength
  }
  const cd = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(cd.byteLength, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, cd, end])
}
