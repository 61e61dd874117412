/**
 * Each built-in capability on its own, by id: the CLI's in-process client mode loads only the one
 * a job names instead of the whole catalogue (index.ts), whose image classifier alone probes for a
 * GPU and loads a model at import. Keep the ids in step with `builtinCapabilities`.
 */
import type { AnyCapability } from '../src/capability.ts'

export const builtinLoaders: Readonly<Record<string, () => Promise<AnyCapability>>> = {
  'example.echo': async () => (await import('./example.echo/index.ts')).default,
  'email.parse': async () => (await import('./email.parse/index.ts')).default,
  'email.classify': async () => (await import('./email.classify/index.ts')).default,
  'document.convert': async () => (await import('./document.convert/index.ts')).default,
  'stream.process': async () => (await import('./stream.process/index.ts')).default,
  'image.classify': async () => (await import('./image.classify/index.ts')).default,
}

/** The built-in serving `capability` (`id` or `id@range`), loaded alone; undefined when none has that id. */
export async function loadBuiltin(capability: string): Promise<AnyCapability | undefined> {
  const id = capability.split('@')[0] ?? ''
  const load = Object.hasOwn(builtinLoaders, id) ? builtinLoaders[id] : undefined
  return load === undefined ? undefined : load()
}
