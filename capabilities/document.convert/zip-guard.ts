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

/** Entries the caller asked to read are kept only up to this size; package relationship parts are a few KiB. */
export const MAX_COLLECTED_ENTRY_BYTES = 1024 * 1024

export interface CheckedZip {
  /** Every entry's name. */
  names: Set<string>
  /** The contents of the entries asked for in `collect` that exist and are small enough. */
  collected: Map<string, Buffer>
}

/** Checks the archive (see above) and returns its entry names, with the contents of the small entries named in `collect`. */
export async function checkZip(bytes: Uint8Array, limits: ZipLimits, collect: readonly string[] = []): Promise<CheckedZip> {
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
    const collected = new Map<string, Buffer>()
    for (const entry of entries) {
      if (entry.fileName.endsWith('/')) continue
      const keep = collect.includes(entry.fileName) && entry.uncompressedSize <= MAX_COLLECTED_ENTRY_BYTES
      const chunks: Buffer[] = []
      try {
        const stream = await zip.openReadStreamPromise(entry)
        // Draining is the point: yauzl counts the bytes and throws past the declared size.
        for await (const chunk of stream) if (keep) chunks.push(chunk as Buffer)
      } catch (err) {
        throw asInvalidDocument(err, `ZIP entry ${entry.fileName} does not inflate to its declared size`)
      }
      if (keep) collected.set(entry.fileName, Buffer.concat(chunks))
    }
    return { names: new Set(entries.map((e) => e.fileName)), collected }
  } finally {
    zip.close()
  }
}
