/**
 * examples/python/submit.py (Python standard library only) against a real gateway: it submits
 * an .eml file to email.classify, follows the job's Server-Sent Events and prints the result.
 * Skipped, saying why, when python3 is not on PATH.
 */
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import emailClassify from '../capabilities/email.classify/index.ts'
import { type Gateway, startGateway } from '../src/gateway/server.ts'
import { type CrankNode, createNode } from '../src/node.ts'

const run = promisify(execFile)
const SCRIPT = new URL('../examples/python/submit.py', import.meta.url).pathname
const MESSAGE = new URL('./fixtures/email/robustness/ham/eml-format-sample.eml', import.meta.url).pathname
const python = spawnSync('python3', ['--version'], { encoding: 'utf8' })

describe('examples/python/submit.py against the gateway', function () {
  this.timeout(120_000)
  let node: CrankNode
  let gw: Gateway

  before(async function () {
    if (python.status !== 0) {
      console.log(`      skipped: python3 is not on PATH (${python.error?.message ?? python.stderr})`)
      this.skip()
    }
    node = await createNode({
      listen: ['/ip4/127.0.0.1/tcp/0'],
      logLevel: 'silent',
      mesh: { dht: false },
      trust: { openMesh: true },
      capabilities: [emailClassify],
    })
    await node.start()
    gw = await startGateway(node, { listen: '127.0.0.1:0' })
  })

  after(async () => {
    await gw?.close()
    await node?.stop()
  })

  for (const mode of ['json', 'raw'] as const) {
    it(`classifies an .eml file (${mode === 'json' ? 'base64 in a JSON body' : 'raw streamed body'}) and prints the result`, async () => {
      const { stdout, stderr } = await run('python3', [SCRIPT, '--gateway', gw.url, ...(mode === 'raw' ? ['--raw'] : []), MESSAGE])
      const result = JSON.parse(stdout) as { format: string; messages: number; label: string; probability: number }
      assert.equal(result.format, 'rfc822')
      assert.equal(result.messages, 1)
      assert.ok(result.label === 'spam' || result.label === 'ham')
      assert.ok(result.probability >= 0 && result.probability <= 1)
      assert.match(stderr, /^job \S+ (queued|running|succeeded)$/m)
      assert.match(stderr, /^accepted: /m)
    })
  }

  it('exits 2 with the problem when the gateway refuses the job', async () => {
    const failed = await run('python3', [SCRIPT, '--gateway', gw.url, '--params', '{"threshold": 7}', MESSAGE]).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    )
    assert.equal(failed?.code, 2)
    assert.match(failed?.stderr ?? '', /refused: 422 invalid_params/)
  })
})
