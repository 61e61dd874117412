import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { resolveConfig } from '../config.ts'
import { CrankError, ErrorCodes } from '../errors.ts'
import { loadOrCreateIdentity } from '../net/identity.ts'
import { CONFIG_FILE } from './paths.ts'

export interface InitOptions {
  dataDir: string
  name?: string
  listen?: string[]
  announce?: string[]
  bootstrap?: string[]
  force?: boolean
  /** Development only: write trust.openMesh into the config. */
  openMesh?: boolean
}

/** Creates the data dir, the identity (kept if present) and a config file. */
export async function initNode(opts: InitOptions): Promise<{ peerId: string; configFile: string; createdIdentity: boolean }> {
  const configFile = join(opts.dataDir, CONFIG_FILE)
  if (existsSync(configFile) && opts.force !== true) {
    throw new CrankError(
      ErrorCodes.invalidConfig,
      `${configFile} already exists (use --force to overwrite the config; the identity is always kept)`,
    )
  }
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 })
  const { key, created } = await loadOrCreateIdentity(opts.dataDir)
  const config = {
    name: opts.name ?? 'crank-node',
    listen: opts.listen ?? ['/ip4/0.0.0.0/tcp/4501'],
    ...(opts.announce === undefined ? {} : { announce: opts.announce }),
    bootstrap: opts.bootstrap ?? [],
    logLevel: 'info' as const,
    ...(opts.openMesh === true ? { trust: { openMesh: true } } : {}),
  }
  resolveConfig(config) // refuse to write a config the node would reject
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
  return { peerId: peerIdFromPrivateKey(key).toString(), configFile, createdIdentity: created }
}
