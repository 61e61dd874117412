import { type Enrolment, EphemeralCA } from '../../src/trust/ephemeral-ca.ts'

let shared: Promise<EphemeralCA> | undefined

/** One real mesh CA per test process (ECDSA P-256, in a temp dir). */
export function testCa(): Promise<EphemeralCA> {
  shared ??= EphemeralCA.create()
  return shared
}

/** A fresh identity with a membership certificate from the test CA: what a real enrolled node has. */
export async function enrol(opts: { name?: string; roles?: string[] } = {}): Promise<Enrolment> {
  return (await testCa()).enrol(opts)
}
