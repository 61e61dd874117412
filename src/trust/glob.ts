/**
 * Glob patterns compiled once to RegExps.
 * Capability patterns (`email.*`): `*` matches any run of characters, dots included.
 * SAN patterns (`dns:*.mesh.local`): `*` matches within one label (no `.`, `/`, `:`
 * or `@`), as X.509 wildcards do; `**` matches anything.
 */
const SPECIAL = /[.+?^${}()|[\]\\]/g

export function compileCapabilityGlob(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(SPECIAL, '\\$&').replace(/\*+/g, '.*')}$`)
}

export function compileSanGlob(pattern: string): RegExp {
  const body = pattern
    .split('**')
    .map((part) => part.replace(SPECIAL, '\\$&').replace(/\*/g, '[^./:@]*'))
    .join('.*')
  return new RegExp(`^${body}$`, 'i')
}

export function isGlob(pattern: string): boolean {
  return pattern.includes('*')
}
