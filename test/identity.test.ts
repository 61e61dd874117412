import assert from 'node:assert/strict'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveConfig } from '../src/config.ts'
import { createNode } from '../src/node.ts'

describe('node identity and config', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crank-id-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('keeps the same peer id across a restart, in a 0600 key file', async () => {
    const first = await createNode({ dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'], logLevel: 'silent', trust: { openMesh: true } })
    await first.start()
    const id = first.peerId.toString()
    await first.stop()
    const mode = (await stat(join(dir, 'identity.key'))).mode & 0o777
    assert.equal(mode, 0o600)
    const second = await createNode({ dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'], logLevel: 'silent', trust: { openMesh: true } })
    assert.equal(second.peerId.toString(), id)
    assert.equal(second.peerId.type, 'Ed25519')
  })

  it('refuses a corrupt identity file with a typed error', async () => {
    await writeFile(join(dir, 'identity.key'), 'not a key', { mode: 0o600 })
    await assert.rejects(createNode({ dataDir: dir, logLevel: 'silent', trust: { openMesh: true } }), {
      code: 'invalid_config',
      message: /not a libp2p private key/,
    })
  })

  it('rejects invalid config naming the field', () => {
    assert.throws(() => resolveConfig({ jobs: { maxFrameBytes: 10 } }), { code: 'invalid_config', message: /config\/jobs\/maxFrameBytes/ })
    assert.throws(() => resolveConfig({ listen: ['tcp:4001'] }), { message: /config\/listen\/0/ })
    assert.throws(() => resolveConfig({ bogus: 1 } as never), { message: /unknown property "bogus"/ })
  })

  it('layers config: later layers win, defaults fill the rest', () => {
    const c = resolveConfig({ name: 'a', jobs: { cancelGraceMs: 10 } }, { name: 'b' })
    assert.equal(c.name, 'b')
    assert.equal(c.jobs.cancelGraceMs, 10)
    assert.equal(c.jobs.inputChunkBytes, 64 * 1024)
  })

  it('refuses to start without a mesh CA unless the open mesh is asked for explicitly', async () => {
    await assert.rejects(createNode({ dataDir: dir, logLevel: 'silent' }), { code: 'invalid_config', message: /no mesh CA .*openMesh/ })
  })

  it('a node that is not started fails jobs with not_started', async () => {
    const node = await createNode({ logLevel: 'silent', trust: { openMesh: true } })
    const report = await node.submit({ capability: 'example.echo' }).outcome
    assert.equal(report.error?.code, 'not_started')
  })
})
