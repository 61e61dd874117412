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

/**
 * Starts `crank-node start` and resolves once its "node started" log line has named its address and
 * its control socket listens (from then on the CLI on this data dir talks to it).
 */
export function startNodeProcess(dataDir: string, extra: string[] = []): Promise<NodeProcess> {
  const proc = spawn(process.execPath, [CLI, 'start', '--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const logs: Array<Record<string, unknown>> = []
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`crank-node start exited early with ${code}`)))
    let started: NodeProcess | undefined
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>
      logs.push(entry)
      if (entry.msg === 'node started') {
        const peerId = entry.peerId as string
        started = { proc, peerId, addr: `${(entry.multiaddrs as string[])[0]!.replace(/\/p2p\/.*$/, '')}/p2p/${peerId}`, logs }
      }
      if (entry.msg === 'control socket listening' && started !== undefined) resolve(started)
    })
  })
}

/**
 * Polls `get` until `ok` holds and returns the value; fails naming what it saw after `ms`.
 * The budget is only there for a clearer message than the test's own timeout: give one that
 * allows for OS processes starting on a loaded host (each CLI process loads the whole stack).
 */
export async function waitFor<T>(get: () => T, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = get()
    if (ok(v)) return v
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms; last value: ${JSON.stringify(v)}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** What a spawned process has written so far, with a wait on a line appearing. */
export interface ProcessOutput {
  readonly stdout: string
  readonly stderr: string
  /**
   * Resolves with the first match of `re` in stderr; rejects as soon as the process exits
   * without one (no budget of its own: a failed process is reported at once, a slow one is
   * bounded by the test's timeout).
   */
  stderrMatch(re: RegExp): Promise<RegExpExecArray>
}

export function watchOutput(proc: ChildProcess): ProcessOutput {
  let stdout = ''
  let stderr = ''
  let exited: number | null | undefined
  const waiters = new Set<() => void>()
  const wake = (): void => {
    for (const w of [...waiters]) w()
  }
  proc.stdout?.on('data', (d) => {
    stdout += d
  })
  proc.stderr?.on('data', (d) => {
    stderr += d
    wake()
  })
  // 'close', not 'exit': the last output may still be in the pipes when the process exits.
  proc.once('close', (code) => {
    exited = code
    wake()
  })
  return {
    get stdout() {
      return stdout
    },
    get stderr() {
      return stderr
    },
    stderrMatch(re) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(stderr)
          if (m !== null) {
            waiters.delete(check)
            resolve(m)
          } else if (exited !== undefined) {
            waiters.delete(check)
            reject(new Error(`process exited (${exited}) before writing ${re}: ${stderr}${stdout}`))
          }
        }
        waiters.add(check)
        check()
      })
    },
  }
}
