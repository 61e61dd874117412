import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

export const CONFIG_FILE = 'config.json'

/** --data-dir, else $CRANK_DATA_DIR, else ~/.crank. */
export function dataDirFrom(flag: string | undefined): string {
  return resolve(flag ?? process.env.CRANK_DATA_DIR ?? join(homedir(), '.crank'))
}
