/**
 * Access policy: which callers may run which capabilities.
 *
 * A policy file is JSON:
 *
 *   {
 *     "default": "members",
 *     "audit_allowed": false,
 *     "rules": [
 *       { "capability": "email.*",        "allow": { "roles": ["mail"], "names": ["gateway-1"] } },
 *       { "capability": "debug.*",        "allow": "nobody" },
 *       { "capability": "certificate.sign_csr", "allow": { "roles": ["admin"] }, "enrolment": true, "renewal": true }
 *     ]
 *   }
 *
 * `allow` is "members" (any verified member), "anyone" (members and, in an open
 * mesh, strangers), "nobody", or lists of roles, names and peer ids (members
 * only; any match allows). A rule with an exact capability id beats every glob
 * rule; globs are tried in file order; `default` applies when none matches.
 * `certificate.sign_csr` is restricted unless the file names it exactly: only
 * role `admin`, plus strangers that carry a join token (`enrolment`), plus any
 * member for the renewal of its own membership certificate (`renewal`): the gate
 * cannot see the CSR, so such a caller is admitted marked `renewalOnly` and the
 * CSR signer allows it nothing but its own key, peer id, name and roles.
 *
 * `check` is on the path of every job: rules are compiled once and the rule a
 * capability id resolves to is cached, so a check is a map lookup and a few
 * set probes.
 */
import { readFileSync } from 'node:fs'
import type { AuditCaller, AuditLog } from './audit-log.ts'
import type { Caller } from './caller.ts'
import { TrustError, TrustErrorCodes } from './errors.ts'
import { compileCapabilityGlob, isGlob } from './glob.ts'

export type AllowSpec = 'members' | 'anyone' | 'nobody' | { roles?: string[]; names?: string[]; peers?: string[] }

export interface PolicyRule {
  capability: string
  allow: AllowSpec
  /** Strangers presenting a join token may call it (only meaningful for certificate.sign_csr). */
  enrolment?: boolean
  /**
   * Members the rule does not otherwise allow may call it to renew their own membership
   * certificate, and for nothing else (only meaningful for certificate.sign_csr).
   */
  renewal?: boolean
}

export interface PolicyFile {
  default?: 'members' | 'anyone' | 'nobody'
  /** Also audit allowed calls (one line per job). Default false: only denials. */
  audit_allowed?: boolean
  rules?: PolicyRule[]
}

/** `renewalOnly`: allowed only through the rule's `renewal` grant (the caller must be limited to renewing itself). */
export type PolicyDecision = { allowed: true; rule: string; renewalOnly?: true } | { allowed: false; reason: string; rule: string }

export interface CheckHints {
  /** The job's params carry a join token (enrolment through certificate.sign_csr). */
  joinToken?: boolean
}

export const SIGN_CSR_CAPABILITY = 'certificate.sign_csr'
export const DEFAULT_SIGN_CSR_RULE: PolicyRule = {
  capability: SIGN_CSR_CAPABILITY,
  allow: { roles: ['admin'] },
  enrolment: true,
  renewal: true,
}

interface CompiledRule {
  label: string
  kind: 'members' | 'anyone' | 'nobody' | 'list'
  roles: Set<string>
  names: Set<string>
  peers: Set<string>
  enrolment: boolean
  renewal: boolean
  /** Pre-built denial text, so a denial allocates nothing. */
  denial: string
}

export class AccessPolicy {
  readonly auditAllowed: boolean
  readonly #exact = new Map<string, CompiledRule>()
  readonly #globs: Array<{ re: RegExp; rule: CompiledRule }> = []
  readonly #default: CompiledRule
  readonly #resolved = new Map<string, CompiledRule>()

  constructor(file: PolicyFile = {}) {
    validatePolicy(file)
    this.auditAllowed = file.audit_allowed === true
    const def = file.default ?? 'members'
    this.#default = compileRule({ capability: '*', allow: def }, `default (${def})`)
    for (const [i, r] of (file.rules ?? []).entries()) {
      const rule = compileRule(r, `rules[${i}] ${r.capability}`)
      if (isGlob(r.capability)) this.#globs.push({ re: compileCapabilityGlob(r.capability), rule })
      else if (!this.#exact.has(r.capability)) this.#exact.set(r.capability, rule)
    }
    if (!this.#exact.has(SIGN_CSR_CAPABILITY)) {
      this.#exact.set(SIGN_CSR_CAPABILITY, compileRule(DEFAULT_SIGN_CSR_RULE, `built-in ${SIGN_CSR_CAPABILITY}`))
    }
  }

  static load(path: string): AccessPolicy {
    let parsed: unknown
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'))
    } catch (err) {
      throw new TrustError(TrustErrorCodes.invalidPolicy, `cannot read policy ${path}: ${(err as Error).message}`, { cause: err })
    }
    return new AccessPolicy(parsed as PolicyFile)
  }

