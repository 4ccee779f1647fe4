/**
 * The one list of failure types used across longrun: `ApplicationFailure.type` values thrown by
 * runners and the orchestrator, and the `error.type` a client sees in a failed process.
 * Runner retry policies name these in `nonRetryableErrorTypes`.
 */
export const FailureType = {
  /** A runner was asked to fail and must not be retried (the `delay` kind's `fail: true`). */
  RequestedFailure: 'RequestedFailure',
  /** A transient, retryable runner failure (the `delay` kind's `failAttempts`). */
  TransientFailure: 'TransientFailure',
  /** The runner's input did not match its schema (should have been refused by the API). */
  InvalidRunnerInput: 'InvalidRunnerInput',
  /** The orchestrator was asked to run a kind it does not know. */
  UnknownKind: 'UnknownKind',
  /** The runner kept failing until its retry policy gave up. */
  RetriesExhausted: 'RetriesExhausted',
  /** The runner exceeded its start-to-close or heartbeat timeout on its last attempt. */
  RunnerTimedOut: 'RunnerTimedOut',
  /** The workflow was terminated by an operator (for example from the Web UI). */
  Terminated: 'Terminated',
  /** The workflow exceeded its execution timeout. */
  WorkflowTimedOut: 'WorkflowTimedOut',
  /** Any failure without a more specific type. */
  RunnerFailed: 'RunnerFailed',
} as const;

export type FailureType = (typeof FailureType)[keyof typeof FailureType];
