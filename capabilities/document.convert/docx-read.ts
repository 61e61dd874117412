/** Reads DOCX with mammoth, after the zip-bomb guard has passed the archive. */
import mammoth from 'mammoth'
import { asInvalidDocument, documentError } from './errors.ts'
import { checkZip, type ZipLimits } from './zip-guard.ts'

export interface DocxRead {
  html: string
  warnings: string[]
}

const PACKAGE_RELS = '_rels/.rels'
/** Where Word puts the main part; OPC lets a package put it anywhere its `_rels/.rels` says. */
const DEFAULT_MAIN_PART = 'word/document.xml'
/** The relationship naming the main part, in transitional (…/officeDocument/2006/relationships/…) and strict OOXML. */
const OFFICE_DOCUMENT_REL = /<Relationship\b[^>]*?\bType\s*=\s*["'][^"']*\/officeDocument["'][^>]*>/
const TARGET = /\bTarget\s*=\s*["']([^"']+)["']/

export async function readDocx(bytes: Uint8Array, limits: ZipLimits): Promise<DocxRead> {
  const zip = await checkZip(bytes, limits, [PACKAGE_RELS])
  const main = mainPart(zip.collected.get(PACKAGE_RELS))
  if (!zip.names.has(main)) {
    throw documentError('invalid_document', `archive has no main document part (${main}); it is not a DOCX`)
  }
  try {
    // mammoth follows the same relationship to the main part.
    const result = await mammoth.convertToHtml({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) })
    return { html: result.value, warnings: result.messages.map((m) => `docx: ${m.message}`) }
  } catch (err) {
    throw asInvalidDocument(err, 'DOCX could not be read')
  }
}

/** The main part's name inside the archive, from the package relationships (targets are relative to the package root). */
function mainPart(rels: Buffer | undefined): string {
  const rel = rels === undefined ? undefined : OFFICE_DOCUMENT_REL.exec(rels.toString('utf8'))?.[0]
  const target = rel === undefined ? undefined : TARGET.exec(rel)?.[1]
  if (target === undefined) return DEFAULT_MAIN_PART
  return decodeURIComponent(target.replace(/^\.?\//, ''))
}
