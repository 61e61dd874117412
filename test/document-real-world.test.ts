/**
 * document.convert on inputs from elsewhere that it used to refuse or garble: XHTML, legacy encodings, tables
 * without a header row, tabs, CJK and emoji in PDF, a DOCX with its main part moved, a PDF with broken metadata
 * references, and plain text that is not Markdown.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import mammoth from 'mammoth'
import cap from '../capabilities/document.convert/index.ts'
import { runCapability } from '../src/testing.ts'

const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/documents/${name}`, import.meta.url))
const decoder = new TextDecoder()

interface Result {
  from: string
  detected: boolean
  warnings: string[]
}

async function convert(
  input: Uint8Array | string,
  params: Record<string, unknown>,
): Promise<{ text: string; bytes: Uint8Array; result: Result }> {
  const r = await runCapability(cap, { params, input })
  if (r.outcome.state !== 'succeeded') throw new Error(`${JSON.stringify(params)} failed: ${JSON.stringify(r.outcome)}`)
  return { bytes: r.output, text: decoder.decode(r.output), result: r.outcome.result as Result }
}

const pdftotext = (pdf: Uint8Array): string => execFileSync('pdftotext', ['-layout', '-', '-'], { input: pdf }).toString('utf8')
const docxHtml = async (docx: Uint8Array): Promise<string> => (await mammoth.convertToHtml({ buffer: Buffer.from(docx) })).value

describe('document.convert on real-world inputs', function () {
  this.timeout(120_000)

  describe('XHTML and legacy encodings', () => {
    it('XHTML with an XML declaration is sniffed as HTML (Debian libxslt docs)', async () => {
      const { text, result } = await convert(fixture('xhtml-libexslt-general.html'), { to: 'text' })
      assert.equal(result.from, 'html')
      assert.equal(result.detected, true)
      assert.doesNotMatch(text, /<\?xml|<meta/)
    })

    it('ISO-8859-1 HTML declared by http-equiv is decoded, with or without from', async () => {
      for (const params of [{ to: 'markdown' }, { from: 'html', to: 'markdown' }]) {
        const { text, result } = await convert(fixture('latin1-libxslt-tutorial.html'), params)
        assert.equal(result.from, 'html')
        assert.match(text, /Copyright © 2001 John Fleck/)
        assert.deepEqual(result.warnings, [])
      }
    })

    it('<meta charset> names the encoding; a BOM overrides it', async () => {
      const body = '<p>“Crème brûlée” – 5 €</p>'
      const cp1252 = Buffer.from(new Uint8Array([...`<meta charset="windows-1252">${body}`].map((c) => cp1252Byte(c))))
      assert.match((await convert(cp1252, { from: 'html', to: 'text' })).text, /“Crème brûlée” – 5 €/)
      const utf16 = Buffer.concat([
        Buffer.from([0xff, 0xfe]),
        Buffer.from(`<html><head><meta charset="iso-8859-1"></head>${body}`, 'utf16le'),
      ])
      const read = await convert(utf16, { to: 'markdown' })
      assert.equal(read.result.from, 'html')
      assert.match(read.text, /“Crème brûlée” – 5 €/)
    })

    it('undeclared non-UTF-8 text falls back to Windows-1252 with a warning, like pandoc', async () => {
      const latin1 = Buffer.from('<p>Gr\u00fc\u00dfe aus K\u00f6ln</p>', 'latin1')
      const { text, result } = await convert(latin1, { from: 'html', to: 'text' })
      assert.equal(text.trim(), 'Grüße aus Köln')
      assert.match(result.warnings.join('\n'), /not valid UTF-8; read as Windows-1252/)
      const sniffed = await convert(Buffer.from('Na\u00efve caf\u00e9 notes\n', 'latin1'), { to: 'html' })
      assert.equal(sniffed.result.from, 'text')
      assert.match(sniffed.text, /Naïve café notes/)
    })

    it('binary that is neither UTF-8 nor a known format is still refused', async () => {
      const r = await runCapability(cap, { params: { to: 'text' }, input: Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x80]) })
      assert.equal(r.outcome.state, 'failed')
      if (r.outcome.state === 'failed') assert.equal(r.outcome.error.code, 'unknown_format')
    })
  })

  describe('tables without a header row (every table mammoth reads)', () => {
    it('DOCX → Markdown writes a GFM table with an empty header', async () => {
      const { text } = await convert(fixture('mammoth-tables.docx'), { to: 'markdown' })
      assert.match(text, /\| Top left \| Top right \|/)
      assert.match(text, /\| Bottom left \| Bottom right \|/)
      assert.doesNotMatch(text, /<table/)
    })

    it('DOCX → DOCX and DOCX → PDF keep every cell apart, with no header row', async () => {
      // DOCX → DOCX is not a conversion; mammoth's HTML of the DOCX takes the same path (HTML → Markdown → DOCX).
      const html = (await convert(fixture('mammoth-tables.docx'), { to: 'html' })).text
      assert.match(html, /<table><tr><td>/)
      const docx = await docxHtml((await convert(html, { from: 'html', to: 'docx' })).bytes)
      assert.match(docx, /<td><p>Top left<\/p><\/td><td><p>Top right<\/p><\/td>/)
      assert.doesNotMatch(docx, /<strong>Top left/)
      const pdf = pdftotext((await convert(fixture('mammoth-tables.docx'), { to: 'pdf' })).bytes)
      assert.match(pdf, /Top left\s{2,}Top right/)
      assert.doesNotMatch(pdf, /Top leftTop right/)
    })

    it('rows wider than the header and cells holding paragraphs lose nothing', async () => {
      const html = '<table><tr><th>a</th></tr><tr><td><p>one</p><p>two</p></td><td>extra | cell</td></tr></table>'
      const { text } = await convert(html, { from: 'html', to: 'pdf' }).then((r) => ({ text: pdftotext(r.bytes) }))
      assert.match(text, /one two/)
      assert.match(text, /extra \| cell/)
    })
  })

  describe('layout tables and tall rows', () => {
    it('a layout table (holding a table, headings or lists) is written as blocks, a data table inside it as a table', async () => {
      const html =
        '<table><tr><td><h1>Site</h1><ul><li>Home</li><li>FAQ</li></ul></td><td><table><tr><td>k</td><td>v</td></tr></table></td></tr></table>'
      const { text } = await convert(html, { from: 'html', to: 'markdown' })
      assert.match(text, /^# Site$/m)
      assert.match(text, /^- +Home$/m)
      assert.match(text, /^\| k \| v \|$/m)
    })

    it('a table row taller than a page reaches the PDF whole (pdfkit would cut it at the page end)', async () => {
      const words = Array.from({ length: 2500 }, (_, i) => `w${i}`)
      const md = `| a | b |\n|---|---|\n| short | ${words.join(' ')} |\n| last | row |\n`
      const text = pdftotext((await convert(md, { from: 'markdown', to: 'pdf' })).bytes)
      const found = new Set(text.match(/w\d+/g))
      assert.equal(words.filter((w) => !found.has(w)).length, 0)
      assert.match(text, /last\s+row/)
    })
  })

  describe('PDF output text', () => {
    it('tabs in code blocks and table cells become spaces to the next tab stop', async () => {
      const md = '```\nname\tsize\nab\tc\n```\n\n| k | v |\n|---|---|\n| x\ty | z |\n'
      const { bytes } = await convert(md, { from: 'markdown', to: 'pdf' })
      const text = pdftotext(bytes)
      // pdftotext -layout approximates spacing, so only the words and that nothing else stands between them are checked.
      assert.match(text, /^\s*name +size\s*$/m)
      assert.match(text, /^\s*ab +c\s*$/m)
      assert.match(text, /^\s*x +y +z\s*$/m)
      assert.doesNotMatch(text, /\t/)
    })

    it('CJK is drawn with Noto Sans CJK when installed; characters no font has are always warned about', async () => {
      const md = '# 文書変換\n\n中文段落与한국어 문장, and an emoji 😀.\n'
      const { bytes, result } = await convert(md, { from: 'markdown', to: 'pdf' })
      const warnings = result.warnings.join('\n')
      assert.match(warnings, /no glyph .*😀 U\+1F600/)
      if (existsSync('/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc')) {
        const text = pdftotext(bytes)
        assert.match(text, /文書変換/)
        assert.match(text, /中文段落与한국어 문장/)
        assert.doesNotMatch(warnings, /文|한/)
      } else {
        assert.match(warnings, /fonts-noto-cjk/)
      }
    })

    it('Latin text stays in the standard fonts, with no warning', async () => {
      const { result } = await convert('Plain *Latin* text, “quoted” – €5.\n', { from: 'markdown', to: 'pdf' })
      assert.deepEqual(result.warnings, [])
    })
  })

  describe('readable inputs with odd structure', () => {
    it('a DOCX whose main part is not word/document.xml is found through _rels/.rels', async () => {
      const { text, result } = await convert(fixture('main-part-moved.docx'), { to: 'text' })
      assert.equal(result.from, 'docx')
      assert.match(text, /Top left/)
      assert.match(text, /Bottom right/)
    })

    it('a PDF whose metadata and outline references are broken is still read', async () => {
      const { text } = await convert(fixture('broken-metadata.pdf'), { to: 'text' })
      assert.match(text, /A page whose metadata cannot be read/)
      const json = JSON.parse((await convert(fixture('broken-metadata.pdf'), { to: 'json' })).text) as {
        info: Record<string, string>
        pageCount: number
      }
      assert.equal(json.pageCount, 1)
      assert.equal(json.info.Title, undefined)
    })
  })

  describe('plain text is not Markdown', () => {
    it('a licence with numbered sections is sniffed as text and converts to Markdown', async () => {
      const { text, result } = await convert(fixture('gpl-2.txt'), { to: 'markdown' })
      assert.equal(result.from, 'text')
      assert.match(text, /GNU GENERAL PUBLIC LICENSE/)
      // Apache-2.0's opening: numbered sections and a quoted definition, nothing that is only Markdown.
      const apache =
        'TERMS AND CONDITIONS FOR USE\n\n1. Definitions.\n\n   "License" shall mean the terms and conditions.\n\n2. Grant of Copyright License.\n'
      const asMarkdown = await convert(apache, { to: 'markdown' })
      assert.equal(asMarkdown.result.from, 'text')
      assert.match(asMarkdown.text, /1\\. Definitions\./)
    })

    it('release notes with underlined titles and bullets are text; a README with headings and links is Markdown', async () => {
      const notes =
        'Git 2.38.2 Release Notes\n========================\n\nFixes since v2.38.1\n-------------------\n\n * Update `CodingGuidelines`.\n\n * Fix messages.\n'
      assert.equal((await convert(notes, { to: 'html' })).result.from, 'text')
      assert.equal((await convert(fixture('htmlparser2-readme.md'), { to: 'html' })).result.from, 'markdown')
      assert.equal((await convert('# Title\n\nSome words.\n', { to: 'html' })).result.from, 'markdown')
    })
  })
})

/** Windows-1252 byte of a character (the few 0x80–0x9F punctuation marks, else Latin-1). */
function cp1252Byte(c: string): number {
  const extra = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ'.indexOf(c)
  return extra >= 0 ? 0x80 + extra : (c.codePointAt(0) as number)
}
