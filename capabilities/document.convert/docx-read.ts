/** Reads DOCX with mammoth, after the zip-bomb guard has passed the archive. */
import mammoth from 'mammoth'
import { asInvalidDocument } from './errors.ts'
import { checkZip, type ZipLimits } from './zip-guard.ts'

export interface DocxRead {
  html: string
  warnings: string[]
}

export async function readDocx(bytes: Uint8Array, limits: ZipLimits): Promise<DocxRead> {
  await checkZip(bytes, limits, 'word/document.xml')
  try {
    const result = await mammoth.convertToHtml({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) })
    return { html: result.value, warnings: result.messages.map((m) => `docx: ${m.message}`) }
  } catch (err) {
    throw asInvalidDocument(err, 'DOCX could not be read')
  }
}
