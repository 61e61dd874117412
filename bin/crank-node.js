#!/usr/bin/env node
// Runs the compiled CLI when built (npm install builds it), else the TypeScript source
// directly: Node >= 22.18 strips types itself.
import { existsSync } from 'node:fs'

const compiled = new URL('../dist/src/cli/main.js', import.meta.url)
await import(existsSync(compiled) ? compiled.href : new URL('../src/cli/main.ts', import.meta.url).href)
