/**
 * `crank-node ca …` and `crank-node join`: the CLI over src/trust/commands.ts.
 * They print; the trust module computes.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { type Command, InvalidArgumentError } from 'commander'
import { CrankError, ErrorCodes } from '../errors.ts'
import type { SignCsrReply } from '../trust/commands.ts'
import { type DurationRule, parseDuration } from './duration.ts'
import { dataDirFrom } from './paths.ts'

// The trust module and libp2p load only when a trust command runs, not with every CLI call.
const trust = (): Promise<typeof import('../trust/commands.ts')> => import('../trust/commands.ts')
const identity = (): Promise<typeof import('../net/identity.ts')> => import('../net/identity.ts')

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

const DAY_MS = 86_400_000

/**
 * A duration flag's parser (milliseconds). A bad value is a usage error (exit 2): commander reports an
 * InvalidArgumentError in one line, here carrying parseDuration's typed code and message.
 */
const duration =
  (rule: DurationRule) =>
  (value: string): number => {
    try {
      return parseDuration(value, rule)
    } catch (err) {
      if (err instanceof CrankError) throw new InvalidArgumentError(`${err.code}: ${err.message}`)
      throw err
    }
  }

export function registerTrustCommands(cli: Command): void {
  const ca = cli.command('ca').description('the mesh trust root: create the CA, issue membership certificates, join tokens, revocation')

  ca.command('init')
    .description('create the mesh CA (key file mode 0600) in --ca-dir')
    .requiredOption('--ca-dir <dir>', 'where the CA key, certificate, CRL and token list live')
    .option('--name <cn>', 'CA common name', 'Crank mesh CA')
    .option('--algorithm <alg>', 'ecdsa-p256 | ed25519', 'ecdsa-p256')
    .option(
      '--name-suffix <domain>',
      'domain certificates may name (DNS, email, URI hosts), repeatable; default: internal, local, home.arpa',
      collect,
    )
    .option('--force', 'overwrite an existing CA')
    .action(async (o: { caDir: string; name: string; algorithm: string; nameSuffix?: string[]; force?: boolean }) => {
      if (o.algorithm !== 'ecdsa-p256' && o.algorithm !== 'ed25519')
        throw new CrankError(ErrorCodes.invalidParams, '--algorithm must be ecdsa-p256 or ed25519')
      const { caInit } = await trust()
      const r = await caInit({
        dir: o.caDir,
        name: o.name,
        algorithm: o.algorithm,
        ...(o.force === true ? { force: true } : {}),
        ...(o.nameSuffix === undefined ? {} : { nameSuffixes: o.nameSuffix }),
      })
      console.log(
        `mesh CA created in ${r.dir} (${r.algorithm})\nfingerprint: ${r.fingerprint}\ncertificate: ${r.certificatePath}\nkey:         ${r.keyPath} (mode 0600)`,
      )
    })

  ca.command('issue')
    .description("issue a membership certificate over a node's libp2p key, and install it in the node's data dir")
    .requiredOption('--ca-dir <dir>', 'the CA directory')
    .option('--data-dir <dir>', 'the node to certify: its identity is read and ca.crt + membership.crt are written there')
    .option('--peer-id <id>', 'certify this peer id instead (the certificate is printed)')
    .option('--name <name>', 'node name carried in the certificate')
    .option('--role <role>', 'role carried in the certificate, repeatable', collect)
    .option(
      '--days <duration>',
      'validity: 90d, 12h, 30m, 2w… (a plain number is days)',
      duration({ flag: '--days', plainUnit: 'd', maxMs: 36_500 * DAY_MS }),
    )
    .action(async (o: { caDir: string; dataDir?: string; peerId?: string; name?: string; role?: string[]; days?: number }) => {
      const { caIssue, NODE_TRUST_FILES } = await trust()
      const { writeFileAtomic } = await import('../trust/files.ts')
      let peerId = o.peerId
      if (o.dataDir !== undefined) {
        const { IDENTITY_FILE, loadOrCreateIdentity } = await identity()
        if (!existsSync(join(o.dataDir, IDENTITY_FILE)))
          throw new CrankError(ErrorCodes.invalidParams, `${o.dataDir} has no identity: run crank-node init --data-dir ${o.dataDir} first`)
        const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
        peerId = peerIdFromPrivateKey((await loadOrCreateIdentity(o.dataDir)).key).toString()
      }
      if (peerId === undefined) throw new CrankError(ErrorCodes.invalidParams, 'give --data-dir (a node to certify) or --peer-id')
      const r = await caIssue({
        dir: o.caDir,
        peerId,
        ...(o.name === undefined ? {} : { name: o.name }),
        ...(o.role === undefined ? {} : { roles: o.role }),
        // --days is parsed to milliseconds; a certificate may last a fraction of a day (1h, 30m).
        ...(o.days === undefined ? {} : { validityDays: o.days / DAY_MS }),
      })
      if (o.dataDir !== undefined) {
        writeFileAtomic(join(o.dataDir, NODE_TRUST_FILES.ca), r.caCertificatePem, 0o644)
        writeFileAtomic(join(o.dataDir, NODE_TRUST_FILES.certificate), r.certificatePem, 0o644)
        console.log(`issued ${r.serial} to ${peerId} (valid until ${r.notAfter}); installed in ${o.dataDir}`)
      } else {
        process.stdout.write(r.certificatePem)
      }
    })

  ca.command('issue-tls')
    .description('a TLS key and certificate from the mesh CA: --server for the HTTP gateway, --client for a caller of it (mTLS)')
    .requiredOption('--ca-dir <dir>', 'the CA directory')
    .requiredOption('--name <name>', 'common name: the gateway host, or who the client is')
    .requiredOption('--out <prefix>', 'writes <prefix>.key (0600), <prefix>.crt and <prefix>-ca.crt')
    .option('--server', 'a server certificate (EKU serverAuth), for gateway.tlsCertFile')
    .option('--client', 'a client certificate (EKU clientAuth), for a caller of a gateway with gateway.clientCertificates')
    .option('--dns <name>', "DNS name in the certificate, repeatable (under the CA's name suffixes)", collect)
    .option('--ip <address>', 'IP address in the certificate, repeatable (private addresses)', collect)
    .option(
      '--days <duration>',
      'validity: 90d, 12h, 2w… (a plain number is days; default 90)',
      duration({ flag: '--days', plainUnit: 'd', maxMs: 825 * DAY_MS }),
    )
    .action(
      async (o: {
        caDir: string
        name: string
        out: string
        server?: boolean
        client?: boolean
        dns?: string[]
        ip?: string[]
        days?: number
      }) => {
        if (o.server === o.client) throw new CrankError(ErrorCodes.invalidOption, 'give exactly one of --server and --client')
        const { MeshCA } = await import('../trust/ca.ts')
        const { issueTlsCertificate } = await import('../trust/tls-certificates.ts')
        const { writeFileAtomic } = await import('../trust/files.ts')
        const r = await issueTlsCertificate(await MeshCA.load(o.caDir), {
          name: o.name,
          usage: o.server === true ? 'server' : 'client',
          ...(o.dns === undefined ? {} : { dns: o.dns }),
          ...(o.ip === undefined ? {} : { ip: o.ip }),
          // --days is parsed to milliseconds, as for `ca issue`.
          ...(o.days === undefined ? {} : { validityDays: o.days / DAY_MS }),
        })
        writeFileAtomic(`${o.out}.key`, r.keyPem, 0o600)
        writeFileAtomic(`${o.out}.crt`, r.pem, 0o644)
        writeFileAtomic(`${o.out}-ca.crt`, r.caPem, 0o644)
        console.log(
          `issued ${r.serial} (${o.server === true ? 'server' : 'client'}, CN=${o.name}, valid until ${r.notAfter.toISOString()}): ${o.out}.key, ${o.out}.crt, ${o.out}-ca.crt`,
        )
      },
    )

  ca.command('token')
    .description('make a one-time join token that expires')
    .requiredOption('--ca-dir <dir>', 'the CA directory')
    .option(
      '--ttl <duration>',
      'lifetime: 1h, 30m, 2d, 1w… (a plain number is milliseconds)',
      duration({ flag: '--ttl', plainUnit: 'ms', maxMs: 366 * DAY_MS }),
      3_600_000,
    )
    .option('--name <name>', 'node name the joining node will get')
    .option('--role <role>', 'role the joining node will get, repeatable', collect)
    .action(async (o: { caDir: string; ttl: number; name?: string; role?: string[] }) => {
      const { caToken } = await trust()
      const r = await caToken({
        dir: o.caDir,
        ttlMs: o.ttl,
        ...(o.name === undefined ? {} : { name: o.name }),
        ...(o.role === undefined ? {} : { roles: o.role }),
      })
      console.log(r.token)
      console.error(`(token ${r.id} for node ${r.name}, single use, expires ${r.expiresAt})`)
    })

  ca.command('revoke')
    .description('revoke a certificate by serial and write the signed CRL; nodes holding the CA (start --ca-dir) push it to the mesh')
    .requiredOption('--ca-dir <dir>', 'the CA directory')
    .argument('<serial>', 'certificate serial (hex), as `ca list` shows it')
    .option('--unlisted', 'revoke a serial missing from issued.jsonl (certificates issued before the CA kept it)')
    .action(async (serial: string, o: { caDir: string; unlisted?: boolean }) => {
      const { caRevoke } = await trust()
      const r = await caRevoke({ dir: o.caDir, serial, unlisted: o.unlisted === true })
      console.log(`revoked ${r.serial}; CRL #${r.crlNumber} (${r.revoked.length} revoked) written to ${r.crlPath}`)
    })

  ca.command('list')
    .description('what the CA has issued: serial, name, peer, status (valid, expired, revoked) and expiry')
    .requiredOption('--ca-dir <dir>', 'the CA directory')
    .option('--json', 'one JSON object per line')
    .action(async (o: { caDir: string; json?: boolean }) => {
      const { caList } = await trust()
      const entries = await caList({ dir: o.caDir })
      if (o.json === true) {
        for (const e of entries) console.log(JSON.stringify(e))
        return
      }
      const rows = [
        ['SERIAL', 'NAME', 'PEER / SUBJECT', 'STATUS', 'EXPIRES'],
        ...entries.map((e) => [e.serial, e.name ?? '-', e.peerId ?? e.subject, e.status, e.notAfter]),
      ]
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
      for (const r of rows)
        console.log(
          r
            .map((c, i) => c.padEnd(widths[i]!))
            .join('  ')
            .trimEnd(),
        )
    })

  cli
    .command('join')
    .description('enrol this node: have a mesh member sign its CSR with a one-time join token')
    .option('--data-dir <dir>', 'node data directory (default: $CRANK_DATA_DIR or ~/.crank)')
    .requiredOption('--bootstrap <multiaddr>', 'a mesh member that serves certificate.sign_csr (ends in /p2p/<id>)')
    .requiredOption('--token <token>', 'one-time join token from `crank-node ca token`')
    .option('--name <name>', 'node name to request')
    .option('--role <role>', 'role to request, repeatable', collect)
    .action(async (o: { dataDir?: string; bootstrap: string; token: string; name?: string; role?: string[] }) => {
      const dataDir = dataDirFrom(o.dataDir)
      const { join: joinMesh } = await trust()
      const { createNode } = await import('../node.ts')
      const { key } = await (await identity()).loadOrCreateIdentity(dataDir)
      // Not a member yet, so this node can't verify anyone: it only talks to the peer it was told to trust,
      // and join() checks the returned CA against the fingerprint inside the token.
      const node = await createNode({ privateKey: key, listen: [], logLevel: 'error', trust: { openMesh: true }, mesh: { dht: false } })
      await node.start()
      try {
        const peer = await node.connect(o.bootstrap)
        const r = await joinMesh({
          privateKey: key,
          token: o.token,
          dataDir,
          ...(o.name === undefined ? {} : { name: o.name }),
          ...(o.role === undefined ? {} : { roles: o.role }),
          submit: async (params) =>
            (await node.submit({ capability: 'certificate.sign_csr', params, route: peer.toString(), attempts: 1 }).result)
              .value as SignCsrReply,
        })
        console.log(
          `joined: ${r.peerId} holds certificate ${r.serial} (valid until ${r.notAfter})\nca:          ${r.caPath}\ncertificate: ${r.certificatePath}`,
        )
      } finally {
        await node.stop({ drainTimeoutMs: 0 })
      }
    })
}
