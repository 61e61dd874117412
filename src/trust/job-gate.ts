/**
 * The check a provider makes before it accepts a job: who is the caller
 * (membership), may it call this capability (access policy), and an audit line
 * for every denial. The node's job server calls `admit` on each Submit and
 * answers a denial with `Rejected{reason: 'forbidden'}`.
 *
 * Enrolment is the one way in for a stranger: a non-member may call
 * certificate.sign_csr when its params carry a join token (the capability then
 * checks and spends the token). Everything else from a non-member is refused.
 * A member the policy admits to certificate.sign_csr only for renewal gets a
 * caller marked `renewalOnly`, which the capability's signer holds it to.
 */
import { join } from 'node:path'
import type { TrustConfig } from '../config.ts'
import { AccessPolicy, type PolicyDecision } from './access-policy.ts'
import { AuditLog } from './audit-log.ts'
import { anonymousCaller, type Caller } from './caller.ts'
import type { Membership } from './membership.ts'

export interface AdmitRequest {
  /** Remote peer id; absent for a job submitted on this node. */
  peerId?: string
  /** Job id, used as the audit line's request_id. */
  jobId: string
  capability: string
  params?: unknown
}

export type Admission = PolicyDecision & { caller: Caller }

export interface JobGateOptions {
  policy: AccessPolicy
  /** Absent when the node runs without membership (then remote callers are strangers unless openMesh). */
  membership?: Membership
  audit?: AuditLog
  /** Who a job submitted on this node itself is. Default: a member with role `local`. */
  localCaller?: Caller
  /** How long to wait for a peer's membership Hello still in flight. Default 2 s. */
  waitMs?: number
}

/** A node's gate as its trust config sets it: the policy file, and the audit log (default `<dataDir>/audit.jsonl`). */
export function nodeJobGate(
  trust: TrustConfig,
  dataDir: string | undefined,
  membership: Membership,
): { gate: JobGate; audit: AuditLog | undefined } {
  const auditFile = trust.auditFile ?? (dataDir === undefined ? undefined : join(dataDir, 'audit.jsonl'))
  const audit = auditFile === undefined ? undefined : new AuditLog(auditFile)
  const policy = trust.policyFile === undefined ? new AccessPolicy() : AccessPolicy.load(trust.policyFile)
  return { gate: new JobGate({ policy, membership, ...(audit === undefined ? {} : { audit }) }), audit }
}

export class JobGate {
  readonly #policy: AccessPolicy
  readonly #membership: Membership | undefined
  readonly #audit: AuditLog | undefined
  readonly #local: Caller
  readonly #waitMs: number

  constructor(opts: JobGateOptions) {
    this.#policy = opts.policy
    this.#membership = opts.membership
    this.#audit = opts.audit
    this.#local = opts.localCaller ?? { roles: ['local'], member: true }
    this.#waitMs = opts.waitMs ?? 2_000
  }

  /** Synchronous when the caller's membership is already settled, which is the common case. */
  admit(req: AdmitRequest): Admission | Promise<Admission> {
    const joinToken = hasJoinToken(req.params)
    if (req.peerId === undefined) return this.#decide(req, this.#local, joinToken)
    const m = this.#membership
    if (m === undefined) return this.#decide(req, anonymousCaller(req.peerId), joinToken)
    if (m.isMember(req.peerId) || joinToken) return this.#decide(req, m.callerOf(req.peerId), joinToken)
    // The job stream may have overtaken the membership exchange on a fresh connection.
    return m.authorize(req.peerId, this.#waitMs).then(
      (caller) => this.#decide(req, caller, joinToken),
      () => this.#decide(req, m.callerOf(req.peerId!), joinToken),
    )
  }

  #decide(req: AdmitRequest, caller: Caller, joinToken: boolean): Admission {
    const hints = joinToken ? { joinToken: true } : undefined
    const d =
      this.#audit === undefined
        ? this.#policy.check(caller, req.capability, hints)
        : this.#policy.checkAndAudit(this.#audit, req.jobId, caller, req.capability, hints)
    // The policy cannot see the CSR: the mark travels with the caller to the signer, which can.
    return d.allowed && d.renewalOnly === true ? { ...d, caller: { ...caller, renewalOnly: true } } : { ...d, caller }
  }
}

function hasJoinToken(params: unknown): boolean {
  return typeof params === 'object' && params !== null && typeof (params as { join_token?: unknown }).join_token === 'string'
}
