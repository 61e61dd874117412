/**
 * One-time join tokens. A token lets a node that is not yet a member have its
 * CSR signed once, before it expires, for the name and roles fixed when the
 * token was made. The CA side stores only a SHA-256 of each token's secret
 * (mode 0600 file); a token is deleted the moment it is consumed.
 *
 * Token text: `crank1.<id>.<secret>.<ca>` where `id` names the token in audit
 * lines, `secret` is 256 random bits (base64url) and `ca` is the SHA-256 of the
 * CA certificate (base64url), which the joining node pins when it receives the
 * CA certificate back — the same idea as kubeadm's discovery token hash.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { TrustError, TrustErrorCodes } from './errors.ts'
import { writeFileAtomic } from './files.ts'
import { assertLabel } from './identity.ts'
import { sha256 } from './x509.ts'

export interface TokenGrant {
  id: string
  /** Node name the enrolled certificate will carry (tokens made before names were always set may lack one). */
  name?: string
  roles: string[]
  expiresAt: number
}

interface StoredToken extends TokenGrant {
  hash: string
}

export interface CreatedToken {
  token: string
  id: string
  /** The node name the token grants (generated when none was given). */
  name: string
  expiresAt: Date
}

/** A name for a node enrolled by a token made without one: `node-` and 8 random hex digits. */
export function generatedNodeName(): string {
  return `node-${randomBytes(4).toString('hex')}`
}

export interface ParsedToken {
  id: string
  secret: string
  /** SHA-256 of the CA certificate, hex. */
  caFingerprint: string
}

export function parseJoinToken(token: string): ParsedToken {
  const parts = token.trim().split('.')
  if (parts.length !== 4 || parts[0] !== 'crank1' || !/^[0-9a-f]{16}$/.test(parts[1]!)) {
    throw new TrustError(TrustErrorCodes.invalidToken, 'join token is malformed (expected crank1.<id>.<secret>.<ca>)')
  }
  const ca = Buffer.from(parts[3]!, 'base64url')
  if (ca.length !== 32) throw new TrustError(TrustErrorCodes.invalidToken, 'join token is malformed (bad CA fingerprint)')
  return { id: parts[1]!, secret: parts[2]!, caFingerprint: ca.toString('hex') }
}

export class JoinTokens {
  readonly file: string

  constructor(file: string) {
    this.file = file
  }

  create(opts: { ttlMs: number; caFingerprint: string; name?: string; roles?: readonly string[] }): CreatedToken {
    if (!(opts.ttlMs > 0)) throw new TrustError(TrustErrorCodes.invalidToken, 'token lifetime must be positive')
    // A token always names the node it enrols: without one, a stranger could pick an existing node's name.
    const name = opts.name ?? generatedNodeName()
    assertLabel('name', name)
    for (const r of opts.roles ?? []) assertLabel('role', r)
    const id = randomBytes(8).toString('hex')
    const secret = randomBytes(32).toString('base64url')
    const expiresAt = Date.now() + opts.ttlMs
    const stored: StoredToken = {
      id,
      hash: sha256(Buffer.from(secret)).toString('hex'),
      roles: [...new Set(opts.roles ?? [])],
      expiresAt,
      name,
    }
    this.#save([...this.#load(), stored])
    const ca = Buffer.from(opts.caFingerprint, 'hex').toString('base64url')
    return { token: `crank1.${id}.${secret}.${ca}`, id, name, expiresAt: new Date(expiresAt) }
  }

  /** Checks a token without using it up (to validate a CSR before spending the token). */
  peek(token: string, now = Date.now()): TokenGrant {
    return this.#find(token, this.#load(), now).grant
  }

  /**
   * Validates and deletes a token in one synchronous step, so two jobs racing
   * with the same token cannot both succeed (the file is only touched here and
   * in create, both synchronous, within one process).
   */
  consume(token: string, now = Date.now()): TokenGrant {
    const all = this.#load()
    const { grant, index } = this.#find(token, all, now)
    all.splice(index, 1)
    this.#save(all)
    return grant
  }

  #find(token: string, all: StoredToken[], now: number): { grant: TokenGrant; index: number } {
    const parsed = parseJoinToken(token)
    const index = all.findIndex((t) => t.id === parsed.id)
    const stored = all[index]
    const hash = sha256(Buffer.from(parsed.secret))
    if (stored === undefined || !timingSafeEqual(hash, Buffer.from(stored.hash, 'hex'))) {
      throw new TrustError(TrustErrorCodes.invalidToken, `join token ${parsed.id} is unknown or already used`)
    }
    if (now > stored.expiresAt) {
      throw new TrustError(TrustErrorCodes.tokenExpired, `join token ${parsed.id} expired at ${new Date(stored.expiresAt).toISOString()}`)
    }
    const { hash: _hash, ...grant } = stored
    return { grant, index }
  }

  #load(): StoredToken[] {
    if (!existsSync(this.file)) return []
    return JSON.parse(readFileSync(this.file, 'utf8')) as StoredToken[]
  }

  #save(tokens: StoredToken[]): void {
    // Expired tokens are dropped whenever the file is rewritten.
    const now = Date.now()
    writeFileAtomic(
      this.file,
      JSON.stringify(
        tokens.filter((t) => t.expiresAt >= now),
        null,
        2,
      ),
      0o600,
    )
  }
}
