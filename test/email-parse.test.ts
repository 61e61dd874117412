import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import emailParse, { type EmailParseResult } from '../capabilities/email.parse/index.ts'
import { splitMessages } from '../capabilities/email-shared/mbox-split.ts'
import type { ParsedEmail } from '../capabilities/email-shared/parse-email.ts'
import { mboxOf, messageByKey, readMessage } from '../scripts/email/corpus.ts'
import { createNode } from '../src/index.ts'
import { runCapability } from '../src/testing.ts'

const corpus = (key: string): Buffer => readMessage(messageByKey(key))

async function parseOk(input: Buffer, params: Record<string, unknown> = {}): Promise<ParsedEmail> {
  const r = await runCapability(emailParse, { input, params })
  assert.equal(r.outcome.state, 'succeeded', JSON.stringify(r.outcome))
  const result = (r.outcome as { result: EmailParseResult }).result
  assert.equal(result.format, 'rfc822')
  assert.ok(result.email)
  return result.email
}

async function parseFails(input: Buffer | Uint8Array, params: Record<string, unknown> = {}): Promise<string> {
  const r = await runCapability(emailParse, { input, params })
  assert.equal(r.outcome.state, 'failed', JSON.stringify(r.outcome))
  return (r.outcome as { error: { code: string } }).error.code
}

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

