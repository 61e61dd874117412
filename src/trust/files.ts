/** Small file helpers for secrets and state the CA keeps on disk. */
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/** Writes a file atomically (temp file then rename) with the given mode, so readers never see half a file. */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, data, { mode })
  // writeFileSync's mode is masked by the umask; chmod makes 0600 exact.
  chmodSync(tmp, mode)
  renameSync(tmp, path)
}

export function ensureDir(path: string): void {
  if (!existsSync(path)) mkdirSync(path, { recursive: true, mode: 0o700 })
}
