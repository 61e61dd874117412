#!/usr/bin/env node
/**
 * crank-node: the command line. Each command is a thin shell over the library;
 * user mistakes print one line and exit non-zero, never a stack trace.
 */
import { existsSync, statSync, unwatchFile, watchFile } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { configFromEnv, type PartialConfig, readConfigFile } from '../config.ts'
import { CrankError, ErrorCodes } from '../errors.ts'
import { type Gateway, startGateway } from '../gateway/server.ts'
import { type CrankNode, createNode } from '../node.ts'
import { AuditLog } from '../trust/audit-log.ts'
import { MeshCA } from '../trust/ca.ts'
import { registerGatewayCommands } from './gateway-commands.ts'
import { initNode } from './init.ts'
import { withMeshClient } from './mesh-client.ts'
import { describeNodeStatus, readNodeStatus } from './node-status.ts'
import { CONFIG_FILE, dataDirFrom } from './paths.ts'
import { registerTrustCommands } from './trust-commands.ts'

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
    .option('--http <host:port>', 'serve the HTTP gateway and dashboard here, e.g. 127.0.0.1:4600 (config gateway.listen)')
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .action(async (o: StartFlags) => {
      const dataDir = dataDirFrom(o.dataDir)
      const flags = definedOnly({
        listen: o.listen,
        announce: o.announce,
        bootstrap: o.bootstrap,
        name: o.name,
        logLevel: o.logLevel,
      }) as PartialConfig
      const layers = await loadLayers(dataDir, o.config, flags)
      const merged = Object.assign({ logLevel: 'info' }, ...layers.map(definedOnly)) as PartialConfig
      // Into the file's gateway section, not over it (the layers merge shallowly).
      if (o.http !== undefined) merged.gateway = { ...merged.gateway, listen: o.http }
      const { builtinCapabilities, createSignCsrCapability } = await loadCatalogue()
      const capabilities = [...builtinCapabilities]
      const ca = o.caDir === undefined ? undefined : await MeshCA.load(o.caDir)
      if (ca !== undefined) capabilities.push(createSignCsrCapability({ ca, auditLog: new AuditLog(join(ca.dir, 'audit.jsonl')) }))
      // libp2p listens as soon as it is created, so a taken port fails either step.
      const node = await createNode({ ...merged, capabilities }).catch((err: unknown) => {
        throw listenError(err, merged.listen ?? [])
      })
      await node.start().catch((err: unknown) => {
        throw listenError(err, merged.listen ?? [])
      })
      let gateway: Gateway | undefined
      if (node.config.gateway.listen !== undefined) {
        // A gateway that cannot start (address taken, no tokens on a public address) stops the node too: it was asked for.
        gateway = await startGateway(node).catch(async (err: unknown) => {
          await node.stop()
          throw err
        })
      }
      if (ca !== undefined) {
        // `ca revoke` rewrites the CRL file; members we are connected to receive it from us and pass it on.
        watchFile(ca.crlPath, { interval: 500 }, () => {
          readFile(ca.crlPath, 'utf8')
            .then((pem) => node.membership.updateCrl(pem))
            .then((adopted) => adopted && node.log.info('new CRL adopted and pushed to members'))
            .catch((err: unknown) => node.log.warn({ err: (err as Error).message }, 'could not load the CRL'))
        })
      }
      let stopping = false
      const stop = (signal: string): void => {
        if (stopping) return
        stopping = true
        node.log.info({ signal }, 'stopping')
        if (ca !== undefined) unwatchFile(ca.crlPath)
        // The gateway first: no new HTTP jobs while the node drains.
        Promise.resolve(gateway?.close())
          .then(() => node.stop())
          .then(
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

  const meshOptions = (cmd: Command): Command =>
    cmd
      .option('--data-dir <dir>', 'read bootstrap peers from this node data dir (default: $CRANK_DATA_DIR or ~/.crank)')
      .option('--config <file>', 'config file (default: <data-dir>/config.json)')
      .option('--bootstrap <multiaddr>', "mesh peer to join through, repeatable (added to the config's list)", collect)
      .option('--wait <ms>', 'longest wait for adverts after joining', (v) => positiveInt(v, '--wait'), 3000)
      .option('--open-mesh', 'development only: talk to an open mesh without a membership certificate')

  meshOptions(
    cli
      .command('submit')
      .description('run one job and print its result')
      .argument('<capability>', 'capability id, optionally with a version range: example.echo or example.echo@^1')
      .option('--params <json>', 'params as a JSON object', '{}')
      .option('--input <file>', "input file, or '-' for stdin")
      .option(
        '--route <route>',
        'prefer-local | any | local | <peer id or multiaddr>; default prefer-local (with no mesh configured, "local" is this process and its built-in capabilities)',
      )
      .option('--peer <multiaddr>', 'pin the job to this peer (same as --route <multiaddr>)')
      .option('--gpu', 'only providers that advertise a GPU')
      .option('--tag <tag>', 'only providers whose capability has this tag, repeatable', collect)
      .addOption(new Option('--priority <p>', 'queue priority on the provider').choices(['high', 'normal', 'low']))
      .option('--deadline <ms>', 'deadline in milliseconds', (v) => positiveInt(v, '--deadline'))
      .option('--attempts <n>', 'attempts on distinct providers for retryable failures', (v) => positiveInt(v, '--attempts'))
      .option('--output <file>', "write the job's output bytes here ('-' for stdout)")
      .option('--json', 'print the whole job report as one JSON object'),
  ).action(async (capability: string, o: SubmitFlags) => {
    const params = parseParams(o.params)
    // Before the job runs: a job whose output cannot be kept should not run at all.
    if (o.output !== undefined && o.output !== '-') checkOutputPath(o.output)
    const input = o.input === undefined ? undefined : o.input === '-' ? process.stdin : await readInput(o.input)
    const route = o.peer ?? o.route ?? 'prefer-local'
    const layers = await meshLayers(o)
    const pinned = !['local', 'prefer-local', 'any'].includes(route)
    const meshKnown = (layers.bootstrap?.length ?? 0) + (o.bootstrap?.length ?? 0) > 0
    const client = {
      dataDir: dataDirFrom(o.dataDir),
      pinned,
      layers: pinned ? { ...(layers.trust === undefined ? {} : { trust: layers.trust }) } : layers,
      // Pinned: the configured mesh is not joined, but --bootstrap peers given on the command line
      // are dialled so that the client learns the mesh's current CRL before it trusts the pinned peer.
      bootstrap: o.bootstrap ?? [],
      waitMs: o.wait,
      serveBuiltins: route === 'local' || (!pinned && !meshKnown),
    }
    await withMeshClient(client, async (node) => {
      const handle = node.submit({
        capability,
        params,
        route,
        ...(input === undefined ? {} : { input }),
        ...(o.deadline === undefined ? {} : { deadlineMs: o.deadline }),
        ...(o.attempts === undefined ? {} : { attempts: o.attempts }),
        ...(o.gpu === true ? { gpu: true } : {}),
        ...(o.tag === undefined ? {} : { tags: o.tag }),
        ...(o.priority === undefined ? {} : { priority: o.priority }),
      })
      // Ctrl-C cancels the job (the provider's handler sees its signal fire) instead of killing us mid-stream.
      process.once('SIGINT', () => handle.cancel('cancelled from the command line'))
      process.once('SIGTERM', () => handle.cancel('cancelled from the command line'))
      void (async () => {
        for await (const e of handle) {
          if (e.type === 'accepted') console.error(`crank-node: job ${handle.id} accepted by ${e.peer} (${capability} ${e.version})`)
          if (e.type === 'retry') console.error(`crank-node: ${e.peer} failed (${e.error.code}); retrying elsewhere`)
        }
      })()
      const report = await handle.outcome
      const output = report.output ?? new Uint8Array()
      if (o.output === '-') process.stdout.write(output)
      else if (o.output !== undefined) await writeOutput(o.output, output)
      if (o.json === true) {
        const { output: _bytes, ...rest } = report
        console.log(JSON.stringify({ ...rest, outputBytes: output.byteLength }))
      } else if (report.state === 'succeeded') {
        if (o.output === undefined && output.byteLength > 0)
          console.error(`(${output.byteLength} output bytes; use --output FILE to keep them)`)
        if (o.output !== '-') console.log(JSON.stringify(report.value, null, 2))
      } else {
        console.error(`crank-node: job ${report.state}: ${report.error?.code}: ${report.error?.message}`)
      }
      process.exitCode = report.state === 'succeeded' ? 0 : 1
    })
  })

  meshOptions(
    cli
      .command('caps')
      .description('every capability in the mesh, with its providers, their load and how fresh each advert is')
      .option('--json', 'one JSON object'),
  ).action(async (o: MeshFlags & { json?: boolean }) => {
    await withMeshClient(
      { dataDir: dataDirFrom(o.dataDir), layers: await meshLayers(o), bootstrap: o.bootstrap ?? [], waitMs: o.wait, serveBuiltins: false },
      async (node) => {
        const rows = capabilityRows(node)
        if (o.json === true) return console.log(JSON.stringify({ capabilities: rows }))
        if (rows.length === 0) return console.log('no capabilities advertised (is a bootstrap peer configured? see --bootstrap)')
        printTable(
          ['CAPABILITY', 'VERSION', 'PROVIDER', 'NAME', 'IN-FLIGHT', 'QUEUED', 'CAPACITY', 'CPU', 'ADVERT AGE'],
          rows.map((r) => [
            r.capability,
            r.version,
            short(r.peer),
            r.name,
            r.inFlight,
            r.queued,
            r.capacity,
            r.cpu.toFixed(2),
            `${(r.ageMs / 1000).toFixed(1)}s`,
          ]),
        )
      },
    )
  })

  meshOptions(
    cli.command('peers').description('peers this client reached, with what their adverts say').option('--json', 'one JSON object'),
  ).action(async (o: MeshFlags & { json?: boolean }) => {
    await withMeshClient(
      { dataDir: dataDirFrom(o.dataDir), layers: await meshLayers(o), bootstrap: o.bootstrap ?? [], waitMs: o.wait, serveBuiltins: false },
      async (node) => {
        // The data dir's own node (if it runs): is it in the mesh? The client below only sees its neighbours.
        const self = await readNodeStatus(dataDirFrom(o.dataDir))
        const peers = node.libp2p.getConnections().map((c) => {
          const ad = node.mesh.get(c.remotePeer.toString())?.advert
          return {
            peer: c.remotePeer.toString(),
            addr: c.remoteAddr.toString(),
            name: ad?.name ?? '',
            health: ad?.health ?? 'unknown',
            capabilities: (ad?.capabilities ?? []).map((x) => `${x.id}@${x.version}`),
          }
        })
        const known = node.mesh.all().filter((p) => !peers.some((x) => x.peer === p.peer))
        if (o.json === true)
          return console.log(
            JSON.stringify({
              ...(self === undefined ? {} : { node: self }),
              connected: peers,
              knownFromAdverts: known.map((p) => ({ peer: p.peer, name: p.advert.name })),
            }),
          )
        if (self !== undefined) console.log(`${describeNodeStatus(self).join('\n')}\n`)
        printTable(
          ['PEER', 'NAME', 'HEALTH', 'ADDRESS', 'CAPABILITIES'],
          peers.map((p) => [short(p.peer), p.name, p.health, p.addr, p.capabilities.join(' ')]),
        )
        if (known.length > 0)
          console.log(`\n${known.length} more peer(s) known from adverts: ${known.map((p) => p.advert.name || short(p.peer)).join(', ')}`)
      },
    )
  })

  meshOptions(
    cli
      .command('explain')
      .description('every candidate for a capability, and why each was or was not chosen')
      .argument('<capability>', 'capability id, optionally with a version range')
      .option('--gpu', 'require a GPU provider')
      .option('--tag <tag>', 'require this tag, repeatable', collect)
      .option('--json', 'one JSON object'),
  ).action(async (capability: string, o: MeshFlags & { gpu?: boolean; tag?: string[]; json?: boolean }) => {
    await withMeshClient(
      { dataDir: dataDirFrom(o.dataDir), layers: await meshLayers(o), bootstrap: o.bootstrap ?? [], waitMs: o.wait, serveBuiltins: false },
      async (node) => {
        const why = await node.explain(capability, {
          ...(o.gpu === true ? { gpu: true } : {}),
          ...(o.tag === undefined ? {} : { tags: o.tag }),
        })
        if (o.json === true) return console.log(JSON.stringify(why))
        console.log(`this client ${why.local}`)
        console.log(`decision: ${why.decision}`)
        if (why.candidates.length === 0) console.log('no remote provider advertises it, and the DHT found none')
        else
          printTable(
            ['PEER', 'ELIGIBLE', 'WHY'],
            why.candidates.map((c) => [short(c.peer), c.eligible ? 'yes' : 'no', c.why]),
          )
      },
    )
  })
  cli
    .command('status')
    .description("whether this data dir's node is running and in its mesh (isolated or joined, members, redials)")
    .option('--data-dir <dir>', 'node data directory (default: $CRANK_DATA_DIR or ~/.crank)')
    .option('--json', 'one JSON object')
    .action(async (o: { dataDir?: string; json?: boolean }) => {
      const dataDir = dataDirFrom(o.dataDir)
      const status = await readNodeStatus(dataDir)
      if (status === undefined)
        throw new CrankError(ErrorCodes.notStarted, `no node status in ${dataDir}: start the node with \`crank-node start\``)
      if (o.json === true) console.log(JSON.stringify(status))
      else console.log(describeNodeStatus(status).join('\n'))
      // Scripts can test it: 0 joined, 1 isolated or not running.
      process.exitCode = status.alive && status.connectivity.state === 'joined' ? 0 : 1
    })
  registerTrustCommands(cli)
  registerGatewayCommands(cli)
  return cli
}

/** The built-in catalogue loads models and parsers: only the commands that serve or run jobs pay for it. */
export function loadCatalogue(): Promise<typeof import('../../capabilities/index.ts')> {
  return import('../../capabilities/index.ts')
}

/** Drops unset flags so they don't override lower config layers. */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

interface StartFlags {
  dataDir?: string
  config?: string
  listen?: string[]
  announce?: string[]
  bootstrap?: string[]
  name?: string
  caDir?: string
  http?: string
  logLevel?: PartialConfig['logLevel']
}

interface MeshFlags {
  openMesh?: boolean
  dataDir?: string
  config?: string
  bootstrap?: string[]
  wait: number
}

interface SubmitFlags extends MeshFlags {
  params: string
  input?: string
  route?: string
  peer?: string
  gpu?: boolean
  tag?: string[]
  priority?: 'high' | 'normal' | 'low'
  deadline?: number
  attempts?: number
  output?: string
  json?: boolean
}

/** Config layers for a mesh command: the data dir's config if it exists, then env, then --open-mesh. */
async function meshLayers(o: MeshFlags): Promise<PartialConfig> {
  const dataDir = dataDirFrom(o.dataDir)
  const layers = await loadLayers(dataDir, o.config, o.openMesh === true ? { trust: { openMesh: true } } : {})
  const { dataDir: _ignored, ...merged } = Object.assign({}, ...layers.map(definedOnly)) as PartialConfig
  return merged
}

function capabilityRows(node: CrankNode) {
  const now = Date.now()
  return node.mesh
    .all()
    .flatMap((p) =>
      (p.advert.capabilities ?? []).map((c) => ({
        capability: c.id ?? '',
        version: c.version ?? '',
        peer: p.peer,
        name: p.advert.name ?? '',
        health: p.advert.health ?? '',
        inFlight: p.advert.load?.inFlight ?? 0,
        queued: p.advert.load?.queued ?? 0,
        capacity: p.advert.load?.capacity ?? 0,
        cpu: p.advert.load?.cpu ?? 0,
        gpu: c.gpu === true,
        tags: c.tags ?? [],
        ageMs: now - p.receivedAt,
      })),
    )
    .sort((a, b) => a.capability.localeCompare(b.capability) || a.peer.localeCompare(b.peer))
}

function printTable(header: string[], rows: Array<Array<string | number>>): void {
  const cells = [header, ...rows.map((r) => r.map(String))]
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  for (const r of cells)
    console.log(
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
}

const short = (peer: string): string => `…${peer.slice(-10)}`

/** A flag's value: a bad one is a usage error (exit 2), reported by commander. */
function positiveInt(v: string, flag: string): number {
  const n = Number(v)
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError(`${flag} must be a positive integer, got "${v}"`)
  return n
}

function checkOutputPath(file: string): void {
  const path = resolve(file)
  const stat = statSync(path, { throwIfNoEntry: false })
  if (stat?.isDirectory() === true) throw new CrankError(ErrorCodes.invalidOption, `--output ${file} is a directory; give a file name`)
  const parent = statSync(dirname(path), { throwIfNoEntry: false })
  if (parent === undefined || !parent.isDirectory())
    throw new CrankError(ErrorCodes.invalidOption, `--output ${file}: folder ${dirname(path)} does not exist`)
}

async function writeOutput(file: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFile(file, bytes)
  } catch (err) {
    throw new CrankError(
      ErrorCodes.invalidOption,
      `cannot write --output ${file} (${bytes.byteLength} bytes of job output lost): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    )
  }
}

/** `start` on an address already taken says so in one line. */
function listenError(err: unknown, listen: string[]): unknown {
  const text = err instanceof Error ? `${err.message} ${String((err as NodeJS.ErrnoException).code ?? '')}` : String(err)
  if (/EADDRINUSE|address already in use/i.test(text)) {
    return new CrankError(
      ErrorCodes.invalidConfig,
      `cannot listen on ${listen.join(', ') || 'the configured address'}: address already in use`,
    )
  }
  if (/EADDRNOTAVAIL|EACCES/i.test(text))
    return new CrankError(ErrorCodes.invalidConfig, `cannot listen on ${listen.join(', ')}: ${text.trim()}`)
  return err
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
    throw new CrankError(
      ErrorCodes.invalidParams,
      `cannot read --input ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    )
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
    // Anything else is still one line for the user; CRANK_DEBUG=1 shows where it came from.
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]
    console.error(`crank-node: ${ErrorCodes.internal}: ${message}`)
    if (process.env.CRANK_DEBUG === '1') console.error(err)
    process.exitCode = 1
  }
}

await main(process.argv)
