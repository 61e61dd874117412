import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import emailClassify, { type EmailClassifyResult } from '../capabilities/email.classify/index.ts'
import { type CorpusMessage, loadSplit, mboxOf, messageByKey, readMessage } from '../scripts/email/corpus.ts'
import { loadRobustnessSet } from '../scripts/email/robustness-set.ts'
import { createNode } from '../src/index.ts'
import { runCapability } from '../src/testing.ts'

const MODEL_CONFIG = JSON.parse(readFileSync(new URL('../capabilities/email.classify/model/config.json', import.meta.url), 'utf8')) as {
  threshold: number
}
/**
 * Robustness-set ham that SpamProbe 1.4d, trained on the same train.txt, flags at p > 0.6: 1 of 52
 * (`npm run eval:email-classify -- --peers`; the test does not rerun it). The bar: no more than SpamProbe.
 */
const SPAMPROBE_ROBUSTNESS_FP = 1

const corpus = (key: string): Buffer => readMessage(messageByKey(key))

async function classify(input: Buffer, params: Record<string, unknown> = {}): Promise<EmailClassifyResult> {
  const r = await runCapability(emailClassify, { input, params })
  assert.equal(r.outcome.state, 'succeeded', JSON.stringify(r.outcome))
  return (r.outcome as { result: EmailClassifyResult }).result
}

async function classifyFails(input: Buffer, params: Record<string, unknown> = {}): Promise<string> {
  const r = await runCapability(emailClassify, { input, params })
  assert.equal(r.outcome.state, 'failed', JSON.stringify(r.outcome))
  return (r.outcome as { error: { code: string } }).error.code
}

/** Every held-out message's probability, from one mbox job (shared by the tests that need it). */
let heldOut:
  | Promise<{ test: CorpusMessage[]; lines: { index: number; label: string; probability: number }[]; result: EmailClassifyResult }>
  | undefined
function classifyHeldOut(): NonNullable<typeof heldOut> {
  heldOut ??= (async () => {
    const test = loadSplit('test')
    const r = await runCapability(emailClassify, { input: mboxOf(test.map(readMessage)), params: { format: 'mbox' } })
    assert.equal(r.outcome.state, 'succeeded', JSON.stringify(r.outcome))
    const lines = Buffer.from(r.output)
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { index: number; label: string; probability: number })
    return { test, lines, result: (r.outcome as { result: EmailClassifyResult }).result }
  })()
  return heldOut
}

const note = (headers: string, body: string): Buffer => Buffer.from(`${headers.trim()}\n\n${body}\n`, 'utf8')

