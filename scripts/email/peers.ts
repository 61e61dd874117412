/**
 * The peers email.classify is compared with, scored on the same split:
 * Debian's SpamAssassin (Bayes trained with sa-learn on train.txt; stock
 * rules run offline with -L) and SpamProbe (trained likewise). Tools that are
 * missing are installed with apt-get when we are root, else reported as missing.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CorpusMessage, readMessage } from './corpus.ts'

export interface PeerRun {
  name: string
  /** Spam verdict per `group/id`; absent when the tool is missing. */
  predictions?: Map<string, boolean>
  missing?: string
  note?: string
}

const KEY_HEADER = 'X-Crank-Eval-Key'

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0
}

/** Finds `cmd`, installing Debian package `pkg` when we can. Returns why it is missing, or undefined. */
function ensure(cmd: string, pkg: string): string | undefined {
  if (has(cmd)) return undefined
  if (process.getuid?.() !== 0 || !has('apt-get')) return `${cmd} not found; install the Debian package ${pkg}`
  console.log(`installing Debian package ${pkg} for ${cmd}…`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'inherit', env })
  if (!has(cmd)) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env })
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'inherit', env })
  }
  return has(cmd) ? undefined : `${cmd} not found and apt-get install ${pkg} failed`
}

/** Runs `cmd` with the file arguments in batches (argument lists have a size limit). */
function runBatched(cmd: string, args: string[], files: string[], batch = 500): string {
  let out = ''
  for (let i = 0; i < files.length; i += batch) {
    out += execFileSync(cmd, [...args, ...files.slice(i, i + batch)], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  }
  return out
}

/** An mboxrd of the test messages, each tagged with its key so results can be matched back. */
function writeMbox(path: string, test: CorpusMessage[]): void {
  const parts: Buffer[] = []
  for (const m of test) {
    let text = readMessage(m).toString('latin1')
    let envelope = 'From crank@localhost Thu Jan  1 00:00:00 1970'
    if (text.startsWith('From ')) {
      const eol = text.indexOf('\n')
      envelope = text.slice(0, eol).replace(/\r$/, '')
      text = text.slice(eol + 1)
    }
    text = text.replace(/^(>*From )/gm, '>$1')
    if (!text.endsWith('\n')) text += '\n'
    parts.push(Buffer.from(`${envelope}\n${KEY_HEADER}: ${m.key}\n${text}\n`, 'latin1'))
  }
  writeFileSync(path, Buffer.concat(parts))
}

export function spamAssassin(train: CorpusMessage[], test: CorpusMessage[], dir: string): PeerRun[] {
  const missing = ensure('spamassassin', 'spamassassin') ?? ensure('sa-learn', 'spamassassin')
  const names = ['SpamAssassin (stock rules offline + Bayes, score ≥ 5.0)', 'SpamAssassin Bayes alone (p > 0.5)']
  if (missing !== undefined) return names.map((name) => ({ name, missing }))
  const bayes = join(dir, 'sa', 'bayes')
  mkdirSync(join(dir, 'sa'), { recursive: true })
  const started = Date.now()
  const learn = (kind: '--spam' | '--ham', msgs: CorpusMessage[]): void => {
    runBatched(
      'sa-learn',
      ['--dbpath', bayes, '--no-sync', kind],
      msgs.map((m) => m.path),
    )
  }
  console.log('SpamAssassin: sa-learn on train.txt…')
  learn(
    '--spam',
    train.filter((m) => m.spam),
  )
  learn(
    '--ham',
    train.filter((m) => !m.spam),
  )
  execFileSync('sa-learn', ['--dbpath', bayes, '--sync'])
  const mbox = join(dir, 'sa', 'test.mbox')
  writeMbox(mbox, test)
  console.log('SpamAssassin: scoring the test split (offline, -L)…')
  // report_safe 0: verdicts go into headers, the message itself is left as it was.
  const args = [
    '-L',
    '--cf',
    `bayes_path ${bayes}`,
    '--cf',
    'use_bayes 1',
    '--cf',
    'bayes_auto_learn 0',
    '--cf',
    'report_safe 0',
    '--cf',
    'add_header all Bayes _BAYES_',
  ]
  const run = (extra: string[], input: Buffer): string =>
    execFileSync('spamassassin', [...args, ...extra], { input, maxBuffer: 1024 * 1024 * 1024, stdio: ['pipe', 'pipe', 'ignore'] }).toString(
      'latin1',
    )
  const rules = new Map<string, boolean>()
  const bayesOnly = new Map<string, boolean>()
  const collect = (msg: string, fallbackKey?: string): void => {
    const key = new RegExp(`^${KEY_HEADER}: (\\S+)`, 'mi').exec(msg)?.[1] ?? fallbackKey
    if (key === undefined) return
    const status = /^X-Spam-Status: (Yes|No)/m.exec(msg)?.[1]
    const p = /^X-Spam-Bayes: ([0-9.]+)/m.exec(msg)?.[1]
    if (status !== undefined) rules.set(key, status === 'Yes')
    if (p !== undefined) bayesOnly.set(key, Number(p) > 0.5)
  }
  for (const msg of run(['--mbox'], readFileSync(mbox)).split(/\nFrom /)) collect(msg)
  // A message the mbox round trip lost (SpamAssassin re-splits the mailbox its own way) is scored on its own.
  for (const m of test) if (!rules.has(m.key) || !bayesOnly.has(m.key)) collect(run([], readMessage(m)), m.key)
  const secs = ((Date.now() - started) / 1000).toFixed(0)
  const version = execFileSync('spamassassin', ['--version'], { encoding: 'utf8' }).split('\n')[0]
  return [
    { name: names[0] as string, predictions: rules, note: `${version}; ${rules.size} of ${test.length} scored; train+score ${secs} s` },
    { name: names[1] as string, predictions: bayesOnly, note: `${bayesOnly.size} of ${test.length} scored` },
  ]
}

export function spamProbe(train: CorpusMessage[], test: CorpusMessage[], dir: string): PeerRun {
  const name = 'SpamProbe (p > 0.6)'
  const missing = ensure('spamprobe', 'spamprobe')
  if (missing !== undefined) return { name, missing }
  const db = join(dir, 'spamprobe')
  mkdirSync(db, { recursive: true })
  const started = Date.now()
  console.log('SpamProbe: training on train.txt…')
  runBatched(
    'spamprobe',
    ['-d', db, 'spam'],
    train.filter((m) => m.spam).map((m) => m.path),
  )
  runBatched(
    'spamprobe',
    ['-d', db, 'good'],
    train.filter((m) => !m.spam).map((m) => m.path),
  )
  const predictions = new Map<string, boolean>()
  // spamprobe prints one line per file, in argument order; the count is checked below.
  const lines = runBatched(
    'spamprobe',
    ['-d', db, 'score'],
    test.map((m) => m.path),
  )
    .trim()
    .split('\n')
  if (lines.length !== test.length) return { name, missing: `spamprobe printed ${lines.length} scores for ${test.length} messages` }
  test.forEach((m, i) => {
    const p = Number((lines[i] as string).split(/\s+/)[1])
    predictions.set(m.key, p > 0.6)
  })
  return { name, predictions, note: `train+score ${((Date.now() - started) / 1000).toFixed(0)} s` }
}

export async function runPeers(train: CorpusMessage[], test: CorpusMessage[]): Promise<PeerRun[]> {
  const dir = mkdtempSync(join(tmpdir(), 'crank-email-peers-'))
  try {
    const runs: PeerRun[] = []
    for (const run of [() => spamAssassin(train, test, dir), () => [spamProbe(train, test, dir)]]) {
      try {
        runs.push(...run())
      } catch (err) {
        runs.push({ name: 'peer', missing: `failed: ${(err as Error).message.split('\n')[0]}` })
      }
    }
    return runs
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
