/**
 * Named limits of the job path, in one place. Each bounds what one peer (or one
 * caller) can make this node hold or compute; the doc comment gives the default
 * and why it is that size. docs/operations.md states the memory bound they add up to.
 */

/**
 * Deepest nesting of params and results (objects and arrays), default 64. Deep enough for any
 * real params object; far below the depth where a recursive stringify, parse or schema
 * validation overflows the stack (about 6,000 levels crashed a node).
 */
export const MAX_JSON_DEPTH = 64

/** Largest params or result as JSON text, default 1 MiB: one frame (`jobs.maxFrameBytes`) must carry it. */
export const MAX_JSON_BYTES = 1024 * 1024

/** Longest deadline a caller may ask for, default 2^32−1 ms (about 49.7 days): the wire field is a uint32. */
export const MAX_DEADLINE_MS = 2 ** 32 - 1

/** Most attempts a caller may ask for on one job, default 20 (as config `mesh.attempts`). */
export const MAX_ATTEMPTS = 20

/**
 * Default of config `jobs.frameBudgetBytes`: frame bytes buffered (partial frames and decoded
 * frames not yet consumed) across every job stream of this node, 256 MiB. Past it a stream that wants more is reset with
 * `buffer_full` (retryable), so the node's memory for job frames stays bounded whatever peers do.
 */
export const NODE_FRAME_BUDGET_BYTES = 256 * 1024 * 1024

/** Default of config `jobs.connectionFrameBudgetBytes`: the same per connection of a proven member, 64 MiB, so one member cannot take the whole node budget. */
export const CONNECTION_FRAME_BUDGET_BYTES = 64 * 1024 * 1024

/**
 * The same, per connection of a peer whose membership is not proven yet, default 256 KiB. Its
 * streams stop being read past it until the proof arrives (or the grace period ends and the
 * connection is closed), so a legitimate caller whose Hello is in flight loses nothing.
 */
export const UNPROVEN_CONNECTION_FRAME_BUDGET_BYTES = 256 * 1024

/** Job streams a peer may hold open before its membership is proven, default 4; more are reset. */
export const UNPROVEN_JOB_STREAMS = 4

/** How long a job stream waits for its terminal frame to be written when the node stops, default 1 s. */
export const CLOSE_FLUSH_MS = 1000

/**
 * A job still running (or queued) this long after admission is announced with an Accepted frame;
 * one that ends sooner answers with its terminal frame alone (see protocols/README.md).
 */
export const ACCEPTED_DELAY_MS = 10

/**
 * Jobs a caller may have in flight on one lane stream (/crank/job-lane/1.0.0), 64: part of the
 * protocol, since a caller must stay under it. A Submit past it is a protocol error that ends the
 * lane. A job counts from its Submit until its terminal frame has been written.
 */
export const LANE_MAX_JOBS = 64

/** Lane streams a peer may open per connection, default 4; more are reset by libp2p. */
export const LANES_PER_CONNECTION = 4

/**
 * Lanes a caller opens per provider, 2: jobs share as few streams as possible (that is the gain),
 * and a caller whose lanes are full sends further jobs on streams of their own.
 */
export const LANES_PER_PEER = 2