describe('email.classify@1 (ONNX model trained on the SpamAssassin split)', () => {
  it('labels a held-out spam and a held-out ham message, with a probability', async () => {
    const spam = await classify(corpus('spam-2/01205'))
    assert.equal(spam.format, 'rfc822')
    assert.equal(spam.label, 'spam')
    assert.ok((spam.probability ?? 0) > 0.9, String(spam.probability))
    assert.deepEqual([spam.spam, spam.ham, spam.messages], [1, 0, 1])
    const ham = await classify(corpus('easy-ham-1/00006'))
    assert.equal(ham.label, 'ham')
    assert.ok((ham.probability ?? 1) < 0.1, String(ham.probability))
    assert.equal(typeof ham.subject, 'string')
  })

  it('applies the threshold param', async () => {
    // A hard ham the model finds somewhat spammy: a threshold under its probability flips it.
    const bytes = corpus('hard-ham-1/00003')
    const p = (await classify(bytes)).probability as number
    assert.ok(p > 0.001 && p < 0.999, String(p))
    assert.equal((await classify(bytes, { threshold: p / 2 })).label, 'spam')
    assert.equal((await classify(bytes, { threshold: (1 + p) / 2 })).label, 'ham')
  })

  it('meets the bar on the whole held-out split, streamed as one mbox job', async function () {
    this.timeout(120_000)
    const { test, lines, result } = await classifyHeldOut()
    assert.equal(lines.length, test.length)
    let tp = 0
    let fp = 0
    let tn = 0
    let fn = 0
    lines.forEach((l, i) => {
      assert.equal(l.index, i)
      const spam = (test[i] as { spam: boolean }).spam
      if (l.label === 'spam') spam ? tp++ : fp++
      else spam ? fn++ : tn++
    })
    const accuracy = (tp + tn) / lines.length
    const hamFpRate = fp / (fp + tn)
    const f1 = (2 * tp) / (2 * tp + fp + fn)
    // The targets: accuracy ≥ 99.3%, F1 ≥ 98.8%, ham false positives ≤ 0.25%.
    assert.ok(accuracy >= 0.993, `accuracy ${accuracy}`)
    assert.ok(f1 >= 0.988, `F1 ${f1}`)
    assert.ok(hamFpRate <= 0.0025, `ham FP rate ${hamFpRate} (${fp} of ${fp + tn})`)
    assert.deepEqual(result, {
      format: 'mbox',
      messages: test.length,
      failed: 0,
      spam: tp + fp,
      ham: tn + fn,
      threshold: MODEL_CONFIG.threshold,
    })
  })

  it('gives calibrated probabilities on the held-out split: each band holds about the spam share it states', async function () {
    this.timeout(120_000)
    const { test, lines } = await classifyHeldOut()
    const bands = [0, 0.1, 0.5, 0.9, 1.0000001]
    let ece = 0
    let brier = 0
    for (let b = 0; b + 1 < bands.length; b++) {
      const inBand = lines.filter((l) => l.probability >= (bands[b] as number) && l.probability < (bands[b + 1] as number))
      if (inBand.length === 0) continue
      const meanP = inBand.reduce((a, l) => a + l.probability, 0) / inBand.length
      const spamShare = inBand.filter((l) => (test[l.index] as CorpusMessage).spam).length / inBand.length
      ece += (inBand.length / lines.length) * Math.abs(meanP - spamShare)
      // Bands with a few dozen messages must state their share to within 0.15.
      if (inBand.length >= 30) assert.ok(Math.abs(meanP - spamShare) <= 0.15, `band ${bands[b]}: mean p ${meanP}, spam share ${spamShare}`)
    }
    for (const l of lines) brier += (l.probability - ((test[l.index] as CorpusMessage).spam ? 1 : 0)) ** 2
    brier /= lines.length
    assert.ok(ece <= 0.02, `expected calibration error ${ece}`)
    assert.ok(brier <= 0.01, `Brier score ${brier}`)
    // Calibrated, not merely sharp: the mean probability matches the split's spam share.
    const meanP = lines.reduce((a, l) => a + l.probability, 0) / lines.length
    const share = test.filter((m) => m.spam).length / test.length
    assert.ok(Math.abs(meanP - share) <= 0.02, `mean p ${meanP} vs spam share ${share}`)
  })

  it('scores a plain three-line note as ham (From, Subject, Message-ID and one sentence)', async () => {
    const lunch = note(
      'From: alice@example.org\nSubject: Lunch tomorrow?\nMessage-ID: <20240101.1234@example.org>',
      'Shall we meet at noon at the usual place?',
    )
    const r = await classify(lunch)
    assert.equal(r.label, 'ham', String(r.probability))
    // Calibrated: little evidence either way reads as more likely ham than spam, whatever the threshold.
    assert.ok((r.probability as number) < 0.5, String(r.probability))
    // The Message-ID's unique local part is no evidence either way.
    const other = await classify(Buffer.from(lunch.toString('utf8').replace('20240101.1234', 'CAF7x9Qk2mZ.88123')))
    assert.ok(Math.abs((other.probability as number) - (r.probability as number)) < 1e-6, `${other.probability} vs ${r.probability}`)
  })

  it('scores short non-English ham as ham: Polish and Japanese notes', async () => {
    const polish = note(
      'From: jan.kowalski@example.pl\nTo: anna@example.pl\nSubject: Spotkanie w czwartek\nDate: Tue, 3 Sep 2024 09:12:00 +0200\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit',
      'Cześć Anno,\nczy możemy przesunąć nasze spotkanie na czwartek o dziesiątej? Przyniosę notatki z zebrania.\nPozdrawiam,\nJan',
    )
    const japanese = note(
      'From: tanaka@example.jp\nTo: suzuki@example.jp\nSubject: =?UTF-8?B?5piO5pel44Gu5omT44Gh5ZCI44KP44Gb?=\nDate: Tue, 3 Sep 2024 16:40:00 +0900\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit',
      '鈴木さん\n明日の打ち合わせは午後二時からでお願いします。資料は共有フォルダに置きました。\n田中',
    )
    for (const [name, bytes] of [
      ['Polish', polish],
      ['Japanese', japanese],
    ] as const) {
      const r = await classify(bytes)
      assert.equal(r.label, 'ham', `${name}: p=${r.probability}`)
    }
  })

  it("flags few of the robustness set's ham: mail from other projects' test suites", async function () {
    this.timeout(60_000)
    const ham = loadRobustnessSet().filter((m) => !m.spam)
    assert.ok(ham.length >= 50, `robustness set has ${ham.length} ham`)
    const flagged: string[] = []
    for (const m of ham) if ((await classify(readMessage({ ...m, group: 'robustness' }))).label === 'spam') flagged.push(m.key)
    // Earlier models flagged 32, then 6 of 52; this one flags 1 (see the README).
    assert.ok(
      flagged.length <= SPAMPROBE_ROBUSTNESS_FP,
      `${flagged.length} of ${ham.length} flagged (SpamProbe: ${SPAMPROBE_ROBUSTNESS_FP}): ${flagged.join(', ')}`,
    )
  })

  it('fails with typed errors on bad input and bad params', async () => {
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251))
    assert.equal(await classifyFails(garbage), 'invalid_email')
    assert.equal(await classifyFails(corpus('hard-ham-1/00039'), { maxMessageBytes: 10_000 }), 'message_too_large')
    const bytes = corpus('easy-ham-1/00006')
    for (const params of [{ threshold: 0 }, { threshold: 1 }, { threshold: 'high' }, { format: 'maildir' }, { model: 'other' }]) {
      assert.equal(await classifyFails(bytes, params), 'invalid_params', JSON.stringify(params))
    }
  })

  it('classifies through a node, the path users take', async () => {
    const node = await createNode({
      capabilities: [emailClassify],
      transports: ['memory'],
      listen: ['/memory/email-classify-test'],
      logLevel: 'silent',
      // One node on its own: no peer ever connects, so no mesh CA is needed.
      trust: { openMesh: true },
    })
    await node.start()
    try {
      const r = await node.submit({ capability: 'email.classify@^1', input: corpus('spam-1/00035'), route: 'local' }).result
      const value = r.value as EmailClassifyResult
      assert.equal(value.label, 'spam')
      assert.equal(value.subject, '[광고] 요즘 뜨는 직종 Best 5 & 자격증 따기 열풍')
    } finally {
      await node.stop()
    }
  })
})
