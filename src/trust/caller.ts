/** Who is asking: what the membership layer proved about the remote peer (or the local node). */
export interface Caller {
  /** libp2p peer id; absent for an in-process caller such as the local CLI. */
  peerId?: string
  /** Node name from its membership certificate. */
  name?: string
  /** Roles from its membership certificate. */
  roles: readonly string[]
  /** True when the caller holds a verified membership certificate (or is the local node). */
  member: boolean
  /** Serial (hex) of the membership certificate the caller proved itself with: the one a renewal supersedes. */
  serial?: string
  /**
   * Set by the job gate when the access policy admitted the caller to certificate.sign_csr only to
   * renew its own membership certificate (same key, same name); the CSR signer then allows nothing else.
   */
  renewalOnly?: boolean
}

/** An in-process caller with full membership, e.g. the local node's own CLI. */
export function localCaller(roles: readonly string[] = [], name?: string): Caller {
  return name === undefined ? { roles, member: true } : { roles, name, member: true }
}

export function anonymousCaller(peerId?: string): Caller {
  return peerId === undefined ? { roles: [], member: false } : { peerId, roles: [], member: false }
}
