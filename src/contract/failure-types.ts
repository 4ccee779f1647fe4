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
  /** A start's input does not match its kind's schema, or cannot be used (a Nexus operation's; HTTP answers 400/422). */
  InvalidInput: 'InvalidInput',
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
  /** A runner's input artifact does not exist (any more). */
  ArtifactNotFound: 'ArtifactNotFound',
  /** The input is not a longrun encrypted file, or one of a version this worker cannot read. */
  UnsupportedFormat: 'UnsupportedFormat',
  /** An encrypted file names a master key this worker does not have (retired, or from elsewhere). */
  UnknownKeyId: 'UnknownKeyId',
  /** Some bytes of an encrypted file were changed (or spliced in from another file): it does not authenticate. */
  CiphertextTampered: 'CiphertextTampered',
  /** An encrypted file ends before its final chunk. */
  CiphertextTruncated: 'CiphertextTruncated',
  /** Authentic chunks of an encrypted file are out of order, repeated or missing. */
  ChunksReordered: 'ChunksReordered',
  /** A webhook receiver answered 410 Gone: it wants no more deliveries. */
  WebhookGone: 'WebhookGone',
  /** A webhook receiver did not answer 2xx (retried with backoff). */
  WebhookRejected: 'WebhookRejected',
  /** A webhook could not reach its receiver (retried with backoff). */
  WebhookUnreachable: 'WebhookUnreachable',
  /** A callback URL is not allowed by the callback policy (checked again at delivery). */
  CallbackRefused: 'CallbackRefused',
  /** A runner's worker shut down mid-attempt; the next attempt resumes from its last checkpoint. */
  WorkerShutdown: 'WorkerShutdown',
  /** Any failure without a more specific type. */
  RunnerFailed: 'RunnerFailed',
} as const;

export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Every failure type, for documentation. */
export const failureTypes: readonly FailureType[] = Object.values(FailureType);
