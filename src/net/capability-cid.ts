/** The DHT key a capability's providers announce: CID(sha256("crank/cap/<id>@<major>")). */
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'

export async function capabilityCid(id: string, major: number): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode(`crank/cap/${id}@${major}`)))
}
