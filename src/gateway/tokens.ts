/**
 * Bearer tokens for the HTTP gateway, kept in `<dataDir>/gateway-tokens.json` (mode 0600). The
 * file holds only each token's SHA-256: a token is 32 random bytes, so its hash cannot be turned
 * back into it, and a leaked file lets no one in. The token itself is shown once, when created.
 *
 * The running gateway re-reads the file when it changes, so `revoke` takes effect on the next
 * request without a restart.
 */
import { createHash, randomBytes } from 'node:crypto'
import { chmod, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CrankError, ErrorCodes } from '../errors.ts'

export const TOKENS_FILE = 'gateway-tokens.json'
/** Tokens start with this, so that one pasted in the wrong place is recognisable (and greppable in leaks). */
export const TOKEN_PREFIX = 'crank_'
const TOKEN_BYTES = 32

export const TokenErrorCodes = {
  /** `gateway token revoke` named no token that exists. */
  unknownToken: 'unknown_token',
} as const

/** What the file keeps about a token. */
export interface TokenEntry {
  /** Short random id, for `list` and `revoke`; not secret. */
  id: string
  name: string
  /** Hex SHA-256 of the token. */
  sha256: string
  createdAt: number
}

/** What `list` shows. */
export type TokenInfo = Omit<TokenEntry, 'sha256'>

interface TokensFile {
  version: 1
  tokens: TokenEntry[]
}

export function tokensPath(dataDir: string): string {
  return join(dataDir, TOKENS_FILE)
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** Creates a token named `name`; the returned `token` is the only time it is seen. */
export async function createGatewayToken(dataDir: string, name = 'token'): Promise<TokenInfo & { token: string }> {
  if (name.trim() === '' || name.length > 128) throw new CrankError(ErrorCodes.invalidOption, 'token name must be 1 to 128 characters')
  if (
    !(await stat(dataDir).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  )
    throw new CrankError(ErrorCodes.invalidConfig, `data dir ${dataDir} does not exist: run crank-node init first, or give --data-dir`)
  const file = tokensPath(dataDir)
  const current = (await readTokensFile(file)) ?? { version: 1, tokens: [] }
  const token = `${TOKEN_PREFIX}${randomBytes(TOKEN_BYTES).toString('base64url')}`
  let id: string
  do id = randomBytes(4).toString('hex')
  while (current.tokens.some((t) => t.id === id))
  const entry: TokenEntry = { id, name: name.trim(), sha256: hashToken(token), createdAt: Date.now() }
  await writeTokensFile(file, { version: 1, tokens: [...current.tokens, entry] })
  return { id, name: entry.name, createdAt: entry.createdAt, token }
}

export async function listGatewayTokens(dataDir: string): Promise<TokenInfo[]> {
  const current = await readTokensFile(tokensPath(dataDir))
  return (current?.tokens ?? []).map(({ sha256: _hash, ...info }) => info)
}

/** Revokes the token with this id; `unknown_token` when there is none. */
export async function revokeGatewayToken(dataDir: string, id: string): Promise<TokenInfo> {
  const file = tokensPath(dataDir)
  const current = await readTokensFile(file)
  const found = current?.tokens.find((t) => t.id === id)
  if (current === undefined || found === undefined)
    throw new CrankError(TokenErrorCodes.unknownToken, `no gateway token with id ${id} (see \`crank-node gateway token list\`)`)
  // The file stays, even empty: a gateway that had tokens keeps asking for one.
  await writeTokensFile(file, { version: 1, tokens: current.tokens.filter((t) => t.id !== id) })
  const { sha256: _hash, ...info } = found
  return info
}

/** The file's tokens, or undefined when there is no file. A file that is not ours is an error, never "no tokens". */
export async function readTokensFile(file: string): Promise<TokensFile | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new CrankError(ErrorCodes.invalidConfig, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new CrankError(ErrorCodes.invalidConfig, `${file} is not JSON: ${(err as Error).message}`)
  }
  const tokens = (parsed as { tokens?: unknown }).tokens
  const valid =
    Array.isArray(tokens) &&
    tokens.every(
      (t: Partial<TokenEntry>) =>
        typeof t === 'object' &&
        t !== null &&
        typeof t.id === 'string' &&
        typeof t.name === 'string' &&
        typeof t.createdAt === 'number' &&
        typeof t.sha256 === 'string' &&
        /^[0-9a-f]{64}$/.test(t.sha256),
    )
  if (!valid) throw new CrankError(ErrorCodes.invalidConfig, `${file} is not a gateway token file ({"version":1,"tokens":[…]})`)
  return { version: 1, tokens: tokens as TokenEntry[] }
}

async function writeTokensFile(file: string, content: TokensFile): Promise<void> {
  // Written aside then renamed: a gateway reading it meanwhile sees the old file or the new, never half.
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 })
  await chmod(tmp, 0o600)
  await rename(tmp, file)
}

/**
 * The running gateway's view of the file: re-read whenever it changes (a stat per check, cheap
 * beside a request). `required` is true once the file exists, even with no token left in it.
 */
export class TokenStore {
  readonly file: string
  #hashes = new Map<string, TokenInfo>()
  #exists = false
  #seen = ''

  constructor(file: string) {
    this.file = file
  }

  /** Reads the file now; a malformed one is a typed `invalid_config` error. */
  async load(): Promise<void> {
    await this.#refresh()
  }

  get required(): boolean {
    return this.#exists
  }

  get size(): number {
    return this.#hashes.size
  }

  /** The token's entry, or undefined. A lookup by hash: the token itself is never compared or kept. */
  async verify(token: string): Promise<TokenInfo | undefined> {
    await this.#refreshAfterNow()
    return this.#hashes.get(hashToken(token))
  }

  /** The file check under way, if any. */
  #running: Promise<void> | undefined
  /** The check that starts when the running one ends, shared by every request that arrived meanwhile. */
  #queued: Promise<void> | undefined

  /**
   * A check of the file that starts no earlier than this call, so a token revoked before a
   * request arrived is refused. Concurrent requests share one: under load the file is stat'ed
   * once per round trip of the check, not once per request.
   */
  #refreshAfterNow(): Promise<void> {
    // The running check may have started before the file changed: wait for the next one.
    if (this.#running === undefined) return this.#start()
    this.#queued ??= this.#running
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined
        return this.#start()
      })
    return this.#queued
  }

  #start(): Promise<void> {
    const check: Promise<void> = this.#refresh().finally(() => {
      if (this.#running === check) this.#running = undefined
    })
    this.#running = check
    return check
  }

  async #refresh(): Promise<void> {
    let key: string
    try {
      const s = await stat(this.file)
      key = `${s.ino}:${s.size}:${s.mtimeMs}`
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      key = 'absent'
    }
    if (key === this.#seen) return
    const content = await readTokensFile(this.file)
    this.#exists = content !== undefined
    this.#hashes = new Map((content?.tokens ?? []).map(({ sha256, ...info }) => [sha256, info]))
    this.#seen = key
  }
}
