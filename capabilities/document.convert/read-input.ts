/**
 * Gathers the streamed input, failing as soon as it passes the byte limit rather
 * than after buffering it all. Empty input is a valid (empty) text document;
 * the DOCX and PDF readers refuse it as invalid.
 */
import { documentError } from './errors.ts'

export async function readInput(input: AsyncIterable<Uint8Array>, maxBytes: number, signal: AbortSignal): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let total = 0
  for await (const chunk of input) {
    signal.throwIfAborted()
    total += chunk.byteLength
    if (total > maxBytes) throw documentError('document_too_large', `input is over the ${maxBytes}-byte limit`, { maxBytes })
    chunks.push(chunk)
  }
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks)
}
