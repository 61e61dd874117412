#!/usr/bin/env node
/**
 * crank-node: the command line. Each command is a thin shell over the library;
 * user mistakes print one line and exit non-zero, never a stack trace.
 */
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Command, CommanderError, Option } from 'commander'
import { builtinCapabilities } from '../../capabilities/index.ts'
import { configFromEnv, type PartialConfig, readConfigFile } from '../config.ts'
import { CrankError, ErrorCodes } from '../errors.ts'
import { createNode } from '../node.ts'
import { initNode } from './init.ts'
import { CONFIG_FILE, dataDirFrom } from './paths.ts'

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

/** Config for a data dir: its config.json (if any) < CRANK_* env < flags. */
async function loadLayers(dataDir: string, configFlag: string | undefined, flags: PartialConfig): Promise<PartialConfig[]> {
  const file = configFlag ?? join(dataDir, CONFIG_FILE)
  const fromFile = configFlag !== undefined || existsSync(file) ? await readConfigFile(file) : {}
  return [fromFile, configFromEnv(process.env), { ...flags, dataDir }]
}

function program(): Command {
  const cli = new Command('crank-node')
    .description('Crank: a peer-to-peer mesh that runs ML and data capabilities over libp2p.')
    .version('0.1.0')
    .showHelpAfterError('(run crank-node --help for usage)')
    .exitOverride()
  // `crank-node --help` documents every command and flag, not just the command names.
  cli.addHelpText('after', () => `\nCommands in detail:\n${cli.commands.map((c) => `\n${c.helpInformation()}`).join('')}`)

  cli
    .command('init')
    .description('create the data dir, a persistent Ed25519 identity (mode 0600) and a config file')
    .option('--data-dir <dir>', 'node data directory (default: $CRANK_DATA_DIR or ~/.crank)')
    .option('--name <name>', 'human-readable node name')
    .option('--listen <multiaddr>', 'listen address, repeatable (default /ip4/0.0.0.0/tcp/4501)', collect)
    .option('--bootstrap <multiaddr>', 'bootstrap peer multiaddr with /p2p/<id>, repeatable', collect)
    .option('--force', 'overwrite an existing config.json (the identity is kept)')
    .action(async (o: { dataDir?: string; name?: string; listen?: string[]; bootstrap?: string[]; force?: boolean }) => {
      const dataDir = dataDirFrom(o.dataDir)
      const r = await initNode({
        dataDir,
        ...(o.name === undefined ? {} : { name: o.name }),
        ...(o.listen === undefined ? {} : { listen: o.listen }),
        ...(o.bootstrap === undefined ? {} : { bootstrap: o.bootstrap }),
        ...(o.force === undefined ? {} : { force: o.force }),
      })
      console.log(`initialised ${dataDir}\npeer id: ${r.peerId}${r.createdIdentity ? '' : ' (existing identity kept)'}\nconfig:  ${r.configFile}`)
    })

  cli
    .command('start')
    .description('run the node in the foreground with JSON logs; SIGINT/SIGTERM stop it gracefully')
    .option('--data-dir <dir>', 'node data directory (default: $CRANK_DATA_DIR or ~/.crank)')
    .option('--config <file>', 'config file (default: <data-dir>/config.json)')
    .option('--listen <multiaddr>', 'listen address, repeatable; overrides the config', collect)
    .option('--bootstrap <multiaddr>', 'bootstrap peer, repeatable; overrides the config', collect)
    .option('--name <name>', 'node name')
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .action(async (o: { dataDir?: string; config?: string; listen?: string[]; bootstrap?: string[]; name?: string; logLevel?: PartialConfig['logLevel'] }) => {
      const dataDir = dataDirFrom(o.dataDir)
      const flags = definedOnly({ listen: o.listen, bootstrap: o.bootstrap, name: o.name, logLevel: o.logLevel })
      const layers = await loadLayers(dataDir, o.config, flags)
      const merged = Object.assign({ logLevel: 'info' }, ...layers.map(definedOnly)) as PartialConfig
      const node = await createNode({ ...merged, capabilities: builtinCapabilities })
      await node.start()
      let stopping = false
      const stop = (signal: string): void => {
        if (stopping) return
        stopping = true
        node.log.info({ signal }, 'stopping')
        node.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            node.log.error({ err }, 'stop failed')
            process.exit(1)
          },
        )
      }
      process.on('SIGINT', () => stop('SIGINT'))
      process.on('SIGTERM', () => stop('SIGTERM'))
    })

  cli
    .command('submit')
    .description('run one job and print its result; without --peer it runs in-process on the built-in capabilities')
    .argument('<capability>', 'capability id, optionally with a version range: example.echo or example.echo@^1')
    .option('--params <json>', 'params as a JSON object', '{}')
    .option('--input <file>', "input file, or '-' for stdin")
    .option('--peer <multiaddr>', 'run on this peer (a multiaddr ending in /p2p/<id>, or a peer id)')
    .option('--deadline <ms>', 'deadline in milliseconds', (v) => positiveInt(v, '--deadline'))
    .option('--output <file>', "write the job's output bytes here ('-' for stdout)")
    .option('--json', 'print the whole job report as one JSON object')
    .action(async (capability: string, o: { params: string; input?: string; peer?: string; deadline?: number; output?: string; json?: boolean }) => {
      const params = parseParams(o.params)
      const input = o.input === undefined ? undefined : o.input === '-' ? process.stdin : await readInput(o.input)
      const node = await createNode({ listen: [], logLevel: 'error', capabilities: o.peer === undefined ? builtinCapabilities : [] })
      await node.start()
      try {
        const handle = node.submit({
          capability,
          params,
          ...(input === undefined ? {} : { input }),
          route: o.peer ?? 'local',
          ...(o.deadline === undefined ? {} : { deadlineMs: o.deadline }),
        })
        // Ctrl-C cancels the job (the provider's handler sees its signal fire) instead of killing us mid-stream.
        process.once('SIGINT', () => handle.cancel('cancelled from the command line'))
        process.once('SIGTERM', () => handle.cancel('cancelled from the command line'))
        void (async () => {
          for await (const e of handle) {
            if (e.type === 'accepted') console.error(`crank-node: job ${handle.id} accepted by ${e.peer} (${capability} ${e.version})`)
          }
        })()
        const report = await handle.outcome
        const output = report.output ?? new Uint8Array()
        if (o.output === '-') process.stdout.write(output)
        else if (o.output !== undefined) await writeFile(o.output, output)
        if (o.json === true) {
          const { output: _bytes, ...rest } = report
          console.log(JSON.stringify({ ...rest, outputBytes: output.byteLength }))
        } else if (report.state === 'succeeded') {
          if (o.output === undefined && output.byteLength > 0) console.error(`(${output.byteLength} output bytes; use --output FILE to keep them)`)
          if (o.output !== '-') console.log(JSON.stringify(report.value, null, 2))
        } else {
          console.error(`crank-node: job ${report.state}: ${report.error?.code}: ${report.error?.message}`)
        }
        process.exitCode = report.state === 'succeeded' ? 0 : 1
      } finally {
        await node.stop()
      }
    })
  return cli
}

/** Drops unset flags so they don't override lower config layers. */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0) throw new CrankError(ErrorCodes.invalidParams, `${flag} must be a positive integer, got "${v}"`)
  return n
}

function parseParams(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new CrankError(ErrorCodes.invalidParams, `--params is not JSON: ${(err as Error).message}`)
  }
}

async function readInput(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file)
  } catch (err) {
    throw new CrankError(ErrorCodes.invalidParams, `cannot read --input ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv)
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed the message (or the help/version text).
      process.exitCode = err.exitCode === 0 ? 0 : 2
      return
    }
    if (err instanceof CrankError) {
      console.error(`crank-node: ${err.code}: ${err.message}`)
      process.exitCode = 1
      return
    }
    throw err
  }
}

await main(process.argv)
