/**
 * Assembles the fidelity corpus from files that npm and Debian packages ship (listed, with licences, in
 * scripts/document/README.md). DOCX and PDF made by LibreOffice from Debian HTML pages stand in where packages
 * ship few native ones: they come from an independent writer, as the natives do. Missing sources are skipped,
 * so the table says how many documents each direction had.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs'
import { basename, extname, join } from 'node:path'

export type CorpusFormat = 'markdown' | 'html' | 'text' | 'docx' | 'pdf'

export interface CorpusDoc {
  format: CorpusFormat
  file: string
  source: string
}

const NODE_MODULES = new URL('../../node_modules/', import.meta.url).pathname
const DOC = '/usr/share/doc'

export const SOURCES: { format: CorpusFormat; path: string }[] = [
  // HTML: Debian package documentation, HTML 4 and XHTML, UTF-8 and ISO-8859-1.
  { format: 'html', path: `${DOC}/base-passwd/users-and-groups.html` },
  { format: 'html', path: `${DOC}/libxslt1-dev/html/intro.html` },
  { format: 'html', path: `${DOC}/libxslt1-dev/html/FAQ.html` },
  { format: 'html', path: `${DOC}/libxslt1-dev/html/internals.html` },
  { format: 'html', path: `${DOC}/libxslt1-dev/html/extensions.html` },
  { format: 'html', path: `${DOC}/libxslt1-dev/html/tutorial/libxslttutorial.html` },
  { format: 'html', path: `${DOC}/libxslt1-dev/gtk-doc/html/libxslt/libxslt-xsltutils.html` },
  { format: 'html', path: `${DOC}/libxslt1-dev/gtk-doc/html/libexslt/libexslt-exslt.html` },
  // Markdown: READMEs shipped in npm packages (GFM tables, fences, links, raw HTML).
  { format: 'markdown', path: `${NODE_MODULES}markdown-it/README.md` },
  { format: 'markdown', path: `${NODE_MODULES}turndown/README.md` },
  { format: 'markdown', path: `${NODE_MODULES}yauzl/README.md` },
  { format: 'markdown', path: `${NODE_MODULES}semver/README.md` },
  { format: 'markdown', path: `${NODE_MODULES}ajv/README.md` },
  // Plain text: licences and release notes.
  { format: 'text', path: '/usr/share/common-licenses/GPL-2' },
  { format: 'text', path: '/usr/share/common-licenses/Apache-2.0' },
  { format: 'text', path: '/usr/share/common-licenses/MPL-2.0' },
  { format: 'text', path: `${DOC}/git/RelNotes/2.38.2.txt` },
  // DOCX written by Word: mammoth's test documents.
  ...[
    'tables',
    'simple-list',
    'footnotes',
    'endnotes',
    'comments',
    'text-box',
    'strikethrough',
    'underline',
    'single-paragraph',
    'footnote-hyperlink',
  ].map((n) => ({ format: 'docx' as const, path: `${NODE_MODULES}mammoth/test/test-data/${n}.docx` })),
  // PDF: manuals typeset by DocBook/TeX tool chains in Debian packages.
  { format: 'pdf', path: `${DOC}/shared-mime-info/shared-mime-info-spec.pdf` },
  { format: 'pdf', path: `${DOC}/libtasn1-doc/libtasn1.pdf` },
]

/** Debian HTML pages LibreOffice renders to DOCX and PDF for the corpus. */
const LIBREOFFICE_RENDERED = [
  `${DOC}/base-passwd/users-and-groups.html`,
  `${DOC}/libxslt1-dev/html/FAQ.html`,
  `${DOC}/libxslt1-dev/html/internals.html`,
]

export function assembleCorpus(dir: string): CorpusDoc[] {
  mkdirSync(dir, { recursive: true })
  const docs: CorpusDoc[] = []
  const ext: Record<CorpusFormat, string> = { markdown: 'md', html: 'html', text: 'txt', docx: 'docx', pdf: 'pdf' }
  for (const s of SOURCES) {
    if (!existsSync(s.path)) continue
    // Names are made unique from the path, since several sources share a base name.
    const stem = s.path
      .replace(/^\/(usr\/share\/doc|usr\/share|work\/[^/]+\/[^/]+)\//, '')
      .replace(/\.[^./]+$/, '')
      .replace(/[^\w-]+/g, '_')
    const file = join(dir, `${stem}.${ext[s.format]}`)
    copyFileSync(s.path, file)
    docs.push({ format: s.format, file, source: s.path })
  }
  const rendered = LIBREOFFICE_RENDERED.filter((p) => existsSync(p))
  for (const [format, filter] of [
    ['docx', 'docx:MS Word 2007 XML'],
    ['pdf', 'pdf:writer_web_pdf_Export'],
  ] as const) {
    const out = join(dir, `lo-${format}`)
    mkdirSync(out, { recursive: true })
    try {
      execFileSync(
        'soffice',
        ['--headless', `-env:UserInstallation=file://${dir}/../lo-profile`, '--convert-to', filter, '--outdir', out, ...rendered],
        { stdio: 'ignore', timeout: 180_000 },
      )
    } catch {
      // LibreOffice missing or failed: the corpus goes without these.
    }
    for (const f of readdirSync(out)) {
      const source = rendered.find((p) => basename(p, extname(p)) === basename(f, extname(f)))
      docs.push({ format, file: join(out, f), source: `LibreOffice rendering of ${source}` })
    }
  }
  return docs
}
