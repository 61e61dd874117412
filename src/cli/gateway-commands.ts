/**
 * `crank-node gateway token create|list|revoke`: the HTTP gateway's bearer tokens, over
 * src/gateway/tokens.ts. A running gateway sees changes at its next request.
 */
import type { Command } from 'commander'
import { createGatewayToken, listGatewayTokens, revokeGatewayToken, tokensPath } from '../gateway/tokens.ts'
import { dataDirFrom } from './paths.ts'

export function registerGatewayCommands(cli: Command): void {
  const gateway = cli.command('gateway').description('the HTTP gateway (crank-node start --http HOST:PORT): its bearer tokens')
  const token = gateway.command('token').description('bearer tokens for the HTTP gateway (only their SHA-256 is kept)')

  token
    .command('create')
    .description('create a token and print it once; it cannot be shown again')
    .option('--data-dir <dir>', 'node data directory (default: $CRANK_DATA_DIR or ~/.crank)')
    .option('--name <name>', 'what the token is for, shown by list', 'token')
    .option('--json', 'one JSON object')
    .action(async (o: { dataDir?: string; name: string; json?: boolean }) => {
      const dataDir = dataDirFrom(o.dataDir)
      const created = await createGatewayToken(dataDir, o.name)
      if (o.json === true) return console.log(JSON.stringify(created))
      console.log(created.token)
      console.error(`token ${created.id} (${created.name}) saved as a hash in ${tokensPath(dataDir)}; it is not shown again`)
    })

  token
    .command('list')
    .description('tokens by id, name and creation time (never the tokens themselves)')
    .option('--data-dir <dir>', 'node data directory (default: $CRANK_DATA_DIR or ~/.crank)')
    .option('--json', 'one JSON object')
    .action(async (o: { dataDir?: string; json?: boolean }) => {
      const tokens = await listGatewayTokens(dataDirFrom(o.dataDir))
      if (o.json === true) return console.log(JSON.stringify({ tokens }))
      if (tokens.length === 0) return console.log('no gateway tokens')
      for (const t of tokens) console.log(`${t.id}  ${new Date(t.createdAt).toISOString()}  ${t.name}`)
    })

  token
    .command('revoke')
    .description('revoke a token by id; a running gateway refuses it from its next request')
    .argument('<id>', 'token id, from list')
    .option('--data-dir <dir>', 'node data directory (default: $CRANK_DATA_DIR or ~/.crank)')
    .action(async (id: string, o: { dataDir?: string }) => {
      const revoked = await revokeGatewayToken(dataDirFrom(o.dataDir), id)
      console.log(`revoked token ${revoked.id} (${revoked.name})`)
    })
}
