/**
 * The built-in catalogue: what the CLI and the demo serve. Embedding apps pass
 * their own list to createNode instead; the node never imports this file.
 */
import type { AnyCapability } from '../src/capability.ts'
import echo from './example.echo/index.ts'

export const builtinCapabilities: AnyCapability[] = [echo]
