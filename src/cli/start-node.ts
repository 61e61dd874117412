/**
 * `crank-node start`: the node in the foreground with the whole built-in catalogue, its control
 * socket in the data dir for the CLI, and (with --ca-dir) the mesh CA's enrolment service. SIGINT
 * and SIGTERM drain and stop it. Imported only by `start`: it loads everything.
 */
import { unwatchFile, watchFile } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { PartialConfig } from '../config.ts'
import { ControlServer, claimControlSocket, controlSocketPath } from '../control/control-server.ts'
import { CrankError, ErrorCodes } from '../errors.ts'
import { type Gateway, startGateway } from '../gateway/server.ts'
import { createNode } from '../node.ts'
import { AuditLog } from '../trust/audit-log.ts'
import { MeshCA } from '../trust/ca.ts'
import { definedOnly, loadLayers } from './cli-options.ts'
import { dataDirFrom } from './paths.ts'

export interface StartFlags {
  dataDir?: string
  config?: string
  listen?: string[]
  announce?: string[]
  bootstrap?: string[]
  name?: string
  caDir?: string
  /** The HTTP gateway's address (overrides config gateway.listen). */
  http?: string
  logLevel?: PartialConfig['logLevel']
}

export async function startNode(o: StartFlags): Promise<void> {
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
  // A gateway serves /metrics: keep them unless the config says otherwise.
  if (merged.gateway?.listen !== undefined) merged.metrics ??= true
  // Before anything else: a second node on one data dir would share its identity, and a live socket says one runs.
  await claimControlSocket(controlSocketPath(dataDir))
  const { builtinCapabilities, createSignCsrCapability } = await import('../../capabilities/index.ts')
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
  let control: ControlServer
  try {
    control = await ControlServer.listen({ node, dataDir, log: node.log })
  } catch (err) {
    await node.stop({ drainTimeoutMs: 0 })
    throw err
  }
  let gateway: Gateway | undefined
  if (node.config.gateway.listen !== undefined) {
    // A gateway that cannot start (address taken, no tokens on a public address) stops the node too: it was asked for.
    gateway = await startGateway(node).catch(async (err: unknown) => {
      control.stopListening()
      await node.stop({ drainTimeoutMs: 0 })
      await control.close()
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
    // New CLI calls find no node from here on; the open ones see their jobs drain.
    control.stopListening()
    // The gateway too: no new HTTP jobs while the node drains.
    Promise.resolve(gateway?.close())
      .then(() => node.stop())
      .then(() => control.close())
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
