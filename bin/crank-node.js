#!/usr/bin/env node
// In the repository the TypeScript sources run directly (Node >= 22.18 strips types); an installed
// package ships only the compiled dist/ (Node does not strip types under node_modules). Choosing by
// whether the sources are present keeps a stale dist/ in a checkout from ever running.
import { existsSync } from 'node:fs'

const source = new URL('../src/cli/main.ts', import.meta.url)
const compiled = new URL('../dist/src/cli/main.js', import.meta.url)
await import(existsSync(source) ? source.href : compiled.href)
