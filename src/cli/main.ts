#!/usr/bin/env node
/**
 * crank-node: the command line. Each command is a thin shell over the library;
 * user mistakes print one line and exit non-zero, never a stack trace.
 *
 * What loads at startup is kept to commander and the control socket's client: a command whose
 * node answers on its socket never loads libp2p, the config schema or a capability. Everything
 * else is imported by the command that needs it.
 */
import { Command, CommanderError, Option } from 'commander'
import { CrankError, ErrorCodes } from '../errors.ts'
import { collect } from './cli-options.ts'
import { registerGatewayCommands } from './gateway-commands.ts'
import { registerJobsCommands } from './jobs-commands.ts'
import { registerMeshCommands } from './mesh-commands.ts'
import { nodeJobs } from './node-jobs.ts'
import { dataDirFrom } from './paths.ts'
import type { StartFlags } from './start-node.ts'
import { registerSubmitCommand } from './submit-command.ts'
import { registerTrustCommands } from './trust-commands.ts'

function program(): Command {
  const cli = new Command('crank-node')
    .description('Crank: a peer-to-peer mesh that runs ML and data capabilities over libp2p.')
    .version('0.1.0')
    .showHelpAfterError('(run crank-node --help for usage)')
    .exitOverride()
  // `crank-node --help` documents every command and flag, not just the command names.
  cli.addHelpText('after', () => {
    const all = cli.commands.flatMap((c) => [c, ...c.commands])
    return `\nCommands in detail:\n${all.map((c) => `\n${c.helpInformation()}`).join('')}`
  })

  cli
    .command('init')
    .description('create the data dir, a persistent Ed25519 identity (mode 0600) and a config file')
    .option('--data-dir <dir>', 'node data directory (default: $CRANK_DATA_DIR or ~/.crank)')
    .option('--name <name>', 'human-readable node name')
    .option('--listen <multiaddr>', 'listen address, repeatable (default /ip4/0.0.0.0/tcp/4501)', collect)
    .option('--announce <multiaddr>', 'address peers should dial instead (NAT, containers), repeatable', collect)
    .option('--bootstrap <multiaddr>', 'bootstrap peer multiaddr with /p2p/<id>, repeatable', collect)
    .option('--force', 'overwrite an existing config.json (the identity is kept)')
    .option('--open-mesh', 'development only: accept any peer without a membership certificate')
    .action(
      async (o: {
        dataDir?: string
        name?: string
        listen?: string[]
        announce?: string[]
        bootstrap?: string[]
        force?: boolean
        openMesh?: boolean
      }) => {
        const dataDir = dataDirFrom(o.dataDir)
        const { initNode } = await import('./init.ts')
        const r = await initNode({
          ...(o.openMesh === true ? { openMesh: true } : {}),
          dataDir,
          ...(o.name === undefined ? {} : { name: o.name }),
          ...(o.listen === undefined ? {} : { listen: o.listen }),
          ...(o.announce === undefined ? {} : { announce: o.announce }),
          ...(o.bootstrap === undefined ? {} : { bootstrap: o.bootstrap }),
          ...(o.force === undefined ? {} : { force: o.force }),
        })
        console.log(
          `initialised ${dataDir}\npeer id: ${r.peerId}${r.createdIdentity ? '' : ' (existing identity kept)'}\nconfig:  ${r.configFile}`,
        )
      },
    )

  cli
    .command('start')
    .description('run the node in the foreground with JSON logs; SIGINT/SIGTERM drain and stop it gracefully')
    .option('--data-dir <dir>', 'node data directory (default: $CRANK_DATA_DIR or ~/.crank)')
    .option('--config <file>', 'config file (default: <data-dir>/config.json)')
    .option('--listen <multiaddr>', 'listen address, repeatable; overrides the config', collect)
    .option('--announce <multiaddr>', 'address peers should dial instead (NAT, containers), repeatable; overrides the config', collect)
    .option('--bootstrap <multiaddr>', 'bootstrap peer, repeatable; overrides the config', collect)
    .option('--name <name>', 'node name')
    .option('--ca-dir <dir>', 'this node holds the mesh CA: serve certificate.sign_csr (enrolment) and push the CRL when it changes')
    .option('--http <host:port>', 'serve the HTTP gateway, metrics and dashboard here, e.g. 127.0.0.1:4600 (config gateway.listen)')
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .action(async (o: StartFlags) => {
      const { startNode } = await import('./start-node.ts')
      await startNode(o)
    })

  registerSubmitCommand(cli)
  registerMeshCommands(cli)
  registerJobsCommands(cli, nodeJobs)
  registerTrustCommands(cli)
  registerGatewayCommands(cli)
  return cli
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
    // Anything else is still one line for the user; CRANK_DEBUG=1 shows where it came from.
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]
    console.error(`crank-node: ${ErrorCodes.internal}: ${message}`)
    if (process.env.CRANK_DEBUG === '1') console.error(err)
    process.exitCode = 1
  }
}

await main(process.argv)
// Tests and measurements read the CLI's peak memory from here (kB, as the kernel's VmHWM).
if (process.env.CRANK_REPORT_RSS === '1')
  process.once('exit', () => console.error(`crank-node: max RSS ${process.resourceUsage().maxRSS} kB`))
