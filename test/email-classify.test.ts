import assert from 'node:assert/strict'
import emailClassify, { type EmailClassifyResult } from '../capabilities/email.classify/index.ts'
import { loadSplit, mboxOf, messageByKey, readMessage } from '../scripts/email/corpus.ts'
import { createNode } from '../src/index.ts'
import { runCapability } from '../src/testing.ts'

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
    this.timeout(60_000)
    const test = loadSplit('test')
    const mbox = mboxOf(test.map(readMessage))
    const r = await runCapability(emailClassify, { input: mbox, params: { format: 'mbox' } })
    assert.equal(r.outcome.state, 'succeeded', JSON.stringify(r.outcome))
    const lines = Buffer.from(r.output)
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { index: number; label: string; probability: number })
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
    assert.ok(accuracy >= 0.99, `accuracy ${accuracy}`)
    assert.ok(hamFpRate <= 0.005, `ham FP rate ${hamFpRate}`)
    assert.deepEqual((r.outcome as { result: EmailClassifyResult }).result, {
      format: 'mbox',
      messages: test.length,
      failed: 0,
      spam: tp + fp,
      ham: tn + fn,
      threshold: 0.5,
    })
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
