/**
 * Crank's public API: everything an embedding app or a capability imports.
 */
export {
  type AnyCapability,
  type Capability,
  type CapabilityDefinition,
  type CapabilityErrorSpec,
  defineCapability,
  type JobContext,
  type JSONSchema,
  type ProgressUpdate,
  type WorkerRuntime,
} from './capability.ts'
export { type CrankConfig, DEFAULT_CONFIG, type JobsConfig, type PartialConfig, type StoreConfig } from './config.ts'
export { CrankError, ErrorCodes, type ErrorInfo, JobError, JobFailedError, type TerminalState } from './errors.ts'
export type { JobEvent, JobHandle, JobReport, JobResult, OutputMode, RouteInfo, RouteReason } from './jobs/job-handle.ts'
export type { JobInput } from './jobs/job-input.ts'
export type {
  JobChange,
  JobEventRecord,
  JobFilter,
  JobRecord,
  JobState,
  JobSummary,
  JobsApi,
  ServedSummary,
  StoredInput,
  StoredOptions,
} from './jobs/jobs-api.ts'
export { JOB_PROTOCOL } from './jobs/messages.ts'
export { StoreErrorCodes } from './jobs/store-errors.ts'
export { type CrankNode, createNode, type NodeInit, type SubmitOptions } from './node.ts'
export { type RunCapabilityOptions, type RunCapabilityResult, runCapability } from './testing.ts'
export { type Enrolment, EphemeralCA } from './trust/ephemeral-ca.ts'
export * from './trust/index.ts'
export { JobGate } from './trust/job-gate.ts'
export { Membership } from './trust/membership.ts'