describe('email.parse@1 on SpamAssassin corpus messages', () => {
  it('parses addresses, subject, ISO date, message-id and normalised headers', async () => {
    const email = await parseOk(corpus('easy-ham-1/00775'))
    assert.deepEqual(email.from, [{ name: 'Geege Schuman', address: 'geege@barrera.org' }])
    assert.equal(email.subject, 'Liberalism in America')
    assert.equal(email.date, '2002-09-25T01:36:35.000Z')
    assert.match(email.messageId ?? '', /^<.+>$/)
    assert.match(email.headers['content-type'] as string, /^multipart\/mixed; boundary=/)
    assert.ok(Array.isArray(email.headers.received), 'repeated Received fields are an array')
    assert.equal(email.warnings.length, 0)
  })

  it('lists attachments with size and sha256, and content only when asked', async () => {
    const bytes = corpus('easy-ham-2/00869')
    const email = await parseOk(bytes)
    const jpeg = email.attachments.find((a) => a.filename === '_1644899_aster300.jpg')
    assert.ok(jpeg)
    assert.equal(jpeg.contentType, 'image/jpeg')
    assert.equal(jpeg.size, 9169)
    assert.match(jpeg.sha256, /^[0-9a-f]{64}$/)
    assert.equal(jpeg.content, undefined)
    const withContent = await parseOk(bytes, { includeContent: true })
    const content = withContent.attachments.find((a) => a.filename === '_1644899_aster300.jpg')?.content
    assert.ok(content)
    const decoded = Buffer.from(content, 'base64')
    assert.equal(decoded.length, 9169)
    assert.equal(createHash('sha256').update(decoded).digest('hex'), jpeg.sha256)
    assert.deepEqual(decoded.subarray(0, 3), Buffer.from([0xff, 0xd8, 0xff]), 'a JPEG starts with FFD8FF')
  })

  it('derives text from html for HTML-only mail', async () => {
    const email = await parseOk(corpus('spam-2/00002'))
    assert.equal(email.textFromHtml, true)
    assert.match(email.html ?? '', /<html/i)
    assert.match(email.text ?? '', /THE NEED FOR SAFETY IS REAL/)
    assert.doesNotMatch(email.text ?? '', /<[a-z]+/i, 'no markup left in the derived text')
  })

  it('decodes non-UTF-8 charsets: ISO-2022-JP words and a raw 8-bit Korean subject', async () => {
    const jp = await parseOk(corpus('hard-ham-1/00039'))
    assert.equal(jp.subject, '日本語の件名（サブジェクト）　スパムメールではありません！')
    assert.match(jp.text ?? '', /いつもお世話になっております/)
    assert.equal(jp.attachments[0]?.filename, 'マイルストーン表示.bmp')
    const kr = await parseOk(corpus('spam-1/00035'))
    assert.equal(kr.subject, '[광고] 요즘 뜨는 직종 Best 5 & 자격증 따기 열풍')
    assert.match(kr.text ?? '', /요즘 뜨는 직종/)
    assert.ok(kr.warnings.some((w) => w.code === 'raw_8bit_header'))
  })

  it('parses a message with malformed header lines, with a warning', async () => {
    const original = corpus('easy-ham-1/00775').toString('latin1')
    const damaged = original.replace('\nSubject:', '\nthis line is not a header\n\u0001\u0002garbage\nSubject:')
    const email = await parseOk(Buffer.from(damaged, 'latin1'))
    assert.equal(email.subject, 'Liberalism in America')
    const w = email.warnings.find((x) => x.code === 'malformed_header')
    assert.ok(w, JSON.stringify(email.warnings))
    assert.match(w.message, /2 header line/)
  })

  it('keeps odd header fields as plain data: an unparseable or out-of-range Date, a `__proto__` field', async () => {
    const original = corpus('easy-ham-1/00775').toString('latin1')
    for (const date of ['next Tuesday-ish', 'Thu, 1 Jan 99999 00:00:00 +0000']) {
      const damaged = original.replace(/\nDate: [^\n]*/, `\nDate: ${date}\n__proto__: polluted\n__proto__: twice`)
      const email = await parseOk(Buffer.from(damaged, 'latin1'))
      assert.equal(email.date, undefined, date)
      assert.ok(
        email.warnings.some((w) => w.code === 'invalid_date'),
        date,
      )
      assert.deepEqual(Object.getOwnPropertyDescriptor(email.headers, '__proto__')?.value, ['polluted', 'twice'])
      assert.equal(Object.getPrototypeOf(email.headers), Object.prototype)
    }
  })

  it('parses a truncated multipart message as far as it goes, with a warning', async () => {
    const whole = corpus('easy-ham-2/00869')
    const truncated = whole.subarray(0, Math.floor(whole.length * 0.4))
    const email = await parseOk(truncated)
    assert.equal(email.subject, 'Asteroids anyone ?')
    assert.match(email.text ?? '', /Not the computer game/)
    assert.ok(email.warnings.some((w) => w.code === 'truncated_multipart'))
    // Truncated inside the header block: still the headers we have, and a warning.
    const headOnly = await parseOk(whole.subarray(0, 600))
    assert.ok(headOnly.warnings.some((w) => w.code === 'missing_body'))
  })

  it('fails with invalid_email on binary garbage and on empty input', async () => {
    const garbage = createHash('sha512').update('garbage').digest()
    const noise = Buffer.concat(Array.from({ length: 64 }, (_, i) => createHash('sha512').update(garbage).update(String(i)).digest()))
    assert.equal(await parseFails(noise), 'invalid_email')
    assert.equal(await parseFails(Buffer.alloc(0)), 'invalid_email')
    // A JPEG attachment's bytes are not an email either.
    const jpeg = (await parseOk(corpus('easy-ham-2/00869'), { includeContent: true })).attachments[0]?.content as string
    assert.equal(await parseFails(Buffer.from(jpeg, 'base64')), 'invalid_email')
  })

  it('fails with message_too_large over maxMessageBytes', async () => {
    const bytes = corpus('easy-ham-2/00869')
    assert.equal(await parseFails(bytes, { maxMessageBytes: 4096 }), 'message_too_large')
    assert.equal((await parseOk(bytes, { maxMessageBytes: bytes.length })).subject, 'Asteroids anyone ?')
  })

  it('rejects invalid params with invalid_params', async () => {
    const bytes = corpus('easy-ham-1/00775')
    for (const params of [
      { format: 'eml' },
      { maxMessageBytes: 0 },
      { maxMessageBytes: 1.5 },
      { includeContent: 'yes' },
      { colour: 'blue' },
    ]) {
      assert.equal(await parseFails(bytes, params), 'invalid_params', JSON.stringify(params))
    }
  })
})

