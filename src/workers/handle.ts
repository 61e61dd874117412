/** What the pool needs from one worker, whichever kind it is. */
import type { ControlMessage, WorkerMessage } from './protocol.ts'

export interface WorkerExit {
  code: number | null
  signal: string | null
  /** The worker died of its memory cap (V8 heap limit hit). */
  outOfMemory: boolean
  /** Last words: an uncaught error's message or the tail of stderr. */
  detail: string
}

export interface WorkerHandle {
  /** OS process id (the controller's own pid for a thread). */
  readonly pid: number
  send(msg: ControlMessage): void
  onMessage(fn: (msg: WorkerMessage) => void): void
  /** Called once, when the worker is gone for whatever reason. */
  onExit(fn: (exit: WorkerExit) => void): void
  /** Ends the worker now, whatever it is doing. */
  kill(): void
  /** Resident memory of the worker alone, where it can be told apart from the controller's. */
  rssBytes(): number | undefined
}
