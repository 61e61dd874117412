/**
 * Append-only audit trail as JSON lines. Every certificate issuance and every
 * access-policy denial gets one line. Lines are written synchronously: an
 * audit line must not be lost because the process died right after deciding.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

export type AuditDecision = 'allow' | 'deny'

/** The caller as audit lines name it. */
export interface AuditCaller {
  peerId?: string
  name?: string
  roles?: readonly string[]
}

export interface AuditRecord {
  event: string
  request_id?: string | undefined
  caller?: AuditCaller | string
  capability?: string
  decision?: AuditDecision
  reason?: string
  [key: string]: unknown
}

export type AuditSink = (line: string) => void

export class AuditLog {
  readonly #sink: AuditSink
  #fd: number | undefined

  /** @param target a file path (appended, created 0600) or a function receiving each line (without newline). */
  constructor(target: string | AuditSink) {
    if (typeof target === 'function') {
      this.#sink = target
    } else {
      mkdirSync(dirname(target), { recursive: true })
      const fd = openSync(target, 'a', 0o600)
      this.#fd = fd
      this.#sink = (line) => {
        writeSync(fd, `${line}\n`)
      }
    }
  }

  write(record: AuditRecord): void {
    this.#sink(JSON.stringify({ ts: new Date().toISOString(), ...record }))
  }

  /** One access decision, in the shape DESIGN.md fixes: request_id, caller, capability, decision, reason. */
  decision(d: { requestId: string; caller: AuditCaller; capability: string; decision: AuditDecision; reason: string }): void {
    this.write({
      event: 'access',
      request_id: d.requestId,
      caller: d.caller,
      capability: d.capability,
      decision: d.decision,
      reason: d.reason,
    })
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd)
    this.#fd = undefined
  }
}
