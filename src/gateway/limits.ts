/**
 * The HTTP gateway's limits in one place. The configurable ones are the defaults of the
 * `gateway` config section (src/config.ts, where each is documented); the rest are fixed here,
 * each with why it has the value it has.
 */

/** `gateway.maxBodyBytes`: a JSON request body (input given as base64 is a third larger than its bytes). */
export const MAX_BODY_BYTES = 32 * 1024 * 1024
/** `gateway.maxInputBytes`: a raw (`application/octet-stream`) input body, streamed into the job, never held whole. */
export const MAX_INPUT_BYTES = 1024 * 1024 * 1024
/** `gateway.maxConcurrentPerToken`: requests (SSE streams included) one token, or the open gateway, may have in flight. */
export const MAX_CONCURRENT_PER_TOKEN = 64
/** `gateway.requestTimeoutMs`: the whole request, body included, must arrive within this (fastify's requestTimeout). */
export const REQUEST_TIMEOUT_MS = 300_000
/** `gateway.idleTimeoutMs`: a connection with nothing sent or received for this long is closed (fastify's connectionTimeout). */
export const IDLE_TIMEOUT_MS = 60_000
/** `gateway.maxJobs`: jobs the gateway remembers; past it the oldest ended ones are forgotten. */
export const MAX_JOBS = 1000
/** `gateway.maxEventsPerJob`: events kept per job for SSE replay; past it the oldest are dropped (a `gap` event says so). */
export const MAX_EVENTS_PER_JOB = 1000
/** `gateway.maxOutputBytes`: output bytes kept per job (like jobs.maxOutputBytes); past it the job fails `output_too_large`. */
export const MAX_OUTPUT_BYTES = 64 * 1024 * 1024
/** `gateway.outputBudgetBytes`: output bytes kept across all jobs; the oldest ended jobs' output is dropped first. */
export const OUTPUT_BUDGET_BYTES = 512 * 1024 * 1024

/**
 * How long `POST /v1/jobs` waits for the job to be admitted (accepted, or refused on the spot)
 * before it answers 202 anyway: a refusal (no provider, invalid params) is then a problem
 * document rather than a job id whose only news is its failure. An admitted job answers as soon
 * as it is admitted; remote providers announce a slow job within about 10 ms.
 */
export const ADMISSION_WAIT_MS = 2000
/** A `DELETE` waits this long for the job to end before it answers 202 (the cancel still goes on). */
export const CANCEL_WAIT_MS = 5000
/** An SSE comment this often keeps proxies and the idle timeout from closing a quiet stream. */
export const SSE_HEARTBEAT_MS = 15_000
/** The reconnect delay SSE clients are told (`retry:`). */
export const SSE_RETRY_MS = 2000
/** Job and mesh changes kept for `/v1/events` replay (`Last-Event-ID`). */
export const LIVE_EVENTS_BUFFER = 1000
/** A job store change feed that failed is restarted after this long. */
export const STORE_FEED_RESTART_MS = 1000
/** `/v1/events` sends a mesh snapshot and the newest stats this often while anyone listens. */
export const LIVE_TICK_MS = 2000
/** Job rate and latency are kept per bucket of this length… */
export const STATS_BUCKET_MS = 5000
/** …for this many buckets (10 minutes). */
export const STATS_BUCKETS = 120
/** Latency samples kept per bucket for its percentiles (a uniform reservoir past this). */
export const STATS_SAMPLES_PER_BUCKET = 512
/** Jobs a `GET /v1/jobs` lists when it does not say. */
export const DEFAULT_LIST_LIMIT = 100
/** The most a `GET /v1/jobs` lists. */
export const MAX_LIST_LIMIT = 1000
