/**
 * Refuses zip bombs before any DOCX library inflates the archive. The central
 * directory's declared sizes are checked first (cheap); then every entry is
 * inflated into a byte counter with yauzl's validateEntrySizes, which fails
 * the moment an entry inflates past what it declared, so a lying header cannot
 * slip a bomb through. Only archives that pass reach mammoth/jszip.
 */
import * as yauzl from 'yauzl'
import { asInvalidDocument, documentError } from './errors.ts'

export interface ZipLimits {
  /** Sum of the entries' uncompressed sizes. */
  maxUncompressedBytes: number
  /** Largest uncompressed/compressed ratio allowed for an entry over 1 MiB. */
  maxRatio: number
  maxEntries: number
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxUncompressedBytes: 256 * 1024 * 1024, maxRatio: 200, maxEntries: 5000 }

export async function checkZip(bytes: Uint8Array, limits: ZipLimits, requiredEntry: string): Promise<void> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let zip: yauzl.ZipFile
  try {
    zip = await yauzl.fromBufferPromise(buffer, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false })
  } catch (err) {
    throw asInvalidDocument(err, 'not a readable ZIP container')
  }
  try {
    if (zip.entryCount > limits.maxEntries) {
      throw documentError('document_too_large', `archive has ${zip.entryCount} entries; the limit is ${limits.maxEntries}`)
    }
    const entries: yauzl.Entry[] = []
    let declared = 0
    try {
      for await (const entry of zip.eachEntry()) {
        declared += entry.uncompressedSize
        if (declared > limits.maxUncompressedBytes) {
          throw documentError('document_too_large', `archive declares over ${limits.maxUncompressedBytes} bytes uncompressed (zip bomb?)`, {
            entry: entry.fileName,
          })
        }
        const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize)
        if (entry.uncompressedSize > 1024 * 1024 && ratio > limits.maxRatio) {
          throw documentError('document_too_large', `entry ${entry.fileName} compresses ${Math.round(ratio)}:1 (zip bomb?)`, {
            entry: entry.fileName,
          })
        }
        entries.push(entry)
      }
    } catch (err) {
      throw asInvalidDocument(err, 'corrupt ZIP central directory')
    }
    if (!entries.some((e) => e.fileName === requiredEntry)) {
      throw documentError('invalid_document', `archive has no ${requiredEntry}; it is not this document format`)
    }
    for (const entry of entries) {
      if (entry.fileName.endsWith('/')) continue
      try {
        const stream = await zip.openReadStreamPromise(entry)
        for await (const _ of stream) {
          // Draining is the point: yauzl counts the bytes and throws past the declared size.
        }
      } catch (err) {
        throw asInvalidDocument(err, `ZIP entry ${entry.fileName} does not inflate to its declared size`)
      }
    }
  } finally {
    zip.close()
  }
}
