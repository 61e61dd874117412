import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { StoreNodeSpec } from './store-node-process.ts'
import { enrol } from './trust.ts'

const SCRIPT = new URL('./store-node-process.ts', import.meta.url).pathname

export type Line = Record<string, unknown>

export interface StoreNode {
  proc: ChildProcess
  lines: Line[]
  /** Resolves with the lines so far once `ok` holds for them; rejects if the process exits first. */
  until(ok: (lines: Line[]) => boolean): Promise<Line[]>
  /** SIGKILL, and resolves once the process is gone. */
  kill(): Promise<void>
  exited: Promise<number | null>
}

/** An enrolled identity as the child process takes it. */
export async function childIdentity(name: string): Promise<Pick<StoreNodeSpec, 'key' | 'ca' | 'certificate'>> {
  const e = await enrol({ name })
  return {
    key: Buffer.from(privateKeyToProtobuf(e.privateKey)).toString('base64'),
    ca: e.membership.ca,
    certificate: e.membership.certificate,
  }
}

/** Starts test/helpers/store-node-process.ts with `spec`, and follows its JSON lines. */
export function startStoreNode(spec: StoreNodeSpec): StoreNode {
  const proc = spawn(process.execPath, [SCRIPT], {
    env: { ...process.env, CRANK_STORE_NODE: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: Line[] = []
  let stderr = ''
  const waiters = new Set<() => void>()
  let exitCode: number | null | undefined
  const exited = new Promise<number | null>((resolve) => {
    proc.once('close', (code) => {
      exitCode = code
      for (const w of [...waiters]) w()
      resolve(code)
    })
  })
  proc.stderr?.on('data', (d) => {
    stderr += d
  })
  createInterface({ input: proc.stdout! }).on('line', (text) => {
    try {
      lines.push(JSON.parse(text) as Line)
    } catch {
      lines.push({ text })
    }
    for (const w of [...waiters]) w()
  })
  return {
    proc,
    lines,
    exited,
    until(ok) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (ok(lines)) {
            waiters.delete(check)
            resolve(lines)
          } else if (exitCode !== undefined) {
            waiters.delete(check)
            reject(new Error(`store node (${spec.mode}) exited ${exitCode} first: ${stderr.slice(-2000)}`))
          }
        }
        waiters.add(check)
        check()
      })
    },
    async kill() {
      if (exitCode === undefined) proc.kill('SIGKILL')
      await exited
    },
  }
}

export const count = (lines: Line[], key: string): number => lines.filter((l) => key in l).length
