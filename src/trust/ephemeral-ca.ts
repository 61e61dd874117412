/**
 * A throwaway mesh CA in a temp dir that enrols nodes in-process: for the demo,
 * simulations, benchmarks and tests, which need real membership without the
 * CLI ceremony. Production meshes use `crank-node ca init` and `join`.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MeshCA } from './ca.ts'

export interface Enrolment {
  privateKey: PrivateKey
  membership: { ca: string; certificate: string }
}

export class EphemeralCA {
  readonly ca: MeshCA

  private constructor(ca: MeshCA) {
    this.ca = ca
  }

  static async create(): Promise<EphemeralCA> {
    // Tests and simulations reuse names ("n0", "node-1") across meshes with fresh keys: names need not be unique here.
    return new EphemeralCA(await MeshCA.init({ dir: join(mkdtempSync(join(tmpdir(), 'crank-ca-')), 'ca'), naming: { uniqueNames: false } }))
  }

  /** A fresh identity with a membership certificate: spread it into `createNode({...})`. */
  async enrol(opts: { name?: string; roles?: string[] } = {}): Promise<Enrolment> {
    const privateKey = await generateKeyPair('Ed25519')
    const issued = await this.ca.issueMembership({ peerId: peerIdFromPrivateKey(privateKey).toString(), ...opts })
    return { privateKey, membership: { ca: this.ca.certificatePem, certificate: issued.pem } }
  }
}
