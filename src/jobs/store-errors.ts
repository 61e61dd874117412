/**
 * Error codes of the job store and of the jobs it records. The store's own faults at start
 * (corrupt, locked, unusable) are never retryable: an operator has to look. A job that ends
 * `interrupted` or `store_full` says why in its message.
 */
export const StoreErrorCodes = {
  /** The database file is not a SQLite database, or its pages do not read back; nothing was changed or deleted. */
  storeCorrupt: 'store_corrupt',
  /** Another process holds the database (a node already runs from this data dir). */
  storeLocked: 'store_locked',
  /** The store cannot be opened or written for another reason (permissions, a newer schema). */
  storeUnavailable: 'store_unavailable',
  /** The disk, or the store's configured input budget (`store.maxDiskBytes`), is full. */
  storeFull: 'store_full',
  /** The node stopped while the job ran, and the job could not be run again (not durable, or its input was not kept). */
  interrupted: 'interrupted',
  /** No job with that id in this node's store. */
  unknownJob: 'unknown_job',
  /** The job is not in a state this operation applies to (retrying a running or succeeded job). */
  invalidState: 'invalid_state',
  /**
   * A repeat of a durable job that already ran to completion on this provider, whose output was
   * too large to keep (`store.maxOutputBytes`): it is not run a second time.
   */
  answerNotKept: 'answer_not_kept',
} as const