  /** May `caller` run `capability` (an id without version)? */
  check(caller: Caller, capability: string, hints?: CheckHints): PolicyDecision {
    const rule = this.#resolve(capability)
    if (rule.kind === 'anyone') return { allowed: true, rule: rule.label }
    if (!caller.member) {
      if (rule.enrolment && hints?.joinToken === true) return { allowed: true, rule: rule.label }
      return { allowed: false, reason: `caller not allowed: ${capability} needs mesh membership`, rule: rule.label }
    }
    if (rule.kind === 'members') return { allowed: true, rule: rule.label }
    if (rule.kind === 'list') {
      if (caller.name !== undefined && rule.names.has(caller.name)) return { allowed: true, rule: rule.label }
      if (caller.peerId !== undefined && rule.peers.has(caller.peerId)) return { allowed: true, rule: rule.label }
      for (const r of caller.roles) if (rule.roles.has(r)) return { allowed: true, rule: rule.label }
    }
    if (rule.renewal) return { allowed: true, rule: rule.label, renewalOnly: true }
    return { allowed: false, reason: rule.denial.replace('%s', capability), rule: rule.label }
  }

  /** `check`, plus an audit line for a denial (and for an allow when audit_allowed is set). */
  checkAndAudit(audit: AuditLog, requestId: string, caller: Caller, capability: string, hints?: CheckHints): PolicyDecision {
    const d = this.check(caller, capability, hints)
    if (!d.allowed || this.auditAllowed) {
      audit.decision({
        requestId,
        caller: auditCaller(caller),
        capability,
        decision: d.allowed ? 'allow' : 'deny',
        reason: d.allowed ? d.rule : d.reason,
      })
    }
    return d
  }

  #resolve(capability: string): CompiledRule {
    let rule = this.#resolved.get(capability)
    if (rule !== undefined) return rule
    rule = this.#exact.get(capability) ?? this.#globs.find((g) => g.re.test(capability))?.rule ?? this.#default
    // Capability ids come from the registry, a bounded set, but a hostile caller can send any string: cap the cache.
    if (this.#resolved.size < 10_000) this.#resolved.set(capability, rule)
    return rule
  }
}

export function auditCaller(caller: Caller): AuditCaller {
  const out: AuditCaller = { roles: caller.roles }
  if (caller.peerId !== undefined) out.peerId = caller.peerId
  if (caller.name !== undefined) out.name = caller.name
  return out
}

function compileRule(r: PolicyRule, label: string): CompiledRule {
  const base = {
    label,
    roles: new Set<string>(),
    names: new Set<string>(),
    peers: new Set<string>(),
    enrolment: r.enrolment === true,
    renewal: r.renewal === true,
  }
  if (r.allow === 'members') return { ...base, kind: 'members', denial: '' }
  if (r.allow === 'anyone') return { ...base, kind: 'anyone', denial: '' }
  if (r.allow === 'nobody') return { ...base, kind: 'nobody', denial: 'caller not allowed: %s is disabled by policy' }
  const want = [
    ...(r.allow.roles ?? []).map((x) => `role ${x}`),
    ...(r.allow.names ?? []).map((x) => `name ${x}`),
    ...(r.allow.peers ?? []).map((x) => `peer ${x}`),
  ]
  return {
    ...base,
    kind: 'list',
    roles: new Set(r.allow.roles ?? []),
    names: new Set(r.allow.names ?? []),
    peers: new Set(r.allow.peers ?? []),
    denial: `caller not allowed: %s needs ${want.length === 0 ? 'an explicit grant' : want.join(' or ')}`,
  }
}

function validatePolicy(file: PolicyFile): void {
  const bad = (msg: string): never => {
    throw new TrustError(TrustErrorCodes.invalidPolicy, `policy: ${msg}`)
  }
  if (typeof file !== 'object' || file === null || Array.isArray(file)) bad('must be a JSON object')
  if (file.default !== undefined && !['members', 'anyone', 'nobody'].includes(file.default))
    bad(`default must be members, anyone or nobody`)
  if (file.rules !== undefined && !Array.isArray(file.rules)) bad('rules must be an array')
  for (const [i, r] of (file.rules ?? []).entries()) {
    if (typeof r?.capability !== 'string' || r.capability === '') bad(`rules[${i}].capability must be a non-empty string`)
    for (const flag of ['enrolment', 'renewal'] as const)
      if (r[flag] !== undefined && typeof r[flag] !== 'boolean') bad(`rules[${i}].${flag} must be true or false`)
    // Anywhere else the signer's renewal check would not run, and the grant would admit every member.
    if (r.renewal === true && r.capability !== SIGN_CSR_CAPABILITY) bad(`rules[${i}].renewal applies to ${SIGN_CSR_CAPABILITY} only`)
    const a = r.allow
    if (typeof a === 'string') {
      if (!['members', 'anyone', 'nobody'].includes(a)) bad(`rules[${i}].allow must be members, anyone, nobody or an object`)
    } else if (typeof a !== 'object' || a === null || Array.isArray(a)) {
      bad(`rules[${i}].allow must be members, anyone, nobody or an object`)
    } else {
      for (const k of Object.keys(a))
        if (!['roles', 'names', 'peers'].includes(k)) bad(`rules[${i}].allow.${k} is not roles, names or peers`)
      for (const k of ['roles', 'names', 'peers'] as const) {
        const v = a[k]
        if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string')))
          bad(`rules[${i}].allow.${k} must be an array of strings`)
      }
    }
  }
}
