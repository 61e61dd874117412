/** Access policy: patterns, defaults, the restricted certificate.sign_csr, the job gate and its audit lines. */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AccessPolicy, AuditLog, type Caller } from '../src/trust/index.ts'
import { JobGate } from '../src/trust/job-gate.ts'

const mailer: Caller = { peerId: '12D3KooWMailer', name: 'mx-1', roles: ['mail'], member: true }
const worker: Caller = { peerId: '12D3KooWWorker', name: 'w-1', roles: ['worker'], member: true }
const admin: Caller = { peerId: '12D3KooWAdmin', name: 'ops', roles: ['admin'], member: true }
const stranger: Caller = { peerId: '12D3KooWStranger', roles: [], member: false }

describe('access policy', () => {
  const policy = new AccessPolicy({
    rules: [
      { capability: 'email.*', allow: { roles: ['mail'], names: ['gw-1'] } },
      { capability: 'email.parse', allow: 'members' },
      { capability: 'debug.*', allow: 'nobody' },
      { capability: 'example.echo', allow: 'anyone' },
    ],
  })

  it('matches globs, lets exact rules win over globs, and defaults to members only', () => {
    assert.equal(policy.check(mailer, 'email.classify').allowed, true)
    assert.equal(policy.check(worker, 'email.classify').allowed, false)
    assert.equal(policy.check({ ...worker, name: 'gw-1' }, 'email.classify').allowed, true)
    assert.equal(policy.check(worker, 'email.parse').allowed, true, 'exact rule beats the email.* glob')
    assert.equal(policy.check(admin, 'debug.dump').allowed, false)
    assert.equal(policy.check(worker, 'image.classify').allowed, true, 'default: members')
    assert.equal(policy.check(stranger, 'image.classify').allowed, false, 'default: members only')
    assert.equal(policy.check(stranger, 'example.echo').allowed, true)
    const d = policy.check(worker, 'email.classify')
    assert.ok(!d.allowed && d.reason === 'caller not allowed: email.classify needs role mail or name gw-1', JSON.stringify(d))
  })

  it('restricts certificate.sign_csr to admins, members to renewal, and strangers to enrolment with a join token', () => {
    const open = new AccessPolicy({ default: 'members', rules: [{ capability: '*', allow: 'members' }] })
    for (const p of [policy, open]) {
      assert.deepEqual(p.check(worker, 'certificate.sign_csr'), { allowed: true, rule: 'built-in certificate.sign_csr', renewalOnly: true })
      assert.deepEqual(p.check(admin, 'certificate.sign_csr'), { allowed: true, rule: 'built-in certificate.sign_csr' })
      assert.equal(p.check(stranger, 'certificate.sign_csr').allowed, false)
      assert.equal(p.check(stranger, 'certificate.sign_csr', { joinToken: true }).allowed, true)
      assert.equal(p.check(stranger, 'email.parse', { joinToken: true }).allowed, false, 'a token opens only enrolment')
    }
  })

  it('a policy that names certificate.sign_csr decides renewal itself; renewal grants nothing elsewhere', () => {
    const noRenewal = new AccessPolicy({ rules: [{ capability: 'certificate.sign_csr', allow: { roles: ['admin'] }, enrolment: true }] })
    const d = noRenewal.check(worker, 'certificate.sign_csr')
    assert.ok(!d.allowed && d.reason === 'caller not allowed: certificate.sign_csr needs role admin', JSON.stringify(d))
    const withRenewal = new AccessPolicy({ rules: [{ capability: 'certificate.sign_csr', allow: 'nobody', renewal: true }] })
    assert.deepEqual(withRenewal.check(worker, 'certificate.sign_csr'), {
      allowed: true,
      rule: 'rules[0] certificate.sign_csr',
      renewalOnly: true,
    })
    assert.equal(withRenewal.check(stranger, 'certificate.sign_csr').allowed, false, 'renewal is for members only')
    assert.throws(() => new AccessPolicy({ rules: [{ capability: 'email.*', allow: 'nobody', renewal: true }] }), {
      code: 'invalid_policy',
      message: /renewal applies to certificate\.sign_csr only/,
    })
    assert.throws(
      () => new AccessPolicy({ rules: [{ capability: 'certificate.sign_csr', allow: 'nobody', renewal: 'yes' as unknown as boolean }] }),
      {
        code: 'invalid_policy',
      },
    )
  })

  it('loads a policy file and refuses malformed ones with invalid_policy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crank-policy-'))
    try {
      const path = join(dir, 'policy.json')
      writeFileSync(path, JSON.stringify({ default: 'nobody', rules: [{ capability: 'example.*', allow: { roles: ['worker'] } }] }))
      const p = AccessPolicy.load(path)
      assert.equal(p.check(worker, 'example.echo').allowed, true)
      assert.equal(p.check(worker, 'email.parse').allowed, false)
      writeFileSync(path, '{ not json')
      assert.throws(() => AccessPolicy.load(path), { code: 'invalid_policy' })
      assert.throws(() => new AccessPolicy({ rules: [{ capability: 'x.*', allow: 'everyone' as 'anyone' }] }), { code: 'invalid_policy' })
      assert.throws(
        () => new AccessPolicy({ rules: [{ capability: 'x.*', allow: { groups: ['a'] } as unknown as { roles: string[] } }] }),
        { code: 'invalid_policy' },
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('the job gate refuses non-members and audits each denial as a JSON line', async () => {
    const lines: Record<string, unknown>[] = []
    const audit = new AuditLog((l) => lines.push(JSON.parse(l)))
    const gate = new JobGate({ policy, audit })
    // No membership layer: every remote caller is a stranger.
    const remote = await gate.admit({ peerId: stranger.peerId!, jobId: 'job-1', capability: 'email.parse', params: {} })
    assert.equal(remote.allowed, false)
    const enrol = await gate.admit({
      peerId: stranger.peerId!,
      jobId: 'job-2',
      capability: 'certificate.sign_csr',
      params: { join_token: 'crank1.x' },
    })
    assert.equal(enrol.allowed, true)
    const local = await gate.admit({ jobId: 'job-3', capability: 'email.parse' })
    assert.equal(local.allowed, true)
    const denied = await gate.admit({ jobId: 'job-4', capability: 'debug.dump' })
    assert.equal(denied.allowed, false)
    assert.deepEqual(
      lines.map((l) => [l.event, l.request_id, l.capability, l.decision]),
      [
        ['access', 'job-1', 'email.parse', 'deny'],
        ['access', 'job-4', 'debug.dump', 'deny'],
      ],
    )
    assert.deepEqual(lines[0]!.caller, { peerId: stranger.peerId, roles: [] })
    assert.equal(lines[0]!.reason, 'caller not allowed: email.parse needs mesh membership')
    assert.equal(typeof lines[0]!.ts, 'string')
  })

  it('audits allowed calls too when audit_allowed is set', () => {
    const lines: string[] = []
    const p = new AccessPolicy({ audit_allowed: true })
    p.checkAndAudit(new AuditLog((l) => lines.push(l)), 'job-9', worker, 'email.parse')
    assert.equal(JSON.parse(lines[0]!).decision, 'allow')
  })
})
