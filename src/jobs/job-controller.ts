/**
 * A job's one AbortController, with one direct abort hook. Every layer a job passes through
 * must hear its cancel; an `abort` listener on the signal costs an EventTarget registration and
 * removal per job per layer, on the hot path. The layer running the job right now (the executor,
 * or the remote client) takes the hook instead; anyone else listens on the signal as usual.
 */
export class JobController extends AbortController {
  private hook: ((reason: unknown) => void) | undefined

  override abort(reason?: unknown): void {
    if (this.signal.aborted) return
    super.abort(reason)
    this.hook?.(this.signal.reason)
  }

  /** Takes the hook; false when another layer holds it (then listen on the signal instead). */
  onAbort(fn: (reason: unknown) => void): boolean {
    if (this.hook !== undefined) return false
    this.hook = fn
    return true
  }

  /** Gives the hook back, if `fn` holds it. */
  offAbort(fn: (reason: unknown) => void): void {
    if (this.hook === fn) this.hook = undefined
  }
}

/** Calls `fn` once when the controller aborts; returns the function that stops listening. */
export function whenAborted(control: AbortController, fn: () => void): () => void {
  if (control instanceof JobController && control.onAbort(fn)) return () => control.offAbort(fn)
  control.signal.addEventListener('abort', fn, { once: true })
  return () => control.signal.removeEventListener('abort', fn)
}

/** Calls `fn` once when `signal` aborts; returns the function that stops listening. */
export function listen(signal: AbortSignal, fn: () => void): () => void {
  signal.addEventListener('abort', fn, { once: true })
  return () => signal.removeEventListener('abort', fn)
}