describe('email.parse@1 charset warnings come only from real declarations', () => {
  const charsetWarnings = (email: ParsedEmail): string[] =>
    email.warnings.filter((w) => w.code === 'unknown_charset').map((w) => /charset "([^"]*)"/.exec(w.message)?.[1] ?? '')
  const mail = (head: string, body: string): Buffer =>
    Buffer.from(`From: alice@example.org\r\nTo: bob@example.org\r\nSubject: Lunch\r\n${head}\r\n${body}`, 'latin1')

  it('does not read a quoted-printable `charset=3Dutf-8` in an HTML body as a declaration', async () => {
    const body = '<html><head><meta http-equiv=3D"Content-Type" content=3D"text/html; charset=3Dutf-8"></head><body>Hi</body></html>\r\n'
    const email = await parseOk(
      mail('MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n', body),
    )
    assert.match(email.html ?? '', /charset=utf-8/)
    assert.deepEqual(charsetWarnings(email), [])
  })

  it('does not read an X-Spam report or body text that mentions charset= as a declaration', async () => {
    const head =
      'X-Spam-Report: * 1.0 MIME_BAD charset=x-spam-rule-text in a report\r\nX-Spam-Status: No, tests=CHARSET_FARAWAY charset="nope"\r\n'
    const email = await parseOk(mail(head, 'Set charset=klingon in your editor, then reply.\r\n'))
    assert.deepEqual(charsetWarnings(email), [])
  })

  it('warns about an unknown charset a Content-Type header declares, top level or in a part', async () => {
    const top = await parseOk(mail('Content-Type: text/plain; charset="x-unheard-of"\r\n', 'Hello\r\n'))
    assert.deepEqual(charsetWarnings(top), ['x-unheard-of'])
    const multipart = [
      'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="b1"\r\n',
      '--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nHello\r\n',
      '--b1\r\nContent-Type: text/html;\r\n charset=x-part-charset\r\n\r\n<p>Hello</p>\r\n--b1--\r\n',
    ]
    const part = await parseOk(mail(multipart[0] as string, multipart.slice(1).join('')))
    assert.deepEqual(charsetWarnings(part), ['x-part-charset'])
    assert.ok(!part.warnings.some((w) => w.code === 'truncated_multipart'))
  })

  it('warns about an unknown charset in an RFC 2047 encoded word, and not about known ones', async () => {
    const email = await parseOk(mail('X-Note: =?x-bogus-set?Q?caf=E9?=\r\nComments: =?ISO-8859-1?Q?caf=E9?=\r\n', 'Hi\r\n'))
    assert.deepEqual(charsetWarnings(email), ['x-bogus-set'])
  })
})

