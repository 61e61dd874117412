import assert from 'node:assert/strict'
import { runFuzz } from '../scripts/fuzz/fuzz.ts'

describe('fuzz harness: a plain js-libp2p peer sends hostile frames on every Crank protocol', function () {
  this.timeout(300_000)

  it('300 cases as member and stranger: the target stays up and a member echo keeps working', async () => {
    const report = await runFuzz({ cases: 300, seed: 20_261_202, concurrency: 8, echoEvery: 100 })
    assert.equal(report.cases, 300)
    assert.equal(report.crashes, 0, `crashed after: ${report.crashCases.join(' | ')}`)
    assert.deepEqual(report.echoFailures, [])
    assert.ok(report.echoChecks >= 3)
    const kinds = Object.keys(report.answers)
    // The run reached the paths it claims to: answers a member only gets, typed refusals, every protocol.
    for (const expected of [
      /^job as member: result$/,
      /^job as member: rejected:invalid_params$/,
      /^job as \w+: error:malformed_frame$/,
      /^job-lane as member: error:(protocol_error|malformed_frame)$/,
    ]) {
      assert.ok(
        kinds.some((k) => expected.test(k)),
        `no ${expected} among ${kinds.join(', ')}`,
      )
    }
    for (const protocol of ['job', 'job-lane', 'membership', 'snapshot-request', 'gossip']) {
      assert.ok(
        kinds.some((k) => k.startsWith(`${protocol} as `)),
        `no ${protocol} case ran`,
      )
    }
    // A stranger never receives the mesh's snapshot.
    assert.ok(!kinds.includes('snapshot-request as stranger: answered'), JSON.stringify(report.answers))
    assert.equal(report.endFrameBytes, 0)
  })
})
