/**
 * The node's persistent Ed25519 identity: one libp2p key in the data dir, mode
 * 0600, so the peer id survives restarts.
 */
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { CrankError, ErrorCodes } from '../errors.ts'

export const IDENTITY_FILE = 'identity.key'

export async function loadOrCreateIdentity(dataDir: string): Promise<{ key: PrivateKey; created: boolean }> {
  const file = join(dataDir, IDENTITY_FILE)
  let bytes: Buffer | undefined
  try {
    bytes = await readFile(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (bytes !== undefined) {
    // A key others could read is a key others could use: tighten it rather than refuse to start.
    if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600)
    try {
      return { key: privateKeyFromProtobuf(bytes), created: false }
    } catch (err) {
      throw new CrankError(ErrorCodes.invalidConfig, `${file} is not a libp2p private key: ${(err as Error).message}`)
    }
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const key = await generateKeyPair('Ed25519')
  await writeFile(file, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' })
  return { key, created: true }
}
