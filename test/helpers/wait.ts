/** Polls `ok` until it holds; fails naming `what` after `ms`. Tests wait on state, never on fixed sleeps alone. */
export async function until(what: string | (() => string), ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
