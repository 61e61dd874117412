/**
 * Held-out figures for email.classify@1: sends every message of the fixed test
 * split through a local Crank node (the path users take) and prints accuracy,
 * precision, recall, F1 and the ham false-positive rate, overall and per group.
 *
 *   npm run eval:email-classify               the model alone
 *   npm run eval:email-classify -- --peers    also SpamAssassin (Bayes) and SpamProbe, trained on train.txt
 *
 * Both also score the robustness set (test/fixtures/email/robustness/: mail
 * from other projects' test suites, see its README) and print its false
 * positives message by message.
 */
import emailClassify from '../../capabilities/email.classify/index.ts'
import { createNode } from '../../src/index.ts'
import { type CorpusMessage, loadSplit, pct, readMessage, type Scores, score, tally } from './corpus.ts'
import { type PeerRun, runPeers } from './peers.ts'
import { loadRobustnessSet } from './robustness-set.ts'

interface Row {
  name: string
  overall: Scores
  groups: Map<string, Scores>
  note?: string
}

async function evalCrank(test: CorpusMessage[], name: string): Promise<Row & { predicted: Map<string, boolean> }> {
  const node = await createNode({
    capabilities: [emailClassify],
    transports: ['memory'],
    listen: [`/memory/email-eval-${name}`],
    logLevel: 'warn',
    // One node on its own: no peer ever connects, so no mesh CA is needed.
    trust: { openMesh: true },
  })
  await node.start()
  const predicted = new Map<string, boolean>()
  const errors: string[] = []
  const started = Date.now()
  try {
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < test.length) {
        const m = test[next++] as CorpusMessage
        let v: { label: string; probability: number }
        try {
          const r = await node.submit({ capability: 'email.classify@^1', input: readMessage(m), route: 'local' }).result
          v = r.value as { label: string; probability: number }
        } catch (err) {
          errors.push(`${m.key} (failed: ${(err as Error).message})`)
          continue
        }
        predicted.set(m.key, v.label === 'spam')
        if ((v.label === 'spam') !== m.spam) errors.push(`${m.key} (${m.spam ? 'spam' : 'ham'}, p=${v.probability.toFixed(3)})`)
      }
    }
    await Promise.all([worker(), worker(), worker(), worker()])
  } finally {
    await node.stop()
  }
  const secs = (Date.now() - started) / 1000
  console.log(`misclassified by crank on ${name}: ${errors.sort().join(', ') || 'none'}`)
  return {
    ...rows(test, predicted),
    predicted,
    name: 'crank email.classify@1 (ONNX)',
    note: `${test.length} jobs through a local node in ${secs.toFixed(1)} s (${(test.length / secs).toFixed(0)} msg/s)`,
  }
}

function rows(test: CorpusMessage[], predicted: Map<string, boolean>): Omit<Row, 'name'> {
  const pairs = test
    .filter((m) => predicted.has(m.key))
    .map((m) => ({ group: m.group, spam: m.spam, predicted: predicted.get(m.key) as boolean }))
  const groups = new Map<string, Scores>()
  for (const g of new Set(test.map((m) => m.group))) groups.set(g, score(tally(pairs.filter((p) => p.group === g))))
  return { overall: score(tally(pairs)), groups }
}

function printTable(rowsOut: Row[]): void {
  const header = ['filter', 'n', 'accuracy', 'precision', 'recall', 'F1', 'ham FP rate', 'FP', 'FN']
  const lines: string[][] = []
  for (const r of rowsOut) {
    const s = r.overall
    lines.push([
      r.name,
      String(s.n),
      pct(s.accuracy),
      pct(s.precision),
      pct(s.recall),
      pct(s.f1),
      pct(s.hamFpRate),
      String(s.fp),
      String(s.fn),
    ])
  }
  console.log(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`)
  for (const l of lines) console.log(`| ${l.join(' | ')} |`)
  for (const r of rowsOut) {
    console.log(`\n${r.name}: per group${r.note === undefined ? '' : ` (${r.note})`}`)
    console.log('| group | n | accuracy | errors | ham FP rate / spam recall |\n|---|---|---|---|---|')
    for (const [g, s] of r.groups) {
      const spamGroup = g.startsWith('spam')
      console.log(
        `| ${g} | ${s.n} | ${pct(s.accuracy)} | ${spamGroup ? `${s.fn} FN` : `${s.fp} FP`} | ${spamGroup ? `recall ${pct(s.recall)}` : `FP rate ${pct(s.hamFpRate)}`} |`,
      )
    }
  }
}

/** The robustness set as corpus messages, grouped by source project and label. */
function robustnessMessages(): CorpusMessage[] {
  return loadRobustnessSet().map((m) => ({
    key: `robustness/${m.key}`,
    group: `${m.spam ? 'spam' : 'ham'}:${m.key
      .slice(m.key.indexOf('/') + 1)
      .replace(/-[^-]*$/, '')
      .replace(/-sample$/, '')}`,
    spam: m.spam,
    path: m.path,
  }))
}

function printRobustness(robust: CorpusMessage[], results: { name: string; predictions: Map<string, boolean> }[]): void {
  const ham = robust.filter((m) => !m.spam)
  const spam = robust.filter((m) => m.spam)
  console.log(`\nrobustness set: ${robust.length} messages (${ham.length} ham, ${spam.length} spam), test/fixtures/email/robustness/`)
  console.log('| filter | ham FP rate | FP | spam caught |\n|---|---|---|---|')
  for (const r of results) {
    const fp = ham.filter((m) => r.predictions.get(m.key) === true)
    const caught = spam.filter((m) => r.predictions.get(m.key) === true).length
    console.log(`| ${r.name} | ${pct(fp.length / ham.length)} | ${fp.length} of ${ham.length} | ${caught} of ${spam.length} |`)
  }
  for (const r of results) {
    const fp = ham.filter((m) => r.predictions.get(m.key) === true).map((m) => m.key.replace('robustness/', ''))
    console.log(`false positives of ${r.name}: ${fp.join(', ') || 'none'}`)
  }
}

const test = loadSplit('test')
const robust = robustnessMessages()
console.log(
  `held-out split: ${test.length} messages (${test.filter((m) => m.spam).length} spam) from ../shared/data/spamassassin-split/test.txt`,
)
const crank = await evalCrank(test, 'split')
const crankRobust = await evalCrank(robust, 'robustness')
const out: Row[] = [crank]
const robustResults = [
  {
    name: crank.name,
    predictions: crankRobust.predicted,
  },
]
if (process.argv.includes('--peers')) {
  // One training run per peer, scoring the split and the robustness set together.
  const peers: PeerRun[] = await runPeers(loadSplit('train'), [...test, ...robust])
  for (const p of peers) {
    if (p.predictions === undefined) console.log(`peer ${p.name}: MISSING — ${p.missing}`)
    else {
      out.push({ ...rows(test, p.predictions), name: p.name, ...(p.note === undefined ? {} : { note: p.note }) })
      robustResults.push({ name: p.name, predictions: p.predictions })
    }
  }
}
printTable(out)
printRobustness(robust, robustResults)
