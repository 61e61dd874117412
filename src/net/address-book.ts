/**
 * The members this node has met and where they listen, kept in `<dataDir>/address-book.json`
 * so that a restarted node finds its mesh again even when none of its bootstrap peers answer.
 * Only verified members are recorded; a refused or revoked peer is forgotten. The file is
 * bounded (most recently seen first), written atomically, and a damaged one is ignored
 * rather than fatal: the book is a hint, never the trust decision.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'

export const ADDRESS_BOOK_FILE = 'address-book.json'
/** Addresses kept per member: a host has a few interfaces, not dozens. */
export const MAX_ADDRS_PER_MEMBER = 8
/** Changes are written at most this often; `flush()` writes at once. */
export const ADDRESS_BOOK_WRITE_DELAY_MS = 1000

export interface AddressBookEntry {
  peer: string
  name?: string
  addrs: string[]
  /** When (epoch ms) this member was last connected and verified, or last advertised itself. */
  lastSeen: number
}

export interface AddressBookOptions {
  /** Where the book lives; none keeps it in memory only. */
  file?: string
  /** Members kept. */
  maxEntries: number
  /** Read the file but never write it (the CLI shares a running node's data dir). */
  readOnly?: boolean
  now?: () => number
  log?: { warn(obj: object, msg?: string): void }
}

interface FileFormat {
  version: 1
  members: AddressBookEntry[]
}

export class AddressBook {
  readonly #opts: AddressBookOptions
  readonly #now: () => number
  readonly #entries = new Map<string, AddressBookEntry>()
  #timer: NodeJS.Timeout | undefined
  #writing: Promise<void> = Promise.resolve()
  #dirty = false

  constructor(opts: AddressBookOptions) {
    this.#opts = opts
    this.#now = opts.now ?? Date.now
  }

  /** Reads the file (if any). A missing file is an empty book; a damaged one is logged and ignored. */
  async load(): Promise<void> {
    const file = this.#opts.file
    if (file === undefined) return
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.#opts.log?.warn({ file, err: (err as Error).message }, 'address book unreadable')
      return
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      this.#opts.log?.warn({ file, err: (err as Error).message }, 'address book is not JSON; starting empty')
      return
    }
    const members = (parsed as Partial<FileFormat> | null)?.members
    if (!Array.isArray(members)) return
    for (const e of members) {
      const entry = validEntry(e)
      if (entry !== undefined) this.#entries.set(entry.peer, entry)
    }
    this.#trim()
  }

  get size(): number {
    return this.#entries.size
  }

  get(peer: string): AddressBookEntry | undefined {
    return this.#entries.get(peer)
  }

  /** Most recently seen first. */
  entries(): AddressBookEntry[] {
    return [...this.#entries.values()].sort((a, b) => b.lastSeen - a.lastSeen)
  }

  /** A verified member and where it listens (newest addresses first). Addresses without a transport we know are kept as given. */
  record(peer: string, addrs: string[], name?: string): void {
    const old = this.#entries.get(peer)
    const merged = [...new Set([...addrs.map(withoutPeer), ...(old?.addrs ?? [])])].slice(0, MAX_ADDRS_PER_MEMBER)
    if (merged.length === 0) return
    const known = name ?? old?.name
    this.#entries.set(peer, { peer, ...(known === undefined ? {} : { name: known }), addrs: merged, lastSeen: this.#now() })
    this.#trim()
    this.#changed()
  }

  forget(peer: string): void {
    if (this.#entries.delete(peer)) this.#changed()
  }

  /** Writes pending changes now. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (!this.#dirty) return this.#writing
    this.#dirty = false
    const file = this.#opts.file!
    const body = `${JSON.stringify({ version: 1, members: this.entries() } satisfies FileFormat, null, 1)}\n`
    this.#writing = this.#writing.then(async () => {
      try {
        await mkdir(dirname(file), { recursive: true, mode: 0o700 })
        const tmp = `${file}.${process.pid}.tmp`
        await writeFile(tmp, body, { mode: 0o600 })
        await rename(tmp, file)
      } catch (err) {
        this.#opts.log?.warn({ file, err: (err as Error).message }, 'could not write the address book')
      }
    })
    return this.#writing
  }

  #changed(): void {
    if (this.#opts.file === undefined || this.#opts.readOnly === true) return
    this.#dirty = true
    if (this.#timer !== undefined) return
    this.#timer = setTimeout(() => void this.flush(), ADDRESS_BOOK_WRITE_DELAY_MS)
    this.#timer.unref()
  }

  #trim(): void {
    if (this.#entries.size <= this.#opts.maxEntries) return
    for (const e of this.entries().slice(this.#opts.maxEntries)) this.#entries.delete(e.peer)
  }
}

/** `/ip4/…/tcp/4501/p2p/<id>` → `/ip4/…/tcp/4501`: the book keys addresses by member already. */
function withoutPeer(addr: string): string {
  return addr.replace(/\/p2p\/[^/]+$/, '')
}

function validEntry(e: unknown): AddressBookEntry | undefined {
  if (typeof e !== 'object' || e === null) return undefined
  const { peer, name, addrs, lastSeen } = e as Record<string, unknown>
  if (typeof peer !== 'string' || !Array.isArray(addrs) || typeof lastSeen !== 'number' || !Number.isFinite(lastSeen)) return undefined
  try {
    peerIdFromString(peer)
  } catch {
    return undefined
  }
  const good = addrs
    .filter((a): a is string => typeof a === 'string')
    .filter((a) => {
      try {
        multiaddr(a)
        return true
      } catch {
        return false
      }
    })
    .slice(0, MAX_ADDRS_PER_MEMBER)
  if (good.length === 0) return undefined
  return { peer, ...(typeof name === 'string' ? { name } : {}), addrs: good, lastSeen }
}
