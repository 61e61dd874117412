/**
 * The optional pre-shared private-network key (@libp2p/pnet): a second,
 * independent layer under TLS. Nodes without the key cannot even complete the
 * connection handshake. It does not replace membership: anyone holding the
 * key file is in the network, so it cannot name, scope or revoke a node.
 *
 * Enable it in the libp2p assembly with
 *   connectionProtector: preSharedKey({ psk: loadOrCreateSwarmKey(path) })
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { generateKey } from '@libp2p/pnet'
import { TrustError, TrustErrorCodes } from './errors.ts'
import { writeFileAtomic } from './files.ts'

/** The key file format libp2p and IPFS share: `/key/swarm/psk/1.0.0/`, `/base16/`, 64 hex digits. */
const FORMAT = /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n?$/

export function loadOrCreateSwarmKey(path: string): Uint8Array {
  if (existsSync(path)) {
    if ((statSync(path).mode & 0o077) !== 0)
      throw new TrustError(TrustErrorCodes.caUnavailable, `${path} is readable by others; chmod 600 it`)
    const bytes = readFileSync(path)
    if (!FORMAT.test(bytes.toString('utf8'))) throw new TrustError(TrustErrorCodes.caUnavailable, `${path} is not a libp2p swarm key`)
    return new Uint8Array(bytes)
  }
  const key = new Uint8Array(95)
  generateKey(key)
  writeFileAtomic(path, key, 0o600)
  return key
}