describe('email.parse@1 on an mbox', () => {
  const keys = ['easy-ham-1/00775', 'spam-2/00002', 'hard-ham-1/00039', 'easy-ham-2/00869', 'spam-1/00035']

  it('streams one NDJSON line per message, with per-message errors, from small input chunks', async () => {
    const garbage = Buffer.from(`From x@y Thu Jan  1 00:00:00 1970\n${'\u0000\u00ff\u0013'.repeat(200)}\n`, 'latin1')
    const mbox = Buffer.concat([mboxOf(keys.slice(0, 3).map(corpus)), garbage, mboxOf(keys.slice(3).map(corpus))])
    // hard-ham-1/00039 carries a 220 kB bitmap: over this limit, the others are not.
    const r = await runCapability(emailParse, { input: chunked(mbox, 997), params: { maxMessageBytes: 100_000 } })
    assert.equal(r.outcome.state, 'succeeded', JSON.stringify(r.outcome))
    assert.deepEqual((r.outcome as { result: EmailParseResult }).result, { format: 'mbox', messages: 6, failed: 2 })
    const lines = Buffer.from(r.output)
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { index: number; email?: ParsedEmail; error?: { code: string } })
    assert.deepEqual(
      lines.map((l) => l.index),
      [0, 1, 2, 3, 4, 5],
    )
    assert.equal(lines[0]?.email?.subject, 'Liberalism in America')
    assert.equal(lines[1]?.email?.textFromHtml, true)
    assert.equal(lines[2]?.error?.code, 'message_too_large')
    assert.equal(lines[3]?.error?.code, 'invalid_email')
    assert.equal(lines[4]?.email?.subject, 'Asteroids anyone ?')
    assert.equal(lines[5]?.email?.subject, '[광고] 요즘 뜨는 직종 Best 5 & 자격증 따기 열풍')
  })

  it('splits incrementally and drops an oversize message while it streams past', async () => {
    const big = corpus('hard-ham-1/00039')
    const mbox = mboxOf([corpus('easy-ham-1/00775'), big, corpus('spam-2/00002')])
    let pulled = 0
    async function* input(): AsyncGenerator<Uint8Array> {
      for await (const c of chunked(mbox, 1024)) {
        pulled += c.length
        yield c
      }
    }
    const seen: { index: number; oversize: boolean; pulledAt: number; bytes?: number }[] = []
    for await (const m of splitMessages(input(), { maxMessageBytes: 50_000, format: 'auto' })) {
      seen.push({ index: m.index, oversize: m.oversize, pulledAt: pulled, ...(m.bytes === undefined ? {} : { bytes: m.bytes.length }) })
    }
    assert.equal(seen.length, 3)
    assert.ok((seen[0]?.pulledAt ?? Infinity) < mbox.length / 2, 'the first message comes out long before the input ends')
    assert.equal(seen[1]?.oversize, true)
    assert.equal(seen[1]?.bytes, undefined, 'an oversize message is not held')
    assert.equal(seen[2]?.oversize, false)
  })

  it('streams results through a node as each message is parsed', async () => {
    const node = await createNode({
      capabilities: [emailParse],
      transports: ['memory'],
      listen: ['/memory/email-parse-test'],
      logLevel: 'silent',
      // One node on its own: no peer ever connects, so no mesh CA is needed.
      trust: { openMesh: true },
    })
    await node.start()
    try {
      const mbox = mboxOf(['easy-ham-1/00775', 'spam-2/00002', 'easy-ham-2/00869'].map(corpus))
      const cut = mbox.indexOf('\nFrom ', mbox.indexOf('\nFrom ') + 1) + 1
      let firstLine: () => void = () => {}
      const sawFirstLine = new Promise<void>((resolve) => {
        firstLine = resolve
      })
      // The last message is only sent once a result has come back: without streaming, this never finishes.
      async function* input(): AsyncGenerator<Uint8Array> {
        yield mbox.subarray(0, cut)
        await sawFirstLine
        yield mbox.subarray(cut)
      }
      const handle = node.submit({ capability: 'email.parse@^1', input: input(), route: 'local', output: 'stream' })
      const lines: string[] = []
      let pending = ''
      for await (const ev of handle) {
        if (ev.type !== 'output') continue
        pending += Buffer.from(ev.data).toString('utf8')
        const parts = pending.split('\n')
        pending = parts.pop() as string
        lines.push(...parts)
        if (lines.length > 0) firstLine()
      }
      const r = await handle.result
      assert.deepEqual(r.value, { format: 'mbox', messages: 3, failed: 0 })
      assert.deepEqual(
        lines.map((l) => (JSON.parse(l) as { email: ParsedEmail }).email.subject),
        ['Liberalism in America', 'Real Protection, Stun Guns!  Free Shipping! Time:2:01:35 PM', 'Asteroids anyone ?'],
      )
    } finally {
      await node.stop()
    }
  })
})
