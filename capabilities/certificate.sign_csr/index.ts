/**
 * certificate.sign_csr@1: PKCS#10 in, X.509 out, signed by the mesh CA under
 * the CSR policy (see src/trust/csr-signer.ts and docs/trust.md).
 *
 * It needs the CA's private key, so it is not a static catalogue entry: a node
 * that holds the CA builds it with `createSignCsrCapability({ ca, ... })`.
 *
 * The caller's identity must come from the node (the membership layer), never
 * from params. Until JobContext carries it, pass `callerOf`; by default the
 * handler reads `ctx.caller` when the node sets it and otherwise treats the
 * caller as an anonymous non-member, who can only enrol with a join token.
 */
import { join } from 'node:path'
import { defineCapability, type JobContext } from '../../src/capability.ts'
import { JobError } from '../../src/errors.ts'
import {
  type AuditLog,
  anonymousCaller,
  type Caller,
  type CertificateType,
  type CsrPolicyOptions,
  CsrSigner,
  JoinTokens,
  type MeshCA,
  TrustError,
} from '../../src/trust/index.ts'

export interface SignCsrParams {
  csr?: string
  certificate_type: CertificateType
  validity_days?: number
  join_token?: string
}

export interface SignCsrOutput {
  certificate_pem: string
  ca_certificate_pem: string
  serial: string
  subject: string
  sans: string[]
  not_before: string
  not_after: string
  key_algorithm: string
  membership?: { peer_id: string; name?: string; roles: string[] }
}

export interface SignCsrCapabilityOptions {
  ca: MeshCA
  policy?: CsrPolicyOptions
  auditLog?: AuditLog
  /** Join tokens to accept; default the CA directory's tokens.json. */
  tokens?: JoinTokens
  /** Who is calling, as proved by the node. Default: `ctx.caller` if present, else an anonymous non-member. */
  callerOf?: (ctx: JobContext<SignCsrParams>) => Caller
}

const MAX_CSR_BYTES = 64 * 1024

const errors = {
  invalid_csr: { retryable: false, description: 'the CSR is missing or is not PKCS#10 (PEM or DER)' },
  bad_signature: { retryable: false, description: "the CSR's self-signature does not verify" },
  weak_key: { retryable: false, description: 'RSA key under 2048 bits' },
  unsupported_key: { retryable: false, description: 'key type other than EC P-256/P-384, Ed25519 or RSA' },
  ca_requested: { retryable: false, description: 'the CSR asks for CA:TRUE, keyCertSign or cRLSign' },
  san_not_allowed: { retryable: false, description: 'a requested subjectAltName is not permitted to the caller, or there is none' },
  forbidden: { retryable: false, description: 'the caller may not have certificates signed' },
  invalid_token: { retryable: false, description: 'the join token is unknown, malformed or already used' },
  token_expired: { retryable: false, description: 'the join token has expired' },
}

export function createSignCsrCapability(opts: SignCsrCapabilityOptions) {
  const signer = new CsrSigner({
    ca: opts.ca,
    tokens: opts.tokens ?? new JoinTokens(join(opts.ca.dir, 'tokens.json')),
    ...(opts.policy === undefined ? {} : { policy: opts.policy }),
    ...(opts.auditLog === undefined ? {} : { audit: opts.auditLog }),
  })
  const callerOf = opts.callerOf ?? defaultCallerOf
  return defineCapability<SignCsrParams, SignCsrOutput>({
    id: 'certificate.sign_csr',
    version: '1.0.0',
    description:
      'Signs a PKCS#10 CSR with the mesh CA under policy: verified signature, allowed key types, no CA:TRUE, EKU from certificate_type, SANs permitted to the caller, capped validity, random 128-bit serial, audited.',
    input: {
      type: 'object',
      additionalProperties: false,
      required: ['certificate_type'],
      properties: {
        csr: { type: 'string', maxLength: MAX_CSR_BYTES, description: 'PEM CSR; or send the CSR (PEM or DER) as input bytes' },
        certificate_type: { enum: ['client', 'server'], description: 'sets the EKU: clientAuth or serverAuth' },
        validity_days: { type: 'integer', minimum: 1, maximum: 3650, description: 'capped by policy' },
        join_token: { type: 'string', maxLength: 512, description: 'one-time join token for enrolment of a new node' },
      },
    },
    output: {
      type: 'object',
      additionalProperties: false,
      required: ['certificate_pem', 'ca_certificate_pem', 'serial', 'subject', 'sans', 'not_before', 'not_after', 'key_algorithm'],
      properties: {
        certificate_pem: { type: 'string' },
        ca_certificate_pem: { type: 'string' },
        serial: { type: 'string' },
        subject: { type: 'string' },
        sans: { type: 'array', items: { type: 'string' } },
        not_before: { type: 'string' },
        not_after: { type: 'string' },
        key_algorithm: { type: 'string' },
        membership: {
          type: 'object',
          additionalProperties: false,
          required: ['peer_id', 'roles'],
          properties: { peer_id: { type: 'string' }, name: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } } },
        },
      },
    },
    errors,
    tags: ['trust', 'x509'],
    runtime: 'inline',
    concurrency: 2,
    async handler(ctx) {
      try {
        // The token (or the caller's right to ask) first: a stranger with a bad token costs no CSR read or parse.
        signer.authorize({
          caller: callerOf(ctx),
          requestId: ctx.jobId,
          ...(ctx.params.join_token === undefined ? {} : { joinToken: ctx.params.join_token }),
        })
        const csr = ctx.params.csr ?? (await readInput(ctx.input))
        if (csr === undefined) throw new JobError('invalid_csr', 'no CSR: pass params.csr or send it as input')
        const r = await signer.sign({
          csr,
          certificateType: ctx.params.certificate_type,
          caller: callerOf(ctx),
          requestId: ctx.jobId,
          ...(ctx.params.validity_days === undefined ? {} : { validityDays: ctx.params.validity_days }),
          ...(ctx.params.join_token === undefined ? {} : { joinToken: ctx.params.join_token }),
        })
        const m = r.membership
        return {
          certificate_pem: r.certificatePem,
          ca_certificate_pem: r.caCertificatePem,
          serial: r.serial,
          subject: r.subject,
          sans: r.sans,
          not_before: r.notBefore,
          not_after: r.notAfter,
          key_algorithm: r.keyAlgorithm,
          ...(m === undefined
            ? {}
            : { membership: { peer_id: m.peerId, roles: m.roles, ...(m.name === undefined ? {} : { name: m.name }) } }),
        }
      } catch (err) {
        if (err instanceof TrustError) throw new JobError(err.code, err.message)
        throw err
      }
    },
  })
}

function defaultCallerOf(ctx: JobContext<SignCsrParams>): Caller {
  const fromNode = (ctx as unknown as { caller?: Caller }).caller
  return fromNode ?? anonymousCaller()
}

async function readInput(input: AsyncIterable<Uint8Array>): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const c of input) {
    size += c.length
    if (size > MAX_CSR_BYTES) throw new JobError('invalid_csr', `CSR input is over ${MAX_CSR_BYTES} bytes`)
    chunks.push(c)
  }
  return size === 0 ? undefined : Buffer.concat(chunks)
}

export default createSignCsrCapability
