import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'

export const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname
const run = promisify(execFile)

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs `crank-node ...args` to completion in its own OS process. */
export async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { maxBuffer: 8 * 1024 * 1024, env: { ...process.env, ...env } })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

export interface NodeProcess {
  proc: ChildProcess
  addr: string
  peerId: string
  logs: Array<Record<string, unknown>>
}

/** Starts `crank-node start` and resolves once its "node started" log line names its address. */
export function startNodeProcess(dataDir: string, extra: string[] = []): Promise<NodeProcess> {
  const proc = spawn(process.execPath, [CLI, 'start', '--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const logs: Array<Record<string, unknown>> = []
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`crank-node start exited early with ${code}`)))
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>
      logs.push(entry)
      if (entry.msg === 'node started') {
        const peerId = entry.peerId as string
        resolve({ proc, peerId, addr: `${(entry.multiaddrs as string[])[0]!.replace(/\/p2p\/.*$/, '')}/p2p/${peerId}`, logs })
      }
    })
  })
}

export async function waitFor<T>(get: () => T, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = get()
    if (ok(v) || Date.now() > end) return v
    await new Promise((r) => setTimeout(r, 50))
  }
}
