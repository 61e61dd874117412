/**
 * Flag parsers and config layers shared by the commands. Nothing heavy is imported here: the config
 * schema (ajv) loads only when a command actually needs the config, not when its node answers.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { type Command, InvalidArgumentError } from 'commander'
import type { PartialConfig } from '../config.ts'
import { CONFIG_FILE, dataDirFrom } from './paths.ts'

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

/** A flag's value: a bad one is a usage error (exit 2), reported by commander. */
export function positiveInt(v: string, flag: string): number {
  const n = Number(v)
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError(`${flag} must be a positive integer, got "${v}"`)
  return n
}

/** Drops unset flags so they don't override lower config layers. */
export function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** Config for a data dir: its config.json (if any) < CRANK_* env < flags. */
export async function loadLayers(dataDir: string, configFlag: string | undefined, flags: PartialConfig): Promise<PartialConfig[]> {
  const { configFromEnv, readConfigFile } = await import('../config.ts')
  const file = configFlag ?? join(dataDir, CONFIG_FILE)
  const fromFile = configFlag !== undefined || existsSync(file) ? await readConfigFile(file) : {}
  return [fromFile, configFromEnv(process.env), { ...flags, dataDir }]
}

export interface MeshFlags {
  openMesh?: boolean
  dataDir?: string
  config?: string
  bootstrap?: string[]
  wait: number
}

/** The flags of every command that talks to the mesh; all but --data-dir matter only when no node answers. */
export function meshOptions(cmd: Command): Command {
  return cmd
    .option(
      '--data-dir <dir>',
      "ask this data dir's running node (its control socket); with none running, join its mesh as a client (default: $CRANK_DATA_DIR or ~/.crank)",
    )
    .option('--config <file>', 'config file (default: <data-dir>/config.json); only with no node running')
    .option(
      '--bootstrap <multiaddr>',
      "mesh peer to join through, repeatable (added to the config's list); only with no node running",
      collect,
    )
    .option('--wait <ms>', 'longest wait for adverts after joining; only with no node running', (v) => positiveInt(v, '--wait'), 3000)
    .option('--open-mesh', 'development only: talk to an open mesh without a membership certificate; only with no node running')
}

/** Config layers for a mesh command: the data dir's config if it exists, then env, then --open-mesh. */
export async function meshLayers(o: MeshFlags): Promise<PartialConfig> {
  const dataDir = dataDirFrom(o.dataDir)
  const layers = await loadLayers(dataDir, o.config, o.openMesh === true ? { trust: { openMesh: true } } : {})
  const { dataDir: _ignored, ...merged } = Object.assign({}, ...layers.map(definedOnly)) as PartialConfig
  return merged
}
